"""A local fake of the SMS Gateway for Android 3rd-party API, and signed webhook builders."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field, replace
from typing import Any

from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

API_PREFIX = "/3rdparty/v1"
DEFAULT_USER = "gw-user"
DEFAULT_PASSWORD = "gw-password"


@dataclass(frozen=True)
class GwReply:
    """How the fake answers one send: accepted(), failed_state(), gw_error(), gw_slow()."""

    http_status: int = 202
    state: str = "Pending"
    error: str | None = None
    delay: float = 0.0
    body: Any = None  # JSON sent verbatim instead of a message state


def accepted() -> GwReply:
    """202 with the message Pending on the device."""
    return GwReply()


def failed_state(error: str = "Invalid number") -> GwReply:
    """202 but the recipient is already Failed."""
    return GwReply(state="Failed", error=error)


def gw_error(http_status: int = 500, message: str = "internal error") -> GwReply:
    """A non-2xx JSON error like the server's {"message": ...}."""
    return GwReply(http_status=http_status, body={"message": message})


def gw_slow(seconds: float, then: GwReply | None = None) -> GwReply:
    """Answer like `then` (default accepted()) after sleeping."""
    return replace(then or accepted(), delay=seconds)


@dataclass(frozen=True)
class GwRequest:
    method: str
    path: str
    headers: dict[str, str]
    json: Any


@dataclass
class FakeAndroidGateway:
    """POST /3rdparty/v1/messages and GET /3rdparty/v1/messages/<id>, Basic auth."""

    user: str = DEFAULT_USER
    password: str = DEFAULT_PASSWORD
    requests: list[GwRequest] = field(default_factory=list)
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)
    _queue: deque[GwReply] = field(default_factory=deque)
    _server: BaseWSGIServer | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        """Base URL for ANDROID_GW_URL (like https://api.sms-gate.app/3rdparty/v1)."""
        assert self._server is not None, "fake not started"
        return f"http://127.0.0.1:{self._server.server_port}{API_PREFIX}"

    def config(self, **extra: Any) -> dict[str, Any]:
        """App config that points the android channel at this fake."""
        return {
            "SMS_CHANNEL": "android",
            "ANDROID_GW_URL": self.url,
            "ANDROID_GW_USER": self.user,
            "ANDROID_GW_PASSWORD": self.password,
            **extra,
        }

    def script(self, *replies: GwReply) -> None:
        """Queue replies for the next sends, in order; accepted() once the queue is empty."""
        with self._lock:
            self._queue.extend(replies)

    def set_state(self, message_id: str, state: str, error: str | None = None) -> None:
        """Move a sent message on (Processed, Sent, Delivered, Failed) as the phone would."""
        with self._lock:
            message = self.messages[message_id]
            message["state"] = state
            for recipient in message["recipients"]:
                recipient["state"] = state
                if error:
                    recipient["error"] = error

    def start(self) -> FakeAndroidGateway:
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True)
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        return self._handle(Request(environ))(environ, start_response)

    def _authorized(self, request: Request) -> bool:
        token = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
        return request.headers.get("Authorization") == f"Basic {token}"

    def _handle(self, request: Request) -> Response:
        payload = request.get_json(silent=True)
        with self._lock:
            self.requests.append(
                GwRequest(request.method, request.path, dict(request.headers.items()), payload)
            )
        if not self._authorized(request):
            return _json({"message": "Unauthorized"}, 401)
        if request.method == "POST" and request.path == f"{API_PREFIX}/messages":
            return self._send(payload)
        prefix = f"{API_PREFIX}/messages/"
        if request.method == "GET" and request.path.startswith(prefix):
            with self._lock:
                message = self.messages.get(request.path[len(prefix) :])
            return _json(message, 200) if message else _json({"message": "not found"}, 404)
        return _json({"message": "not found"}, 404)

    def _send(self, payload: Any) -> Response:
        if not isinstance(payload, dict) or not payload.get("phoneNumbers"):
            return _json({"message": "phoneNumbers is required"}, 400)
        if not (payload.get("textMessage") or {}).get("text"):
            return _json({"message": "textMessage.text is required"}, 400)
        with self._lock:
            reply = self._queue.popleft() if self._queue else accepted()
        if reply.delay and self._stop.wait(reply.delay):
            return _json({"message": "shutting down"}, 503)
        if reply.body is not None:
            return _json(reply.body, reply.http_status)
        message_id = payload.get("id") or uuid.uuid4().hex[:21]
        recipients = []
        for number in payload["phoneNumbers"]:
            recipient: dict[str, Any] = {"phoneNumber": number, "state": reply.state}
            if reply.error:
                recipient["error"] = reply.error
            recipients.append(recipient)
        message = {
            "id": message_id,
            "deviceId": "fake-device-0001",
            "state": reply.state,
            "isHashed": False,
            "isEncrypted": False,
            "recipients": recipients,
            "states": {reply.state: time.strftime("%Y-%m-%dT%H:%M:%S.000+07:00")},
        }
        with self._lock:
            self.messages[message_id] = message
        return _json(message, reply.http_status)


def _json(body: Any, status: int) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


def webhook_body(
    *,
    event: str = "sms:received",
    message: str = "TRA 12 200k",
    phone_number: str = "+84912345678",
    message_id: str = "9f2c1a7b",
    received_at: str = "2026-11-21T15:30:12.000+07:00",
    recipient: str | None = "+84987654321",
    sim_number: int | None = 1,
    payload: dict[str, Any] | None = None,
) -> bytes:
    """A webhook body as the device posts it (envelope with deviceId, event, id, payload,
    webhookId); payload replaces the sms:received fields for other events."""
    if payload is None:
        payload = {
            "messageId": message_id,
            "message": message,
            "phoneNumber": phone_number,
            "sender": phone_number,
            "recipient": recipient,
            "simNumber": sim_number,
            "receivedAt": received_at,
        }
    envelope = {
        "deviceId": "ffffffffceb0b1db0000018e937c815b",
        "event": event,
        "id": uuid.uuid4().hex[:21],
        "payload": payload,
        "webhookId": "wh-sms-received",
    }
    return json.dumps(envelope, ensure_ascii=False).encode()


def sign(body: bytes, secret: str, timestamp: int | None = None) -> dict[str, str]:
    """Headers the device adds: X-Signature = hex HMAC-SHA256(key, body + X-Timestamp)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = hmac.new(secret.encode(), body + ts.encode(), hashlib.sha256).hexdigest()
    return {"X-Signature": signature, "X-Timestamp": ts, "Content-Type": "application/json"}
