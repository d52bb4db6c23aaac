"""Records for summary tests, written straight into the tables (no SMS round trip)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from itertools import count

from sqlalchemy.orm import Session

from menus.clock import VN_TZ, utcnow
from models.clubs import Club, Member
from models.enums import RequestStatus
from models.health import bp_alert, grade_bp
from models.ledger import Loan, Repayment
from models.records import (
    Activity,
    Attendance,
    HealthReading,
    HelpRequest,
    HomeVisit,
    Meeting,
    Report,
)

_refs = count(1)


def member(session: Session, club: Club, number: int) -> Member:
    found = next((m for m in club.members if m.number == number), None)
    assert found is not None, f"no member {number} in {club.code}"
    return found


def meeting(session: Session, club: Club, held_on: date, present: list[int]) -> Meeting:
    mtg = Meeting(club_id=club.id, held_on=held_on)
    session.add(mtg)
    session.flush()
    session.add_all(
        Attendance(meeting_id=mtg.id, member_id=member(session, club, n).id) for n in present
    )
    session.flush()
    return mtg


def reading(
    session: Session,
    club: Club,
    number: int,
    taken_on: date,
    bp: tuple[int, int] = (130, 85),
    *,
    voided: bool = False,
) -> HealthReading:
    sys_, dia = bp
    row = HealthReading(
        club_id=club.id,
        member_id=member(session, club, number).id,
        taken_on=taken_on,
        systolic=sys_,
        diastolic=dia,
        grade=grade_bp(sys_, dia).value,
        alert=bp_alert(sys_, dia).value,
        voided_at=utcnow() if voided else None,
    )
    session.add(row)
    session.flush()
    return row


def loan(
    session: Session,
    club: Club,
    number: int,
    principal: int,
    disbursed_on: date,
    term: int = 12,
    pct: str = "0",
) -> Loan:
    row = Loan(
        club_id=club.id,
        member_id=member(session, club, number).id,
        principal_vnd=principal,
        interest_pct_month=Decimal(pct),
        interest_method="flat",
        term_months=term,
        disbursed_on=disbursed_on,
    )
    session.add(row)
    session.flush()
    return row


def repay(
    session: Session, ln: Loan, amount: int, paid_on: date, *, voided: bool = False
) -> Repayment:
    row = Repayment(
        loan_id=ln.id,
        club_id=ln.club_id,
        member_id=ln.member_id,
        amount_vnd=amount,
        paid_on=paid_on,
        voided_at=utcnow() if voided else None,
    )
    session.add(row)
    session.flush()
    return row


def activity(session: Session, club: Club, area: int, held_on: date) -> None:
    session.add(Activity(club_id=club.id, area=area, held_on=held_on, people=20))
    session.flush()


def visit(session: Session, club: Club, number: int, visited_on: date) -> None:
    session.add(
        HomeVisit(
            club_id=club.id,
            member_id=member(session, club, number).id,
            volunteer_member_id=member(session, club, 4).id,
            visited_on=visited_on,
        )
    )
    session.flush()


def help_request(
    session: Session, club: Club, number: int, on: date, *, done: bool = False
) -> None:
    session.add(
        HelpRequest(
            club_id=club.id,
            member_id=member(session, club, number).id,
            kind="ill",
            created_at=vn_noon(on),
            status=RequestStatus.DONE if done else RequestStatus.OPEN,
        )
    )
    session.flush()


def report(session: Session, club: Club, on: date, *, cancelled: bool = False) -> Report:
    n = next(_refs)
    row = Report(
        club_id=club.id,
        ref=f"R{n:03d}"[-4:],
        source_key=f"test:{n}",
        created_at=vn_noon(on),
        cancelled_at=vn_noon(on) + timedelta(hours=1) if cancelled else None,
    )
    session.add(row)
    session.flush()
    return row


def vn_noon(on: date) -> datetime:
    return datetime.combine(on, time(12), tzinfo=VN_TZ).astimezone(UTC)
