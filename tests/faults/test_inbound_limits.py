"""Inputs a deployment meets that are no SMS: oversize texts and bodies get 413, blank ids and
senders 400, unknown delivery reports are parked within bounds; a failure is one log line."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from gateway.webhooks import MAX_INBOUND_TEXT
from menus import grammar
from models.enums import InboundStatus
from models.messages import InboundMessage
from tests.conftest import BurstWorker
from tests.factories import SECRETARY_PHONE, make_board_club
from tests.fakes.fake_android import webhook_body
from workers import jobs, sending

FORM = {"from": SECRETARY_PHONE, "to": "8085", "date": "2026-11-21 02:00:00"}


def stored(session) -> int:
    return session.scalar(select(func.count(InboundMessage.id)))


def test_a_text_longer_than_any_sms_is_refused_with_413(client, session, rt):
    too_long = FORM | {"id": "big", "text": "a" * (MAX_INBOUND_TEXT + 1)}
    resp = client.post("/sms/inbound", data=too_long)
    assert resp.status_code == 413 and b"longer than" in resp.data
    assert stored(session) == 0
    longest = FORM | {"id": "longest", "text": "a" * MAX_INBOUND_TEXT}
    assert client.post("/sms/inbound", data=longest).status_code == 200
    assert stored(session) == 1


def test_a_body_above_the_request_limit_is_refused_with_413(client, session, rt):
    huge = FORM | {"id": "huge", "text": "HD", "padding": "x" * (600 * 1024)}
    assert client.post("/sms/inbound", data=huge).status_code == 413
    body = b'{"event": "sms:received", "pad": "' + b"x" * (600 * 1024) + b'"}'
    resp = client.post("/android/webhook", data=body, content_type="application/json")
    assert resp.status_code == 413
    assert stored(session) == 0


def test_a_long_stored_text_is_answered_without_parsing(
    client, session, rt, channel, run_jobs, monkeypatch
):
    make_board_club(session)
    session.commit()

    def parse_refused(*args: Any) -> Any:
        raise AssertionError("the parser was given a text longer than ten SMS")

    monkeypatch.setattr(grammar, "parse", parse_refused)
    text = "TRA 12 200k " + "a" * MAX_INBOUND_TEXT
    form = FORM | {"id": "long", "text": text[:MAX_INBOUND_TEXT]}
    assert client.post("/sms/inbound", data=form).status_code == 200
    run_jobs()
    (reply,) = channel.outbox
    assert reply["text"].startswith("Tin qua dai (39015 ky tu), chua luu gi.")
    msg = session.scalars(select(InboundMessage)).one()
    session.refresh(msg)
    assert msg.status == InboundStatus.PROCESSED and msg.note == "too long"


@pytest.mark.parametrize(
    ("field", "value"), [("id", "   "), ("id", ""), ("from", "  "), ("from", "\x00")]
)
def test_a_blank_id_or_sender_is_refused_with_400(client, session, rt, field, value):
    form = FORM | {"id": "ok-id", "text": "HD"} | {field: value}
    resp = client.post("/sms/inbound", data=form)
    assert resp.status_code == 400
    assert stored(session) == 0


@pytest.mark.parametrize("blank", ["messageId", "phoneNumber"])
def test_a_blank_android_id_or_sender_is_refused_with_400(client, session, rt, blank):
    body = webhook_body(message="HD", phone_number=SECRETARY_PHONE)
    import json

    envelope = json.loads(body)
    envelope["payload"][blank] = "  "
    if blank == "phoneNumber":
        envelope["payload"]["sender"] = " "
    resp = client.post(
        "/android/webhook", data=json.dumps(envelope), content_type="application/json"
    )
    assert resp.status_code == 400
    assert stored(session) == 0


def test_delivery_reports_for_unknown_ids_are_parked_within_bounds(
    client, rt, redis_conn, monkeypatch
):
    monkeypatch.setattr(sending, "MAX_PARKED", 5)
    for n in range(8):
        form = {"id": f"unknown-{n}", "status": "Success"}
        assert client.post("/sms/delivery", data=form).status_code == 200
    parked = [k for k in redis_conn.keys("dientua:dlr:unknown-*")]
    assert len(parked) == 5
    assert all(0 < redis_conn.ttl(k) <= sending.PARK_SECONDS for k in parked)
    redis_conn.delete(sending.PARKED_COUNT)  # a new window
    monkeypatch.setattr(sending, "MAX_PARKED", 100)
    for _ in range(8):
        client.post("/sms/delivery", data={"id": "unknown-0", "status": "Sent"})
    assert redis_conn.llen("dientua:dlr:unknown-0") == sending.MAX_PER_ID
    long_id = {"id": "x" * 121, "status": "Success"}
    assert client.post("/sms/delivery", data=long_id).status_code == 400


def test_an_android_channel_without_a_signing_key_is_warned_at_start(test_config, rt, caplog):
    from gateway import create_app

    cfg = dict(test_config, SMS_CHANNEL="android", WEBHOOK_TOKEN="t", SECRET_KEY="k")
    cfg["ANDROID_WEBHOOK_SECRET"] = None
    with caplog.at_level(logging.WARNING, logger="gateway"):
        create_app(cfg, init_runtime=False)
    assert any("ANDROID_WEBHOOK_SECRET is not set" in r.getMessage() for r in caplog.records)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="gateway"):
        create_app(dict(cfg, ANDROID_WEBHOOK_SECRET="k"), init_runtime=False)
    assert not any("ANDROID_WEBHOOK_SECRET" in r.getMessage() for r in caplog.records)


def test_processed_at_is_when_the_work_commits_not_when_it_began(
    client, session, rt, traveller, run_jobs, monkeypatch
):
    make_board_club(session)
    session.commit()
    real = jobs.handle_inbound

    def slow_handling(*args: Any) -> Any:
        result = real(*args)
        traveller.shift(timedelta(seconds=30))  # waited on a lock, say
        return result

    monkeypatch.setattr(jobs, "handle_inbound", slow_handling)
    started = jobs.utcnow()
    assert client.post("/sms/inbound", data=FORM | {"id": "t", "text": "HD"}).status_code == 200
    run_jobs()
    msg = session.scalars(select(InboundMessage)).one()
    session.refresh(msg)
    assert msg.processed_at == started + timedelta(seconds=30)


def failing_job() -> None:
    raise OperationalError("SELECT 1", {"phone": "+84912000001"}, Exception("server closed"))


def test_a_failed_job_is_one_error_line_and_its_traceback_is_debug(rt, redis_conn, caplog):
    from workers.__main__ import InProcessWorker

    class Worker(InProcessWorker, BurstWorker):
        pass

    rt.queue("default").enqueue(f"{__name__}.failing_job", description="failing_job")
    with caplog.at_level(logging.DEBUG, logger="rq.worker"):
        Worker(["default"], connection=redis_conn).work(burst=True, with_scheduler=False)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    line = errors[0].getMessage()
    assert "failing_job" in line and "OperationalError" in line and "server closed" in line
    assert "\n" not in line and errors[0].exc_info is None
    assert "+8491" not in line  # a statement's parameters never reach the log
    debug = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG]
    assert any("Traceback" in m for m in debug)


def test_an_unexpected_error_in_a_request_is_one_error_line(client, rt, caplog, monkeypatch):
    import gateway.webhooks

    def database_gone(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("INSERT", {}, Exception("connection refused"))

    monkeypatch.setattr(gateway.webhooks, "store_inbound", database_gone)
    with caplog.at_level(logging.DEBUG, logger="gateway"):
        resp = client.post("/sms/inbound", data=FORM | {"id": "x", "text": "HD"})
    assert resp.status_code == 503
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and errors[0].exc_info is None
    assert "connection refused" in errors[0].getMessage()
