"""The outbound path: send jobs through the real SDK to a local fake provider, delivery reports,
and the guards (quiet hours, daily cap, monthly budget, invalid numbers)."""

from __future__ import annotations

from decimal import Decimal

import time_machine
from sqlalchemy import func, select

from models.enums import OutboundKind, OutboundStatus
from models.messages import OutboundMessage
from models.outbox import queue_message
from runtime.channels import build_channel
from tests.factories import make_club
from tests.fakes.fake_at import http_error, ok, recipient_fails, slow
from workers import sending
from workers.jobs import sweep

TO = "+84912345678"
DAY = "2026-11-21 09:00:00+07:00"
NIGHT = "2026-11-21 22:30:00+07:00"


def _queue(
    session,
    kind=OutboundKind.REPLY,
    to=TO,
    text="OK #K7QA: TRA TV12 450.000d",
    club_id=None,
    language="vi",
):
    out = queue_message(session, to=to, text=text, kind=kind, club_id=club_id, language=language)
    session.commit()
    return out


def _row(session, out_id):
    session.expire_all()
    return session.get(OutboundMessage, out_id)


@time_machine.travel(DAY, tick=False)
def test_success_records_provider_id_and_cost(session, at_channel, run_jobs):
    out = _queue(session)
    sending.enqueue_send(out)
    run_jobs()
    row = _row(session, out)
    assert row.status == OutboundStatus.ACCEPTED
    assert row.provider_id.startswith("ATXid_")
    assert (row.cost, row.currency) == (Decimal("250.0000"), "VND")
    assert (row.encoding, row.segments, row.attempts) == ("GSM-7", 1, 1)
    assert len(at_channel.requests) == 1
    assert at_channel.requests[0].form["to"] == TO


@time_machine.travel(DAY, tick=False)
def test_per_recipient_failure_inside_201_is_permanent(session, at_channel, run_jobs):
    at_channel.script(recipient_fails(403, "InvalidPhoneNumber"))
    out = _queue(session)
    sending.enqueue_send(out)
    run_jobs()
    row = _row(session, out)
    assert row.status == OutboundStatus.FAILED
    assert "InvalidPhoneNumber" in row.failure_reason
    assert len(at_channel.requests) == 1  # no retry for a permanent failure


@time_machine.travel(DAY, tick=False)
def test_5xx_then_success_delivers_once(session, at_channel, run_jobs):
    at_channel.script(http_error(500), ok())
    out = _queue(session)
    sending.enqueue_send(out)
    run_jobs()
    row = _row(session, out)
    assert row.status == OutboundStatus.ACCEPTED and row.attempts == 2
    assert len(at_channel.requests) == 2
    assert session.scalar(select(func.count()).select_from(OutboundMessage)) == 1


@time_machine.travel(DAY, tick=True)
def test_timeout_is_retried(session, at_channel, run_jobs):
    at_channel.script(slow(1.0), ok())
    out = _queue(session)
    sending.enqueue_send(out)
    run_jobs()
    row = _row(session, out)
    assert row.status == OutboundStatus.ACCEPTED and row.attempts == 2


@time_machine.travel(DAY, tick=False)
def test_gives_up_after_max_attempts(session, at_channel, run_jobs):
    at_channel.script(*[http_error(502)] * sending.MAX_ATTEMPTS)
    out = _queue(session)
    sending.enqueue_send(out)
    run_jobs()
    row = _row(session, out)
    assert row.status == OutboundStatus.FAILED and row.attempts == sending.MAX_ATTEMPTS
    assert len(at_channel.requests) == sending.MAX_ATTEMPTS


@time_machine.travel(DAY, tick=False)
def test_delivery_reports_repeated_and_out_of_order(client, session, at_channel, run_jobs):
    out = _queue(session)
    sending.enqueue_send(out)
    run_jobs()
    pid = _row(session, out).provider_id
    for status in ("Buffered", "Success", "Success", "Sent", "Failed"):
        resp = client.post(
            "/sms/delivery",
            data={"id": pid, "status": status, "phoneNumber": TO, "networkCode": "45204"},
        )
        assert resp.status_code == 200
    row = _row(session, out)
    assert row.status == OutboundStatus.DELIVERED and row.provider_status == "Success"
    assert row.delivered_at is not None


@time_machine.travel(DAY, tick=False)
def test_failed_delivery_report_keeps_reason(client, session, at_channel, run_jobs):
    out = _queue(session)
    sending.enqueue_send(out)
    run_jobs()
    pid = _row(session, out).provider_id
    client.post("/sms/delivery", data={"id": pid, "status": "Submitted"})
    client.post(
        "/sms/delivery",
        data={"id": pid, "status": "AbsentSubscriber", "failureReason": "AbsentSubscriber"},
    )
    row = _row(session, out)
    assert row.status == OutboundStatus.FAILED and row.failure_reason == "AbsentSubscriber"


def test_delivery_report_for_unknown_id_and_bad_form(client):
    assert client.post("/sms/delivery", data={"id": "nope", "status": "Success"}).status_code == 200
    assert client.post("/sms/delivery", data={"status": "Success"}).status_code == 400


@time_machine.travel(NIGHT, tick=False)
def test_quiet_hours_hold_summaries_but_not_replies_or_alerts(
    session, at_channel, run_jobs, rt, monkeypatch
):
    monkeypatch.setitem(rt.config(), "QUIET_HOURS", "21:00-07:00")
    summary = _queue(session, kind=OutboundKind.SUMMARY)
    reply = _queue(session, kind=OutboundKind.REPLY)
    alert = _queue(session, kind=OutboundKind.ALERT)
    for out in (summary, reply, alert):
        sending.enqueue_send(out)
    run_jobs()
    held = _row(session, summary)
    assert held.status == OutboundStatus.HELD and held.failure_reason == "quiet"
    assert held.send_after.isoformat() == "2026-11-22T00:00:00+00:00"  # 07:00 Vietnam time
    assert _row(session, reply).status == OutboundStatus.ACCEPTED
    assert _row(session, alert).status == OutboundStatus.ACCEPTED
    with time_machine.travel("2026-11-22 07:01:00+07:00", tick=False):
        assert sweep()["outbound"] == 1
        run_jobs()
    assert _row(session, summary).status == OutboundStatus.ACCEPTED


@time_machine.travel(DAY, tick=False)
def test_daily_cap_per_recipient_holds_the_rest_until_tomorrow(
    session, at_channel, run_jobs, rt, monkeypatch
):
    monkeypatch.setitem(rt.config(), "DAILY_CAP_PER_RECIPIENT", 2)
    ids = [_queue(session, kind=OutboundKind.REMINDER, text=f"nhac {i}") for i in range(3)]
    for out in ids:
        sending.enqueue_send(out)
    run_jobs()
    statuses = [_row(session, i).status for i in ids]
    assert statuses == [OutboundStatus.ACCEPTED, OutboundStatus.ACCEPTED, OutboundStatus.HELD]
    assert _row(session, ids[2]).failure_reason == "cap"


@time_machine.travel(DAY, tick=False)
def test_monthly_budget_skips_summaries_but_alerts_still_go(session, at_channel, run_jobs):
    club = make_club(session)
    club.monthly_sms_budget = 1
    session.commit()
    first = _queue(session, kind=OutboundKind.SUMMARY, club_id=club.id)
    sending.enqueue_send(first)
    run_jobs()
    second = _queue(session, kind=OutboundKind.SUMMARY, club_id=club.id)
    alert = _queue(session, kind=OutboundKind.ALERT, club_id=club.id)
    sending.enqueue_send(second)
    sending.enqueue_send(alert)
    run_jobs()
    assert _row(session, first).status == OutboundStatus.ACCEPTED
    skipped = _row(session, second)
    assert skipped.status == OutboundStatus.SKIPPED and "budget" in skipped.failure_reason
    assert _row(session, alert).status == OutboundStatus.ACCEPTED


@time_machine.travel(DAY, tick=False)
def test_nothing_sent_to_a_number_that_is_not_a_mobile(session, at_channel, run_jobs):
    out = _queue(session, to="+842437123456")  # a Hanoi landline
    sending.enqueue_send(out)
    run_jobs()
    assert _row(session, out).status == OutboundStatus.SKIPPED
    assert at_channel.requests == []


@time_machine.travel(DAY, tick=False)
def test_accents_follow_the_recipients_language(session, at_channel, run_jobs):
    plain = _queue(session, text="Chào bà Rơ Châm", language="vi")
    accented = _queue(session, text="Chào bà Rơ Châm", language="vi_dau")
    for out in (plain, accented):
        sending.enqueue_send(out)
    run_jobs()
    assert _row(session, plain).text == "Chao ba Ro Cham"
    assert _row(session, plain).encoding == "GSM-7"
    assert _row(session, accented).text == "Chào bà Rơ Châm"
    assert _row(session, accented).encoding == "UCS-2"
    sent = [r.form["message"] for r in at_channel.requests]
    assert sent == ["Chao ba Ro Cham", "Chào bà Rơ Châm"]


@time_machine.travel(DAY, tick=False)
def test_send_job_is_idempotent(session, at_channel, run_jobs):
    out = _queue(session)
    sending.enqueue_send(out)
    sending.enqueue_send(out)
    run_jobs()
    assert sending.send_outbound(out) == "skip"
    assert len(at_channel.requests) == 1


@time_machine.travel(DAY, tick=False)
def test_android_channel_through_the_send_job(session, rt, fake_android, run_jobs, monkeypatch):
    cfg = dict(rt.config(), **fake_android.config())
    monkeypatch.setattr(rt, "_config", cfg)
    rt.set_channel(build_channel(cfg))
    out = _queue(session)
    sending.enqueue_send(out)
    run_jobs()
    row = _row(session, out)
    assert row.status == OutboundStatus.ACCEPTED and row.channel == "android"
    assert len(fake_android.messages) == 1


@time_machine.travel(DAY, tick=False)
def test_a_delivery_report_that_beats_the_send_job_is_applied_after_it(
    client, session, rt, run_jobs
):
    """A phone gateway can report "delivered" before the send job has stored the id."""
    from runtime.channels.base import SendResult, SendStatus
    from runtime.channels.console import ConsoleChannel

    class Early(ConsoleChannel):
        def send(self, to: str, text: str) -> SendResult:
            client.post("/sms/delivery", data={"id": "early-1", "status": "Success"})
            return SendResult(SendStatus.ACCEPTED, provider_id="early-1")

    rt.set_channel(Early())
    out = _queue(session)
    sending.enqueue_send(out)
    run_jobs()
    row = _row(session, out)
    assert row.provider_id == "early-1" and row.status == OutboundStatus.DELIVERED
