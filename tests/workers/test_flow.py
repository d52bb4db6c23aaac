"""One message end to end: webhook, store, worker, record, reply through the channel."""

from __future__ import annotations

from datetime import date

import time_machine
from sqlalchemy import func, select

from models.enums import InboundStatus, OutboundStatus
from models.ledger import Loan, Repayment
from models.messages import InboundMessage, OutboundMessage
from runtime.channels.console import ConsoleChannel
from tests.factories import SECRETARY_PHONE, make_board_club

NOW = "2026-11-21 09:00:00+07:00"


def _loan(session, club, number=12, principal=2_000_000):
    m = next(x for x in club.members if x.number == number)
    session.add(
        Loan(
            club_id=club.id,
            member_id=m.id,
            principal_vnd=principal,
            interest_pct_month=0,
            interest_method="flat",
            term_months=10,
            disbursed_on=date(2026, 9, 21),
        )
    )
    session.flush()


@time_machine.travel(NOW, tick=False)
def test_repayment_sms_is_stored_recorded_and_answered(client, session, run_jobs, rt):
    console = ConsoleChannel()
    rt.set_channel(console)
    club = make_board_club(session)
    _loan(session, club)
    resp = client.post(
        "/sms/inbound",
        data={
            "from": SECRETARY_PHONE,
            "to": "8085",
            "text": "Trả 12 450k",
            "id": "at-1",
            "date": "2026-11-21 02:00:00",
        },
    )
    assert resp.status_code == 200
    msg = session.scalar(select(InboundMessage).where(InboundMessage.provider_id == "at-1"))
    assert msg is not None and msg.status == InboundStatus.RECEIVED

    run_jobs()

    session.expire_all()
    assert session.get(InboundMessage, msg.id).status == InboundStatus.PROCESSED
    rep = session.scalars(select(Repayment)).one()
    assert rep.amount_vnd == 450_000
    reply = session.scalars(select(OutboundMessage)).one()
    assert reply.status == OutboundStatus.ACCEPTED
    assert reply.text.startswith("OK #")
    assert "TRA TV12 450.000d, con no 1.550.000d" in reply.text
    assert len(console.outbox) == 1 and console.outbox[0]["to"] == SECRETARY_PHONE


@time_machine.travel(NOW, tick=False)
def test_same_id_twenty_times_records_once_and_replies_once(client, session, run_jobs, rt):
    rt.set_channel(ConsoleChannel())
    club = make_board_club(session)
    _loan(session, club)
    form = {"from": SECRETARY_PHONE, "to": "8085", "text": "TRA 12 200k", "id": "dup-1"}
    for _ in range(20):
        assert client.post("/sms/inbound", data=form).status_code == 200
    run_jobs()
    assert session.scalar(select(func.count()).select_from(InboundMessage)) == 1
    assert session.scalar(select(func.count()).select_from(Repayment)) == 1
    assert session.scalar(select(func.count()).select_from(OutboundMessage)) == 1
