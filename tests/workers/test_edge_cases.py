"""Edge cases found in review: huge amounts, repeated USSD forms, shared-phone help requests,
backlogs, interrupted sends, skewed clocks."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from menus.clock import utcnow
from models.clubs import Member
from models.enums import InboundStatus, OutboundKind, OutboundStatus
from models.inbox import store_inbound
from models.ledger import Repayment
from models.messages import InboundMessage, OutboundMessage
from models.outbox import queue_message
from models.records import FundContribution, HelpRequest
from tests.conversations.support import give_loan
from tests.factories import SECRETARY_PHONE, SHARED_PHONE, make_board_club
from workers import jobs


def _sms(client, run_jobs, session, phone, text, pid):
    client.post("/sms/inbound", data={"from": phone, "text": text, "id": pid})
    run_jobs()
    session.expire_all()
    msg = session.scalar(select(InboundMessage).where(InboundMessage.provider_id == pid))
    return session.scalars(
        select(OutboundMessage.text).where(
            OutboundMessage.inbound_id == msg.id, OutboundMessage.to == phone
        )
    ).all()


def test_a_huge_amount_is_refused_and_the_rest_of_the_sms_is_kept(
    client, session, run_jobs, channel, traveller
):
    make_board_club(session)
    session.commit()
    (reply,) = _sms(client, run_jobs, session, SECRETARY_PHONE, "GOP 0 3000tr\nGOP 0 2tr", "big-1")
    assert "qua lon" in reply and reply.startswith("OK 1/2")
    assert [f.amount_vnd for f in session.scalars(select(FundContribution))] == [2_000_000]


def test_the_same_ussd_form_three_times_is_recorded_three_times(session, rt, channel, traveller):
    club = make_board_club(session)
    give_loan(session, club, 12, 5_000_000)
    session.commit()
    for i in range(3):
        jobs.submit_ussd_form(SECRETARY_PHONE, None, "TRA 12 50000", f"sess{i}:1")
    assert session.scalar(select(func.count()).select_from(Repayment)) == 3


def test_help_request_from_a_shared_phone_names_the_member_or_asks(
    client, session, run_jobs, channel, traveller
):
    make_board_club(session)
    session.commit()
    (ask,) = _sms(client, run_jobs, session, SHARED_PHONE, "nho om", "nho-1")
    assert "20" in ask and "21" in ask
    assert session.scalar(select(func.count()).select_from(HelpRequest)) == 0
    (ok,) = _sms(client, run_jobs, session, SHARED_PHONE, "NHO 21 om, dau lung", "nho-2")
    req = session.scalars(select(HelpRequest)).one()
    assert session.get(Member, req.member_id).number == 21
    assert req.note == "om, dau lung" and req.kind == "ill"
    assert ok.startswith("Da bao")


def test_the_sweeper_leaves_a_backlog_alone_and_a_late_job_still_runs(
    session, rt, channel, traveller, run_jobs
):
    make_board_club(session)
    with session.begin_nested():
        msg_id, _ = store_inbound(
            session,
            provider="africastalking",
            provider_id="late",
            sender=SECRETARY_PHONE,
            text="HD",
        )
    session.commit()
    rt.enqueue_inbound(msg_id)  # waiting in a long queue
    for _ in range(30):
        traveller.shift(120)
        assert jobs.sweep()["inbound"] == 0
    msg = session.get(InboundMessage, msg_id)
    msg.status = InboundStatus.FAILED  # as an older sweeper would have left it
    session.commit()
    run_jobs()
    session.refresh(msg)
    assert msg.status == InboundStatus.PROCESSED


def test_an_interrupted_send_is_sent_again(session, rt, channel, traveller, run_jobs):
    out = queue_message(session, to=SECRETARY_PHONE, text="CANH BAO", kind=OutboundKind.ALERT)
    row = session.get(OutboundMessage, out)
    row.status, row.attempts = OutboundStatus.SENDING, 1
    session.commit()
    traveller.shift(11 * 60)
    assert jobs.sweep()["outbound"] == 1
    run_jobs()
    session.refresh(row)
    assert row.status == OutboundStatus.ACCEPTED and len(channel.outbox) == 1


def test_a_far_off_provider_clock_does_not_move_today(session, traveller):
    msg_id, _ = store_inbound(
        session,
        provider="android",
        provider_id="skew",
        sender=SECRETARY_PHONE,
        text="HD",
        received_at=utcnow() + timedelta(days=40),
    )
    msg = session.get(InboundMessage, msg_id)
    assert abs(msg.received_at - utcnow()) < timedelta(minutes=1)


def test_one_bad_reading_in_a_list_says_the_whole_command_was_not_stored(
    client, session, run_jobs, channel, traveller
):
    from models.records import HealthReading

    make_board_club(session)
    session.commit()
    (reply,) = _sms(
        client, run_jobs, session, SECRETARY_PHONE, "HA 12 170/100, 14 120/80, 13 300/95", "ha-list"
    )
    assert reply.startswith("Loi: HA 13 300/95")
    assert reply.endswith("(ca lenh HA chua luu)")
    assert session.scalar(select(func.count()).select_from(HealthReading)) == 0
    (single,) = _sms(client, run_jobs, session, SECRETARY_PHONE, "HA 13 300/95", "ha-one")
    assert "chua luu" not in single
