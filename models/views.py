"""Read-side views for the member screens (USSD) and self-service queries (SMS NO/SK/LICH/QUY).

Each view is one or two small indexed reads returning a frozen dataclass; menus/views.py turns
them into text. Also: who is calling from a phone, a club's roster, and member PINs.
"""

from __future__ import annotations

import calendar
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any, Protocol

from sqlalchemy import Date, Integer, bindparam, func, select
from sqlalchemy.orm import Session

from menus.text import given_name
from models.clubs import Club, Member, MemberRole, Supervisor
from models.enums import BPGrade, InterestMethod, MemberStatus
from models.health import grade_bp, grade_rank
from models.ledger import Instalment, Loan, Repayment, add_months, build_schedule, loan_state
from models.records import Attendance, FundContribution, HealthReading, Meeting

# A systolic change smaller than this, within the same grade, reads as "same".
TREND_SYSTOLIC_MMHG = 5


class MemberRef(Protocol):
    """What the club-level views need of a member (a Member row or a cached caller)."""

    @property
    def id(self) -> int: ...

    @property
    def club_id(self) -> int: ...


# Loans ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Payment:
    paid_on: date
    amount: int


@dataclass(frozen=True)
class LoanView:
    """The member's open loans together; last_payments newest first (any loan of theirs)."""

    open_loans: int
    balance: int
    next_due_on: date | None
    next_due_amount: int
    overdue_count: int
    overdue_amount: int
    last_payments: tuple[Payment, ...]


# Statements are built once with bound parameters, on table columns (Core, not ORM entities):
# building, keying and ORM-compiling a statement per call cost more than running it, and these
# run on every USSD hop.
_L, _R, _H = Loan.__table__.c, Repayment.__table__.c, HealthReading.__table__.c
_MEMBER = bindparam("member_id", type_=Integer)
_CLUB = bindparam("club_id", type_=Integer)
_TODAY = bindparam("today", type_=Date)
# One row per (loan, repayment), newest repayment first; a loan without any comes once with NULLs.
_LOANS = (
    select(
        _L.id,
        _L.principal_vnd,
        _L.interest_pct_month,
        _L.interest_method,
        _L.term_months,
        _L.disbursed_on,
        _R.amount_vnd,
        _R.paid_on,
    )
    .select_from(
        Loan.__table__.outerjoin(
            Repayment.__table__, (_R.loan_id == _L.id) & _R.voided_at.is_(None)
        )
    )
    .where(_L.member_id == _MEMBER, _L.voided_at.is_(None))
    .order_by(_R.paid_on.desc(), _R.id.desc())
)


def _run(session: Session, statement: Any, params: dict[str, Any]) -> Any:
    # Core statements need none of the ORM's execution layer, which doubles a small read's cost.
    return session.connection().execute(statement, params)


@lru_cache(maxsize=8192)
def _schedule(
    principal: int, pct: Decimal, method: str, term: int, disbursed_on: date
) -> list[Instalment]:
    """models.ledger.build_schedule, remembered: a member looks at the same loan hop after hop."""
    return build_schedule(principal, pct, InterestMethod(method), term, disbursed_on)


def loan_view(session: Session, member_id: int, today: date) -> LoanView:
    """Balance, next instalment, overdue and last three repayments, in one indexed read."""
    rows = _run(session, _LOANS, {"member_id": member_id}).all()
    loans = {row.id: row for row in rows}
    paid = dict.fromkeys(loans, 0)
    for row in rows:
        paid[row.id] += row.amount_vnd or 0
    states = []
    for row in loans.values():
        schedule = _schedule(
            row.principal_vnd,
            Decimal(row.interest_pct_month),
            str(row.interest_method),
            row.term_months,
            row.disbursed_on,
        )
        state = loan_state(schedule, paid[row.id], today)
        if state.balance > 0:
            states.append(state)
    # loan_state names the first overdue date when nothing is left to fall due: not "next".
    dues = [s.next_due_on for s in states if s.next_due_on is not None and s.next_due_on >= today]
    next_on = min(dues) if dues else None
    return LoanView(
        open_loans=len(states),
        balance=sum(s.balance for s in states),
        next_due_on=next_on,
        next_due_amount=sum(s.next_due_amount for s in states if s.next_due_on == next_on),
        overdue_count=sum(s.overdue_count for s in states),
        overdue_amount=sum(s.overdue_amount for s in states),
        last_payments=tuple(
            Payment(row.paid_on, row.amount_vnd) for row in rows if row.paid_on is not None
        )[:3],
    )


# Health --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Reading:
    taken_on: date
    systolic: int
    diastolic: int
    grade: str
    alert: str


@dataclass(frozen=True)
class HealthView:
    """Blood-pressure readings newest first; trend of the newest against the one before."""

    readings: tuple[Reading, ...]
    trend: str | None  # "up", "down", "same"; None with fewer than two readings


_READINGS = (
    select(_H.taken_on, _H.systolic, _H.diastolic, _H.grade, _H.alert)
    .where(
        _H.member_id == _MEMBER,
        _H.voided_at.is_(None),
        _H.systolic.is_not(None),
        _H.diastolic.is_not(None),
    )
    .order_by(_H.taken_on.desc(), _H.id.desc())
    .limit(bindparam("limit", type_=Integer))
)


def health_view(session: Session, member_id: int, limit: int = 3) -> HealthView:
    """The last blood-pressure readings with grade and alert, in one indexed read."""
    rows = _run(session, _READINGS, {"member_id": member_id, "limit": limit}).all()
    readings = tuple(
        Reading(
            r.taken_on,
            r.systolic,
            r.diastolic,
            r.grade or grade_bp(r.systolic, r.diastolic).value,
            r.alert,
        )
        for r in rows
    )
    return HealthView(readings, bp_trend(readings[0], readings[1]) if len(readings) > 1 else None)


def bp_trend(newer: Reading, older: Reading) -> str:
    """Up or down by grade when the grade changed, else by systolic beyond a small margin."""
    diff = grade_rank(BPGrade(newer.grade)) - grade_rank(BPGrade(older.grade))
    if diff == 0:
        delta = newer.systolic - older.systolic
        diff = 0 if abs(delta) < TREND_SYSTOLIC_MMHG else delta
    return "up" if diff > 0 else "down" if diff < 0 else "same"


# Meetings ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeetingView:
    next_on: date
    place: str | None
    attended: int  # meetings this year the member was present at
    held: int  # meetings the club held this year, up to today


def next_meeting(meeting_day: int, today: date) -> date:
    """The club's next monthly meeting on or after today (its day, or the month's last day)."""

    def in_month(d: date) -> date:
        return date(d.year, d.month, min(meeting_day, calendar.monthrange(d.year, d.month)[1]))

    this = in_month(today)
    return this if this >= today else in_month(add_months(today.replace(day=1), 1))


_YEAR_START = bindparam("year_start", type_=Date)
_MEETINGS = select(
    Club.meeting_day,
    Club.meeting_place,
    select(func.count(Meeting.id))
    .where(
        Meeting.club_id == _CLUB,
        Meeting.held_on.between(_YEAR_START, _TODAY),
        Meeting.voided_at.is_(None),
    )
    .scalar_subquery(),
    select(func.count())
    .select_from(Attendance)
    .join(Meeting, Meeting.id == Attendance.meeting_id)
    .where(
        Attendance.member_id == _MEMBER,
        Meeting.club_id == _CLUB,
        Meeting.held_on.between(_YEAR_START, _TODAY),
        Meeting.voided_at.is_(None),
    )
    .scalar_subquery(),
).where(Club.id == _CLUB)


def meeting_view(session: Session, member: MemberRef, today: date) -> MeetingView:
    """Next meeting day and place, and my attendance this year, in one read."""
    day, place, held, attended = _run(
        session,
        _MEETINGS,
        {
            "club_id": member.club_id,
            "member_id": member.id,
            "today": today,
            "year_start": date(today.year, 1, 1),
        },
    ).one()
    return MeetingView(next_meeting(day, today), place, attended or 0, held or 0)


# Fund ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FundView:
    balance: int  # opening + contributions + repayments - loans, all non-voided
    mine: int  # my contributions


def _total(column: Any, *where: Any) -> Any:
    return select(func.coalesce(func.sum(column), 0)).where(*where).scalar_subquery()


_FUND = select(
    Club.fund_opening_vnd,
    _total(
        FundContribution.amount_vnd,
        FundContribution.club_id == _CLUB,
        FundContribution.voided_at.is_(None),
        FundContribution.given_on <= _TODAY,
    ),
    _total(
        FundContribution.amount_vnd,
        FundContribution.member_id == _MEMBER,
        FundContribution.club_id == _CLUB,
        FundContribution.voided_at.is_(None),
        FundContribution.given_on <= _TODAY,
    ),
    _total(
        Repayment.amount_vnd,
        Repayment.club_id == _CLUB,
        Repayment.voided_at.is_(None),
        Repayment.paid_on <= _TODAY,
    ),
    _total(
        Loan.principal_vnd,
        Loan.club_id == _CLUB,
        Loan.voided_at.is_(None),
        Loan.disbursed_on <= _TODAY,
    ),
).where(Club.id == _CLUB)


def fund_view(session: Session, member: MemberRef, today: date) -> FundView:
    """The club fund balance and my contributions up to today, in one read."""
    row = _run(
        session, _FUND, {"club_id": member.club_id, "member_id": member.id, "today": today}
    ).one()
    opening, contributed, mine, repaid, lent = (int(v or 0) for v in row)
    return FundView(opening + contributed + repaid - lent, mine)


# Callers and rosters -------------------------------------------------------------------------


@dataclass(frozen=True)
class Caller:
    """One identity behind a phone: a member (of some club) or a supervisor."""

    kind: str  # "member" or "supervisor"
    id: int
    first_name: str
    language: str | None
    club_id: int = 0
    number: int = 0
    roles: frozenset[str] = frozenset()
    pin_required: bool = False
    has_pin: bool = False


_CALLERS = (
    select(
        Member.id,
        Member.club_id,
        Member.number,
        Member.full_name,
        Member.language,
        Member.pin_hash,
        Club.language,
        Club.pin_required,
        MemberRole.role,
    )
    .join(Club, Club.id == Member.club_id)
    .outerjoin(MemberRole, MemberRole.member_id == Member.id)
    .where(Member.phone == bindparam("phone"), Member.status == MemberStatus.ACTIVE)
    .order_by(Member.club_id, Member.number)
)
_SUPERVISOR = select(Supervisor.id, Supervisor.name, Supervisor.language).where(
    Supervisor.phone == bindparam("phone"), Supervisor.active
)


def callers(session: Session, phone: str) -> tuple[Caller, ...]:
    """Active members on this phone (club, then card number), then an active supervisor."""
    rows = _run(session, _CALLERS, {"phone": phone}).all()
    roles: dict[int, set[str]] = {}
    for r in rows:
        got = roles.setdefault(r[0], set())
        if r[8] is not None:
            got.add(r[8])
    seen = {r[0]: r for r in rows}  # one row per member and role: keep each member once
    out = [
        Caller(
            kind="member",
            id=r[0],
            club_id=r[1],
            number=r[2],
            first_name=given_name(r[3]),
            language=r[4] or r[6],
            roles=frozenset(roles[r[0]]),
            pin_required=bool(r[7]),
            has_pin=bool(r[5]),
        )
        for r in seen.values()
    ]
    sup = _run(session, _SUPERVISOR, {"phone": phone}).first()
    if sup is not None:
        out.append(
            Caller(kind="supervisor", id=sup[0], first_name=given_name(sup[1]), language=sup[2])
        )
    return tuple(out)


_ROSTER = select(Member.number, Member.full_name).where(
    Member.club_id == _CLUB, Member.status == MemberStatus.ACTIVE
)


def club_roster(session: Session, club_id: int) -> dict[int, str]:
    """Card number -> first name of the club's active members."""
    return {
        number: given_name(full) for number, full in _run(session, _ROSTER, {"club_id": club_id})
    }


# PINs ----------------------------------------------------------------------------------------

PIN_ITERATIONS = 20_000  # about 13 ms a try: a 4-digit PIN is really guarded by the lock-out


def hash_pin(pin: str, *, salt: bytes | None = None, iterations: int = PIN_ITERATIONS) -> str:
    """ "pbkdf2_sha256$<iterations>$<salt hex>$<hash hex>" for a PIN."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, iterations)
    return f"pbkdf2_sha256${iterations}${salt.hex()}${digest.hex()}"


def verify_pin(pin: str, stored: str | None) -> bool:
    """True when pin matches a hash_pin() value; False for anything malformed."""
    try:
        algo, iterations, salt, digest = (stored or "").split("$")
        if algo != "pbkdf2_sha256":
            return False
        got = hashlib.pbkdf2_hmac("sha256", pin.encode(), bytes.fromhex(salt), int(iterations))
    except ValueError:
        return False
    return hmac.compare_digest(got.hex(), digest)


def set_pin(session: Session, member: Member, pin: str | None) -> None:
    """Give a member a 4-digit PIN (None removes it)."""
    if pin is not None and not (len(pin) == 4 and pin.isascii() and pin.isdigit()):
        raise ValueError("a PIN is 4 digits")
    member.pin_hash = hash_pin(pin) if pin is not None else None
    session.flush()


def check_pin(session: Session, member_id: int, pin: str) -> bool:
    """Whether pin is this member's PIN."""
    stored = session.scalar(select(Member.pin_hash).where(Member.id == member_id))
    return verify_pin(pin, stored)
