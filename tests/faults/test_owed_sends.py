"""The database is the source of truth for every send still owed: a reply or an alert waiting
for its retry is sent even when Redis lost the retry."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from sqlalchemy import func, select

from models.enums import OutboundKind, OutboundStatus
from models.messages import OutboundMessage
from models.outbox import queue_message
from tests.fakes.fake_at import http_error, ok
from tests.workers.test_sending import DAY, TO
from workers import jobs, sending


def test_an_alert_whose_retry_redis_lost_is_sent_by_the_sweeper(
    session, at_channel, rt, redis_conn, run_jobs, monkeypatch
):
    monkeypatch.setattr(sending, "BACKOFF", [60, 60, 60, 60])
    at_channel.script(http_error(500), ok())
    with time_machine.travel(DAY, tick=False) as clock:
        out = queue_message(session, to=TO, text="CANH BAO DO: HA 190/120", kind=OutboundKind.ALERT)
        session.commit()
        sending.enqueue_send(out)
        run_jobs()  # the provider answers 500: a retry is due in a minute
        session.expire_all()
        row = session.get(OutboundMessage, out)
        assert row.status == OutboundStatus.QUEUED and row.attempts == 1
        assert row.send_after == sending.utcnow() + timedelta(seconds=60)

        redis_conn.flushdb()  # Redis restarts empty: RQ's scheduled retry is gone
        clock.shift(30)
        assert jobs.sweep()["outbound"] == 0  # not due yet
        clock.shift(60)
        assert jobs.sweep()["outbound"] == 1
        assert jobs.sweep()["outbound"] == 0  # its job is queued now: not twice
        run_jobs()
    session.expire_all()
    row = session.get(OutboundMessage, out)
    assert row.status == OutboundStatus.ACCEPTED and row.attempts == 2
    assert len(at_channel.requests) == 2
    sent = session.scalar(select(func.count(OutboundMessage.id)))
    assert sent == 1


def test_a_second_job_for_a_row_waiting_for_its_retry_sends_nothing_early(
    session, at_channel, rt, run_jobs, monkeypatch
):
    monkeypatch.setattr(sending, "BACKOFF", [300, 300, 300, 300])
    at_channel.script(http_error(500), ok())
    with time_machine.travel(DAY, tick=False):
        out = queue_message(session, to=TO, text="OK", kind=OutboundKind.REPLY)
        session.commit()
        sending.enqueue_send(out)
        run_jobs()
        assert sending.send_outbound(out) == "not due"
    assert len(at_channel.requests) == 1
