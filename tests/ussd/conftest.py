"""Drive /ussd exactly as Africa's Talking does: one form POST per hop, cumulative text."""

from __future__ import annotations

import itertools
import textwrap
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
import time_machine

from menus.encoding import fits_ussd
from models.clubs import Club, Member
from models.ledger import Loan, Repayment
from tests.factories import make_board_club
from tests.ussd.support import expected_lines

NOW = "2026-11-20 09:00:00+07:00"  # a Friday; the test club meets on the 21st
TODAY = date(2026, 11, 20)
_ids = itertools.count(1)


class Phone:
    """One handset dialling the service code: dial() starts a session, press() answers."""

    def __init__(self, client: Any, number: str, token: str | None = None) -> None:
        self.client, self.number, self.token = client, number, token
        self.session_id = ""
        self.inputs: list[str] = []

    def post(self, text: str, **extra: str) -> Any:
        form = {
            "sessionId": self.session_id,
            "serviceCode": "*384*123#",
            "phoneNumber": self.number,
            "networkCode": "45204",
            "text": text,
            **extra,
        }
        url = "/ussd" + (f"?token={self.token}" if self.token else "")
        return self.client.post(url, data=form)

    def _hop(self) -> str:
        resp = self.post("*".join(self.inputs))
        assert resp.status_code == 200, resp.get_data(as_text=True)
        assert resp.mimetype == "text/plain"
        body = resp.get_data(as_text=True)
        assert body.startswith(("CON ", "END ")), body
        assert fits_ussd(body[4:]), f"screen too long: {body!r}"
        return body

    def dial(self, session_id: str | None = None) -> str:
        self.session_id = session_id or f"ATUid_{next(_ids)}"
        self.inputs = []
        return self._hop()

    def dialled(self) -> Phone:
        """This phone after dial(), for tests that do not look at the first screen."""
        self.dial()
        return self

    def press(self, *answers: str) -> str:
        """Answer one screen after another; returns the last screen."""
        body = ""
        for answer in answers:
            self.inputs.append(answer)
            body = self._hop()
        return body

    def talk(self, script: str) -> None:
        """Play a transcript: "> 1" answers ("> " alone dials), "< ..." lines are the screen
        ("< @name": the lines of support.SCREENS[name])."""
        steps: list[tuple[str | None, list[str]]] = []
        for line in textwrap.dedent(script).strip("\n").splitlines():
            if line.startswith(">"):
                steps.append((line[1:].strip() or None, []))
            elif line.startswith("<"):
                steps[-1][1].extend(expected_lines(line))
        for answer, expected in steps:
            got = self.dial() if answer is None else self.press(answer)
            assert got == "\n".join(expected), f"after {answer!r}:\n{got}"


@pytest.fixture
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def club(session: Any, frozen: None) -> Club:
    return make_board_club(session)


@pytest.fixture
def phone(client: Any) -> Any:
    def make(number: str, token: str | None = None) -> Phone:
        return Phone(client, number, token)

    return make


def member(club: Club, number: int) -> Member:
    return next(m for m in club.members if m.number == number)


def set_language(session: Any, club: Club, lang: str, number: int = 12) -> Member:
    m = member(club, number)
    m.language = lang
    session.flush()
    return m


def add_loan(
    session: Any,
    club: Club,
    number: int = 12,
    principal: int = 2_000_000,
    disbursed: date = date(2026, 7, 21),
    paid: tuple[tuple[date, int], ...] = (),
) -> Loan:
    m = member(club, number)
    loan = Loan(
        club_id=club.id,
        member_id=m.id,
        principal_vnd=principal,
        interest_pct_month=0,
        interest_method="flat",
        term_months=10,
        disbursed_on=disbursed,
    )
    session.add(loan)
    session.flush()
    for on, amount in paid:
        session.add(
            Repayment(
                loan_id=loan.id, club_id=club.id, member_id=m.id, amount_vnd=amount, paid_on=on
            )
        )
    session.flush()
    return loan


def jobs(rt: Any) -> list[tuple[Any, ...]]:
    """The USSD forms stored and waiting in the inbound queue, as (phone, member id, command,
    form key)."""
    from sqlalchemy import select

    from models import db
    from models.messages import InboundMessage

    waiting = [
        j.args[0] for j in rt.queue("inbound").jobs if j.func_name.endswith("process_inbound")
    ]
    with db.new_session() as s:
        rows = s.scalars(
            select(InboundMessage)
            .where(InboundMessage.id.in_(waiting), InboundMessage.channel == "ussd")
            .order_by(InboundMessage.id)
        ).all()
        return [(m.sender, m.acting_member_id, m.text, m.provider_id) for m in rows]
