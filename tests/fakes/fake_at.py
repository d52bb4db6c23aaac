"""A local fake of Africa's Talking's messaging API over real HTTP, scriptable per test."""

from __future__ import annotations

import json
import threading
import uuid
from collections import deque
from dataclasses import dataclass, field, replace
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

DEFAULT_USERNAME = "sandbox"
DEFAULT_API_KEY = "test-api-key"


@dataclass(frozen=True)
class Reply:
    """How the fake answers one request: ok(), recipient_fails(), http_error(), slow()."""

    http_status: int = 201
    status: str = "Success"
    status_code: int = 101
    cost: str = "VND 250.0000"
    delay: float = 0.0
    content_type: str = "application/json"
    body: str | None = None  # sent verbatim instead of the JSON envelope


def ok(cost: str = "VND 250.0000", *, content_type: str = "application/json") -> Reply:
    """201 with every recipient accepted (statusCode 101)."""
    return Reply(cost=cost, content_type=content_type)


def recipient_fails(status_code: int = 403, status: str = "InvalidPhoneNumber") -> Reply:
    """201 whose recipients carry a failure statusCode (AT reports failures inside a 2xx)."""
    return Reply(status=status, status_code=status_code, cost="0")


def http_error(http_status: int = 500, body: str = "Internal Server Error") -> Reply:
    """A bare non-2xx answer with a text body."""
    return Reply(http_status=http_status, body=body, content_type="text/plain")


def slow(seconds: float, then: Reply | None = None) -> Reply:
    """Answer like `then` (default ok()) after sleeping, e.g. past the client's read timeout."""
    return replace(then or ok(), delay=seconds)


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the fake received it."""

    method: str
    path: str
    headers: dict[str, str]
    form: dict[str, str]


@dataclass
class FakeAfricasTalking:
    """POST /version1/messaging (form: username, to, message, from, bulkSMSMode; header apiKey)."""

    username: str = DEFAULT_USERNAME
    api_key: str = DEFAULT_API_KEY
    requests: list[RecordedRequest] = field(default_factory=list)
    _queue: deque[Reply] = field(default_factory=deque)
    _server: BaseWSGIServer | None = None
    _thread: threading.Thread | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        """Base URL to put in AT_API_URL (the SDK appends /version1/messaging)."""
        assert self._server is not None, "fake not started"
        return f"http://127.0.0.1:{self._server.server_port}"

    def config(self, **extra: Any) -> dict[str, Any]:
        """App config that points the africastalking channel at this fake."""
        return {
            "SMS_CHANNEL": "africastalking",
            "AT_USERNAME": self.username,
            "AT_API_KEY": self.api_key,
            "AT_API_URL": self.url,
            **extra,
        }

    def script(self, *replies: Reply) -> None:
        """Queue replies for the next requests, in order; ok() once the queue is empty."""
        with self._lock:
            self._queue.extend(replies)

    def start(self) -> FakeAfricasTalking:
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()  # wakes delayed replies so shutdown does not wait for them
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def _next(self) -> Reply:
        with self._lock:
            return self._queue.popleft() if self._queue else ok()

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        response = self._handle(request)
        return response(environ, start_response)

    def _handle(self, request: Request) -> Response:
        recorded = RecordedRequest(
            method=request.method,
            path=request.path,
            headers=dict(request.headers.items()),
            form=request.form.to_dict(),
        )
        with self._lock:
            self.requests.append(recorded)
        if request.method != "POST" or request.path != "/version1/messaging":
            return Response("Not Found", status=404, content_type="text/plain")
        if request.headers.get("apiKey") != self.api_key:
            return Response(
                "The supplied authentication is invalid", 401, content_type="text/plain"
            )
        if recorded.form.get("username") != self.username:
            return Response("Invalid username", 401, content_type="text/plain")
        numbers = [n for n in recorded.form.get("to", "").split(",") if n]
        if not numbers or not recorded.form.get("message"):
            return Response(
                "Request is missing required form field", 400, content_type="text/plain"
            )
        reply = self._next()
        if reply.delay and self._stop.wait(reply.delay):
            return Response("shutting down", 503, content_type="text/plain")
        if reply.body is not None:
            return Response(reply.body, status=reply.http_status, content_type=reply.content_type)
        recipients = [
            {
                "statusCode": reply.status_code,
                "number": number,
                "status": reply.status,
                "cost": reply.cost,
                "messageId": f"ATXid_{uuid.uuid4().hex}" if reply.status_code < 200 else "None",
            }
            for number in numbers
        ]
        accepted = sum(1 for r in recipients if r["statusCode"] < 200)
        body = {
            "SMSMessageData": {
                "Message": f"Sent to {accepted}/{len(numbers)} Total Cost: {reply.cost}",
                "Recipients": recipients,
            }
        }
        response = Response(json.dumps(body), status=reply.http_status)
        # Set verbatim: the SDK compares the whole header with "application/json".
        response.headers["Content-Type"] = reply.content_type
        return response
