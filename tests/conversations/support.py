"""Helpers shared by the SMS tests: members and loans for a test club."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from models.clubs import Club, Member
from models.ledger import Loan


def member(session: Session, club: Club, number: int) -> Member:
    return next(m for m in club.members if m.number == number)


def give_loan(
    session: Session,
    club: Club,
    number: int = 12,
    principal: int = 2_000_000,
    disbursed_on: date = date(2026, 9, 21),
    term: int = 10,
) -> Loan:
    """An interest-free loan (the test club charges none) straight into the ledger."""
    loan = Loan(
        club_id=club.id,
        member_id=member(session, club, number).id,
        principal_vnd=principal,
        interest_pct_month=0,
        interest_method="flat",
        term_months=term,
        disbursed_on=disbursed_on,
    )
    session.add(loan)
    session.flush()
    return loan
