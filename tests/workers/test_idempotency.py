"""Nothing is lost and nothing is counted twice: repeated deliveries, a job that dies half way,
a job run twice, and the sweeper picking up what Redis never got."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from rq import Queue
from rq.registry import FailedJobRegistry
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import runtime
from models.clubs import Club
from models.enums import InboundStatus, OutboundStatus
from models.ledger import Repayment
from models.messages import InboundMessage, OutboundMessage
from models.records import Report
from runtime import INBOUND, OUTBOUND
from runtime.channels.console import ConsoleChannel
from tests.conftest import burst
from tests.conversations.support import give_loan
from tests.factories import SECRETARY_PHONE, make_board_club
from workers import jobs

FORM = {"from": SECRETARY_PHONE, "to": "8085", "text": "TRA 12 200k", "id": "ATXid_dup"}
REPLY = "OK #{ref}: TRA TV12 200.000d, con no 1.800.000d. Sai? HUY {ref}"


@pytest.fixture
def club(session: Session, traveller: Any) -> Club:
    club = make_board_club(session, members=15)
    give_loan(session, club, 12)
    return club


def count(session: Session, model: Any) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def the_reply(session: Session, channel: ConsoleChannel) -> None:
    """Exactly one reply row, sent exactly once, with the report's reference."""
    ref = session.scalars(select(Report.ref)).one()
    row = session.scalars(select(OutboundMessage)).one()
    assert row.text == REPLY.format(ref=ref) and row.status == OutboundStatus.ACCEPTED
    assert [m["text"] for m in channel.outbox] == [row.text]


def test_the_same_delivery_twenty_times_records_once_and_replies_once(
    client: Any, session: Session, redis_conn: Redis, club: Club, channel: ConsoleChannel
) -> None:
    for _ in range(20):
        assert client.post("/sms/inbound", data=FORM).status_code == 200
    assert Queue(INBOUND, connection=redis_conn).count == 1  # one job for one message
    burst(redis_conn)
    for _ in range(5):  # late redeliveries after processing
        assert client.post("/sms/inbound", data=FORM).status_code == 200
    burst(redis_conn)
    assert count(session, InboundMessage) == 1
    assert count(session, Repayment) == 1 and count(session, Report) == 1
    the_reply(session, channel)


def test_a_job_that_dies_half_way_leaves_nothing_and_its_retry_records_once(
    client: Any,
    session: Session,
    redis_conn: Redis,
    club: Club,
    channel: ConsoleChannel,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The repayment is flushed, then the reply fails: the whole transaction must roll back."""
    import workers.sms

    real = workers.sms.queue_message
    calls = {"n": 0}

    def dies_once(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("worker killed after recording, before replying")
        return real(*args, **kwargs)

    monkeypatch.setattr(workers.sms, "queue_message", dies_once)
    assert client.post("/sms/inbound", data=FORM).status_code == 200
    burst(redis_conn, allow_failures=True)

    failed = FailedJobRegistry(INBOUND, connection=redis_conn)
    assert len(failed.get_job_ids()) == 1
    assert count(session, Repayment) == 0 and count(session, Report) == 0
    assert count(session, OutboundMessage) == 0 and channel.outbox == []
    msg = session.scalars(select(InboundMessage)).one()
    assert msg.status == InboundStatus.RECEIVED  # still waiting, for a retry or the sweeper

    failed.requeue(failed.get_job_ids()[0])  # what `rq requeue` does
    burst(redis_conn)
    assert count(session, Repayment) == 1
    the_reply(session, channel)

    # and the sweeper, seeing nothing left behind, adds nothing
    assert jobs.sweep() == {"inbound": 0, "outbound": 0}


def test_process_inbound_run_twice_records_once(
    client: Any, session: Session, club: Club, channel: ConsoleChannel, redis_conn: Redis
) -> None:
    assert client.post("/sms/inbound", data=FORM).status_code == 200
    msg_id = session.scalars(select(InboundMessage.id)).one()
    assert jobs.process_inbound(msg_id) == "processed"
    assert jobs.process_inbound(msg_id) == "done already"
    burst(redis_conn)  # the webhook's own job, and the sends
    assert jobs.process_inbound(msg_id) == "done already"
    assert count(session, Repayment) == 1
    the_reply(session, channel)


def test_a_reply_whose_send_was_never_enqueued_is_sent_by_the_sweeper(
    client: Any,
    session: Session,
    redis_conn: Redis,
    club: Club,
    channel: ConsoleChannel,
    traveller: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Redis goes away between the job's commit and the send's enqueue."""
    real = runtime.enqueue

    def no_outbound(queue_name: str, *args: Any, **kwargs: Any) -> bool:
        return False if queue_name == OUTBOUND else real(queue_name, *args, **kwargs)

    monkeypatch.setattr(runtime, "enqueue", no_outbound)
    assert client.post("/sms/inbound", data=FORM).status_code == 200
    burst(redis_conn)
    assert count(session, Repayment) == 1 and channel.outbox == []
    monkeypatch.setattr(runtime, "enqueue", real)

    assert jobs.sweep() == {"inbound": 0, "outbound": 0}  # too fresh to be called lost
    traveller.shift(180)
    assert jobs.sweep() == {"inbound": 0, "outbound": 1}
    burst(redis_conn)
    assert jobs.sweep() == {"inbound": 0, "outbound": 0}
    assert count(session, Repayment) == 1
    the_reply(session, channel)


def test_the_sweeper_enqueues_what_the_webhook_could_not(
    client: Any,
    session: Session,
    redis_conn: Redis,
    club: Club,
    channel: ConsoleChannel,
    traveller: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Redis is down for the webhook: the message is stored and acknowledged all the same."""

    def redis_down(*args: Any, **kwargs: Any) -> Any:
        raise RedisConnectionError("Connection refused")

    monkeypatch.setattr(Queue, "enqueue", redis_down)
    forms = [FORM | {"id": f"ATXid_{n}", "text": f"TRA 12 {n}00k"} for n in (1, 2)]
    for form in forms:
        assert client.post("/sms/inbound", data=form).status_code == 200
    monkeypatch.undo()  # Redis is back
    assert Queue(INBOUND, connection=redis_conn).count == 0
    assert {m.status for m in session.scalars(select(InboundMessage))} == {InboundStatus.RECEIVED}

    assert jobs.sweep()["inbound"] == 0  # younger than two minutes: maybe still in flight
    traveller.shift(150)
    assert jobs.sweep()["inbound"] == 2
    assert jobs.sweep()["inbound"] == 0  # just handed over: the next try waits longer
    burst(redis_conn)
    assert jobs.sweep()["inbound"] == 0

    session.expire_all()
    assert sorted(r.amount_vnd for r in session.scalars(select(Repayment))) == [100_000, 200_000]
    assert count(session, Report) == 2
    assert len(channel.outbox) == 2 == count(session, OutboundMessage)
    statuses = {m.status for m in session.scalars(select(InboundMessage))}
    assert statuses == {InboundStatus.PROCESSED}


def test_a_message_from_a_deleted_row_is_harmless(session: Session, rt: Any) -> None:
    """A job for an id that is not (or no longer) stored does nothing."""
    assert jobs.process_inbound(987654321) == "missing"


def test_sweeper_gives_up_on_a_message_whose_job_keeps_failing(client, session, rt, monkeypatch):
    """Re-enqueued at growing intervals, then marked failed with a note; replay resets it."""
    from click.testing import CliRunner

    from workers import jobs
    from workers.cli import cli

    monkeypatch.setattr(rt, "enqueue", lambda *a, **k: True)  # the jobs never run
    with time_machine.travel("2026-11-21 09:00:00+07:00", tick=False) as clock:
        client.post("/sms/inbound", data={"from": "+84912000001", "text": "HD", "id": "stuck"})
        enqueued = []
        for _ in range(60):  # an hour of sweeps, one a minute
            clock.shift(60)
            enqueued.append(jobs.sweep()["inbound"])
    msg = session.scalar(select(InboundMessage).where(InboundMessage.provider_id == "stuck"))
    session.refresh(msg)
    assert sum(enqueued) == jobs.MAX_SWEEPS
    assert msg.status == InboundStatus.FAILED and "gave up" in msg.note
    res = CliRunner().invoke(cli, ["replay-inbound", str(msg.id)])
    assert res.exit_code == 0, res.output
    session.refresh(msg)
    assert msg.status == InboundStatus.RECEIVED and msg.sweeps == 0
