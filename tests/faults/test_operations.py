"""What a deployment watches: Prometheus metrics, Sentry (off unless configured, never personal
data), JSON logs, and a health check that names what is down."""

from __future__ import annotations

import http.server
import json
import logging
import os
import subprocess
import sys
import threading
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.exc import OperationalError

from runtime.logs import JsonFormatter, init_sentry
from runtime.settings import ROOT
from tests.conftest import BurstWorker
from tests.factories import MEMBER_PHONE, SECRETARY_PHONE, make_board_club

FORM = {"from": SECRETARY_PHONE, "to": "8085", "date": "2026-11-21 02:00:00"}


def samples(client, **kw: Any) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    resp = client.get("/metrics", **kw)
    assert resp.status_code == 200, resp.data
    out = {}
    for family in text_string_to_metric_families(resp.get_data(as_text=True)):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def value(before: dict, name: str, **labels: str) -> float:
    return before.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_count_messages_sends_jobs_and_hops(client, session, rt, channel, redis_conn):
    from workers.__main__ import InProcessWorker

    class Worker(InProcessWorker, BurstWorker):
        pass

    make_board_club(session)
    session.commit()
    before = samples(client)
    assert client.post("/sms/inbound", data=FORM | {"id": "m1", "text": "HD"}).status_code == 200
    hop = {"sessionId": "s", "serviceCode": "*384*123#", "phoneNumber": MEMBER_PHONE, "text": ""}
    assert client.post("/ussd", data=hop).status_code == 200
    waiting = samples(client)
    assert value(waiting, "dientua_queue_jobs", queue="inbound", state="waiting") == 1
    assert value(waiting, "dientua_messages_waiting", direction="inbound", status="received") == 1
    Worker(["inbound", "outbound"], connection=redis_conn).work(burst=True, with_scheduler=False)
    after = samples(client)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("dientua_inbound_messages_total", channel="sms", status="processed") == 1
    assert grew("dientua_outbound_sends_total", kind="reply", result="accepted") == 1
    assert grew("dientua_ussd_hop_seconds_count") == 1
    fn = "workers.jobs.process_inbound"
    assert grew("dientua_job_duration_seconds_count", function=fn, outcome="ok") == 1
    assert value(after, "dientua_queue_jobs", queue="inbound", state="waiting") == 0
    assert value(after, "dientua_messages_waiting", direction="inbound", status="received") == 0


def test_metrics_are_for_this_machine_or_a_token(client, app, rt):
    far = {"environ_base": {"REMOTE_ADDR": "203.0.113.9"}}
    assert client.get("/metrics", **far).status_code == 403
    app.config["METRICS_TOKEN"] = "scrape-me"
    assert client.get("/metrics").status_code == 403
    ok = client.get("/metrics", headers={"Authorization": "Bearer scrape-me"}, **far)
    assert ok.status_code == 200 and b"dientua_queue_jobs" in ok.data


class FakeSentry(http.server.BaseHTTPRequestHandler):
    received: list[bytes] = []

    def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.headers.get("Content-Encoding") == "gzip":
            import gzip

            body = gzip.decompress(body)
        FakeSentry.received.append(body)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def fake_sentry():
    FakeSentry.received = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeSentry)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    import sentry_sdk

    sentry_sdk.get_client().close()
    sentry_sdk.init(dsn=None)
    server.shutdown()


def test_sentry_is_off_unless_configured_and_never_gets_personal_data(
    client, rt, fake_sentry, monkeypatch
):
    import sentry_sdk

    import gateway.webhooks

    assert init_sentry({"SENTRY_DSN": None}, "web") is False
    assert not sentry_sdk.is_initialized()
    port = fake_sentry.server_address[1]
    assert init_sentry({"SENTRY_DSN": f"http://publickey@127.0.0.1:{port}/1"}, "web")

    def database_gone(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("INSERT", {"sender": SECRETARY_PHONE}, Exception("refused"))

    monkeypatch.setattr(gateway.webhooks, "store_inbound", database_gone)
    # Built at run time: Sentry shows the source lines around a frame, and those are code.
    reading = f"{17 * 11}/{8 * 14}"
    phone = "+8490" + "7654321"
    form = FORM | {"id": "s1", "from": phone, "text": f"HA 12 {reading}"}
    assert client.post("/sms/inbound", data=form).status_code == 503
    sentry_sdk.flush(timeout=5)
    sent = b"".join(FakeSentry.received)
    assert b"OperationalError" in sent
    for secret in (phone, phone[3:], reading, SECRETARY_PHONE, SECRETARY_PHONE[3:]):
        assert secret.encode() not in sent


def test_json_logs_carry_four_fields_and_never_a_records_extras():
    record = logging.LogRecord(
        "rq.worker", logging.ERROR, __file__, 1, "job %s failed", ("j1",), None
    )
    record.arguments = [SECRETARY_PHONE]  # what RQ passes as extra
    line = json.loads(JsonFormatter().format(record))
    assert set(line) == {"time", "level", "logger", "message"}
    assert line["message"] == "job j1 failed" and line["time"].endswith("+07:00")


def test_a_worker_logs_json_lines_when_asked(test_config, redis_conn, tmp_path):
    env = dict(os.environ, VAR_DIR=str(tmp_path), DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}",
               REDIS_URL=test_config["REDIS_URL"], LOG_FORMAT="json", LOG_LEVEL="INFO")  # fmt: skip
    out = subprocess.run(
        [sys.executable, "-m", "workers", "--burst", "--queues", "json-logs"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    lines = [json.loads(line) for line in out.stderr.splitlines() if line.strip()]
    assert lines and all(line["level"] in {"INFO", "WARNING"} for line in lines)


def test_health_says_what_is_down_and_what_to_look_at(client, rt, monkeypatch):
    from redis import Redis

    from workers import jobs

    body = client.get("/healthz").get_json()
    assert body["status"] == "ok" and body["workers"] == 0
    assert "no worker is running: messages wait" in body["warnings"]
    assert any("sweeper" in w for w in body["warnings"])
    jobs.sweep()
    body = client.get("/healthz").get_json()
    assert body["sweeper_seconds_ago"] == 0
    assert not any("sweeper" in w for w in body["warnings"])
    monkeypatch.setattr(rt, "_redis", Redis(host="127.0.0.1", port=1, socket_timeout=0.2))
    resp = client.get("/healthz")
    assert resp.status_code == 503
    assert resp.get_json()["redis"].startswith("error: ") and resp.get_json()["database"] == "ok"


def test_behind_a_proxy_the_client_address_comes_from_x_forwarded_for(test_config, rt):
    from gateway import create_app

    forwarded = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
    direct = create_app(dict(test_config), init_runtime=False).test_client()
    assert direct.get("/metrics", headers=forwarded).status_code == 200  # header not believed
    proxied = create_app(dict(test_config, PROXIES=1), init_runtime=False).test_client()
    assert proxied.get("/metrics", headers=forwarded).status_code == 403
    assert proxied.get("/metrics").status_code == 200
