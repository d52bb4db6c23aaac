"""The staff console's data: administrators, SMS login codes, console sessions, the audit of what
staff looked at (Decree 13/2023), the handling of red alerts and help requests, and the figures
an area's pages show.

Plain functions on a Session, like the rest of models/: the web pages call them, and an SMS
command can call the same ones (close_alert for XONG <ref>). Figures are set-based: a fixed
number of statements whatever the number of clubs.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from typing import Any, Protocol

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    and_,
    case,
    func,
    or_,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from menus.clock import to_vn, utcnow
from menus.i18n import resolve_language, t
from models.admin import supervisor_club_ids
from models.clubs import Club, Member, MemberRole, Supervisor
from models.db import Base
from models.enums import (
    AlertLevel,
    InterestMethod,
    MemberStatus,
    OutboundKind,
    RequestStatus,
)
from models.ledger import Instalment, Loan, Repayment, add_months, build_schedule, loan_state
from models.messages import InboundMessage, OutboundMessage
from models.outbox import queue_message
from models.places import Commune, Province
from models.records import (
    Activity,
    Attendance,
    FundContribution,
    HealthReading,
    HelpRequest,
    HomeVisit,
    Meeting,
    Report,
)
from models.stats import (
    AREAS,
    AreaMonth,
    ClubFilter,
    ClubMonth,
    clubs_month_summaries,
    month_to_date,
)

CODE_TTL = timedelta(minutes=10)
CODE_DIGITS = 6
MAX_CODE_TRIES = 5  # wrong codes before the code is locked
LOCK_TIME = timedelta(minutes=15)  # after a locked code, no new code for this phone
ALERT_DAYS = 30  # a red reading older than this is history, not an open alert
TREND_MONTHS = 12
OLDER_AGE = 60  # "older" members as the law counts them (programmes often say 55+)
REDACTED = "******"


class AccountKind(StrEnum):
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class AlertKind(StrEnum):
    RED = "red"  # a red blood-pressure reading
    HELP = "help"  # a help request (NHO)


class Outcome(StrEnum):
    """What the member who asked for help is told."""

    COMING = "coming"
    CAME = "came"


# Tables --------------------------------------------------------------------------------------


class ConsoleAdmin(Base):
    """An administrator: password (argon2) plus an SMS code; a province, or the whole country."""

    __tablename__ = "console_admins"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160))
    phone: Mapped[str] = mapped_column(String(16), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    province_code: Mapped[str | None] = mapped_column(ForeignKey("provinces.code"))
    language: Mapped[str] = mapped_column(String(16), default="vi")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LoginCode(Base):
    """A 6-digit code sent by SMS: kept only as a keyed hash, single-use, 10 minutes."""

    __tablename__ = "console_login_codes"
    __table_args__ = (Index("ix_console_login_codes_phone_created", "phone", "created_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(16))
    account_kind: Mapped[str] = mapped_column(String(12))
    account_id: Mapped[int] = mapped_column(Integer)
    code_hash: Mapped[str] = mapped_column(String(100))
    outbound_id: Mapped[int | None] = mapped_column(ForeignKey("outbound_messages.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column()
    failed_tries: Mapped[int] = mapped_column(Integer, default=0)
    locked_at: Mapped[datetime | None] = mapped_column()


class ConsoleSession(Base):
    """A signed-in browser: the cookie holds a random token, the table its hash and its end."""

    __tablename__ = "console_sessions"
    __table_args__ = (Index("ix_console_sessions_account", "account_kind", "account_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_kind: Mapped[str] = mapped_column(String(12))
    account_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()
    ended_at: Mapped[datetime | None] = mapped_column()


class ConsoleAudit(Base):
    """Who looked at or changed what, and when: member pages with health values among them."""

    __tablename__ = "console_audit"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_kind: Mapped[str] = mapped_column(String(12))
    actor_id: Mapped[int] = mapped_column(Integer)
    actor_name: Mapped[str] = mapped_column(String(160))
    action: Mapped[str] = mapped_column(String(40))
    club_id: Mapped[int | None] = mapped_column(ForeignKey("clubs.id"), index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), index=True)
    entity_id: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[str | None] = mapped_column(Text)


class AlertHandling(Base):
    """A red alert or help request marked handled: who, when, a note, and the SMS sent."""

    __tablename__ = "alert_handlings"
    __table_args__ = (
        CheckConstraint(
            "(kind = 'red' AND reading_id IS NOT NULL AND help_request_id IS NULL)"
            " OR (kind = 'help' AND help_request_id IS NOT NULL AND reading_id IS NULL)",
            name="target",
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    reading_id: Mapped[int | None] = mapped_column(ForeignKey("health_readings.id"), unique=True)
    help_request_id: Mapped[int | None] = mapped_column(ForeignKey("help_requests.id"), unique=True)
    club_id: Mapped[int] = mapped_column(ForeignKey("clubs.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    handled_at: Mapped[datetime] = mapped_column(default=utcnow)
    handled_by: Mapped[str] = mapped_column(String(160))
    outcome: Mapped[str | None] = mapped_column(String(12))
    note: Mapped[str | None] = mapped_column(Text)
    outbound_id: Mapped[int | None] = mapped_column(ForeignKey("outbound_messages.id"))


# Passwords -----------------------------------------------------------------------------------


def hash_password(password: str) -> str:
    from argon2 import PasswordHasher

    return PasswordHasher().hash(password)


def verify_password(password: str, stored: str | None) -> bool:
    """True when password matches the argon2 hash; False for anything else."""
    from argon2 import PasswordHasher
    from argon2.exceptions import Argon2Error, InvalidHashError

    if not stored:
        return False
    try:
        return PasswordHasher().verify(stored, password)
    except (Argon2Error, InvalidHashError, ValueError):
        return False


def add_admin(
    session: Session, *, name: str, phone: str, password: str, province_code: str | None = None
) -> ConsoleAdmin:
    admin = ConsoleAdmin(
        name=name,
        phone=phone,
        password_hash=hash_password(password),
        province_code=province_code,
    )
    session.add(admin)
    session.flush()
    return admin


# Accounts and what they see -----------------------------------------------------------------


@dataclass(frozen=True)
class Viewer:
    """A signed-in supervisor or administrator and the clubs they see (None: every club)."""

    kind: AccountKind
    id: int
    name: str
    phone: str
    language: str
    club_ids: frozenset[int] | None
    province_code: str | None = None

    def sees(self, club_id: int | None) -> bool:
        return club_id is not None and (self.club_ids is None or club_id in self.club_ids)

    @property
    def label(self) -> str:
        return f"{self.name} ({self.kind})"


def find_account(session: Session, kind: AccountKind, phone: str) -> int | None:
    """The active account of this kind on this phone, if any."""
    if kind == AccountKind.SUPERVISOR:
        return session.scalar(
            select(Supervisor.id).where(Supervisor.phone == phone, Supervisor.active)
        )
    return session.scalar(
        select(ConsoleAdmin.id).where(ConsoleAdmin.phone == phone, ConsoleAdmin.active)
    )


def load_viewer(session: Session, kind: str, account_id: int) -> Viewer | None:
    """The account behind a console session, with its clubs; None once it is deactivated."""
    if kind == AccountKind.SUPERVISOR:
        sup = session.get(Supervisor, account_id)
        if sup is None or not sup.active:
            return None
        ids = frozenset(supervisor_club_ids(session, sup.id))
        return Viewer(AccountKind.SUPERVISOR, sup.id, sup.name, sup.phone, sup.language, ids)
    if kind == AccountKind.ADMIN:
        admin = session.get(ConsoleAdmin, account_id)
        if admin is None or not admin.active:
            return None
        ids = None
        if admin.province_code:
            ids = frozenset(
                session.scalars(select(Club.id).where(Club.province_code == admin.province_code))
            )
        return Viewer(
            AccountKind.ADMIN,
            admin.id,
            admin.name,
            admin.phone,
            admin.language,
            ids,
            admin.province_code,
        )
    return None


def scope_ids(viewer: Viewer) -> list[int] | None:
    return None if viewer.club_ids is None else sorted(viewer.club_ids)


# Login codes ---------------------------------------------------------------------------------


def _digest(pepper: bytes, salt: str, phone: str, code: str) -> str:
    return hmac.new(pepper, f"{salt}:{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def phone_locked_until(session: Session, phone: str, now: datetime) -> datetime | None:
    """When a phone whose code was locked by wrong tries may ask for a new code again."""
    locked = session.scalar(
        select(func.max(LoginCode.locked_at)).where(
            LoginCode.phone == phone, LoginCode.locked_at > now - LOCK_TIME
        )
    )
    return None if locked is None else _aware(locked) + LOCK_TIME


def _aware(moment: datetime) -> datetime:
    from datetime import UTC

    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class IssuedCode:
    code_id: int
    outbound_id: int


def issue_code(
    session: Session,
    *,
    phone: str,
    kind: AccountKind,
    account_id: int,
    pepper: bytes,
    language: str,
    now: datetime | None = None,
) -> IssuedCode:
    """A new code for the phone (earlier unused ones stop working) and its SMS in the outbox.

    The caller enqueues the send after commit. The SMS text holds the code until it is used,
    when the outbox row is redacted; the code table keeps only a keyed hash.
    """
    now = now or utcnow()
    for old in session.scalars(
        select(LoginCode).where(
            LoginCode.phone == phone, LoginCode.used_at.is_(None), LoginCode.expires_at > now
        )
    ):
        old.expires_at = now
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    salt = secrets.token_hex(8)
    lang = resolve_language(language)
    minutes = int(CODE_TTL.total_seconds() // 60)
    outbound_id = queue_message(
        session,
        to=phone,
        text=t(lang, "console.sms.code", code=code, minutes=minutes),
        kind=OutboundKind.CONFIRMATION,
        language=lang,
    )
    assert outbound_id is not None
    row = LoginCode(
        phone=phone,
        account_kind=kind.value,
        account_id=account_id,
        code_hash=f"{salt}${_digest(pepper, salt, phone, code)}",
        outbound_id=outbound_id,
        created_at=now,
        expires_at=now + CODE_TTL,
        failed_tries=0,
    )
    session.add(row)
    session.flush()
    return IssuedCode(row.id, outbound_id)


class CodeResult(StrEnum):
    OK = "ok"
    WRONG = "wrong"
    LOCKED = "locked"
    EXPIRED = "expired"  # or superseded, used, or never sent


@dataclass(frozen=True)
class CodeCheck:
    result: CodeResult
    kind: AccountKind | None = None
    account_id: int | None = None
    tries_left: int = 0


def check_code(
    session: Session,
    *,
    phone: str,
    kind: AccountKind,
    code: str,
    pepper: bytes,
    now: datetime | None = None,
) -> CodeCheck:
    """Check a typed code against the phone's latest one; five wrong tries lock it."""
    now = now or utcnow()
    row = session.scalar(
        select(LoginCode)
        .where(LoginCode.phone == phone, LoginCode.account_kind == kind.value)
        .order_by(LoginCode.id.desc())
        .limit(1)
        .with_for_update()
    )
    if row is None or row.used_at is not None:
        return CodeCheck(CodeResult.EXPIRED)
    if row.locked_at is not None or row.failed_tries >= MAX_CODE_TRIES:
        return CodeCheck(CodeResult.LOCKED)
    if _aware(row.expires_at) <= now:
        return CodeCheck(CodeResult.EXPIRED)
    salt, _, digest = row.code_hash.partition("$")
    typed = re.sub(r"\D", "", code)
    if not hmac.compare_digest(_digest(pepper, salt, phone, typed), digest):
        row.failed_tries += 1
        if row.failed_tries >= MAX_CODE_TRIES:
            row.locked_at = now
            return CodeCheck(CodeResult.LOCKED)
        return CodeCheck(CodeResult.WRONG, tries_left=MAX_CODE_TRIES - row.failed_tries)
    row.used_at = now
    if row.outbound_id is not None:
        out = session.get(OutboundMessage, row.outbound_id)
        if out is not None:
            out.text = out.text.replace(typed, REDACTED)
    return CodeCheck(CodeResult.OK, AccountKind(row.account_kind), row.account_id)


# Sessions ------------------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(
    session: Session,
    kind: AccountKind,
    account_id: int,
    lifetime: timedelta,
    now: datetime | None = None,
) -> str:
    """A new console session; returns the token for the cookie (only its hash is stored)."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    session.add(
        ConsoleSession(
            token_hash=_token_hash(token),
            account_kind=kind.value,
            account_id=account_id,
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    session.flush()
    return token


def find_session(
    session: Session, token: str, now: datetime | None = None
) -> ConsoleSession | None:
    now = now or utcnow()
    row = session.scalar(
        select(ConsoleSession).where(ConsoleSession.token_hash == _token_hash(token))
    )
    if row is None or row.ended_at is not None or _aware(row.expires_at) <= now:
        return None
    return row


def end_session(session: Session, token: str, now: datetime | None = None) -> None:
    row = session.scalar(
        select(ConsoleSession).where(ConsoleSession.token_hash == _token_hash(token))
    )
    if row is not None and row.ended_at is None:
        row.ended_at = now or utcnow()


# Audit ---------------------------------------------------------------------------------------


def audit(
    session: Session,
    viewer: Viewer,
    action: str,
    *,
    club_id: int | None = None,
    member_id: int | None = None,
    entity_id: int | None = None,
    detail: str | None = None,
) -> None:
    session.add(
        ConsoleAudit(
            actor_kind=viewer.kind.value,
            actor_id=viewer.id,
            actor_name=viewer.name,
            action=action,
            club_id=club_id,
            member_id=member_id,
            entity_id=entity_id,
            detail=detail,
            at=utcnow(),
        )
    )


# Loans ---------------------------------------------------------------------------------------


@lru_cache(maxsize=65536)
def _schedule(
    principal: int, pct: Decimal, method: str, term: int, disbursed_on: date
) -> tuple[Instalment, ...]:
    return tuple(build_schedule(principal, pct, InterestMethod(method), term, disbursed_on))


def _loan_schedule(loan: Any) -> list[Instalment]:
    return list(
        _schedule(
            loan.principal_vnd,
            Decimal(loan.interest_pct_month),
            str(loan.interest_method),
            loan.term_months,
            loan.disbursed_on,
        )
    )


# The area overview ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Indicators:
    """The national programme's indicators for an area, as of a day."""

    clubs: int
    all8_met: int  # clubs active in all 8 areas that met in the period
    members: int  # active members
    women: int
    older: int  # OLDER_AGE or more this year
    younger: int
    age_unknown: int
    with_loan: int  # members holding a loan with something left to pay
    screened: int  # members with a blood-pressure reading in the period
    homecare_clients: int  # members visited at home in the period
    home_visits: int
    fund_vnd: int  # opening + contributions + repayments - loans, all clubs

    @staticmethod
    def share(part: int, whole: int) -> int | None:
        return round(100 * part / whole) if whole else None


@dataclass(frozen=True)
class ClubInfo:
    id: int
    code: str
    name: str
    commune: str | None
    province: str
    founded_on: date | None


@dataclass(frozen=True)
class Overview:
    today: date
    month: AreaMonth
    indicators: Indicators
    info: Mapping[int, ClubInfo]


def club_infos(session: Session, club_ids: Iterable[int] | None) -> dict[int, ClubInfo]:
    clubs = ClubFilter(session, club_ids)
    if clubs.empty:
        return {}
    q = (
        select(Club.id, Club.code, Club.name, Commune.name, Province.name, Club.founded_on)
        .join(Province, Province.code == Club.province_code)
        .outerjoin(Commune, Commune.code == Club.commune_code)
        .where(clubs(Club.id))
    )
    return {r[0]: ClubInfo(*r) for r in session.execute(q)}


def indicators(
    session: Session,
    club_ids: Iterable[int] | None,
    start: date,
    end: date,
    months: Mapping[int, ClubMonth],
) -> Indicators:
    """Members by group, loans held, screening and home-care coverage, fund: four statements."""
    clubs = ClubFilter(session, club_ids)
    older_born = end.year - OLDER_AGE
    active = and_(
        Member.status == MemberStatus.ACTIVE,
        or_(Member.joined_on.is_(None), Member.joined_on <= end),
    )
    groups = session.execute(
        select(
            func.count(),
            func.sum(case((Member.sex == "F", 1), else_=0)),
            func.sum(case((Member.birth_year <= older_born, 1), else_=0)),
            func.sum(case((Member.birth_year > older_born, 1), else_=0)),
        ).where(clubs(Member.club_id), active)
    ).one()
    members, women, older, younger = (int(v or 0) for v in groups)
    screened = (
        session.scalar(
            select(func.count(func.distinct(HealthReading.member_id))).where(
                clubs(HealthReading.club_id),
                HealthReading.taken_on.between(start, end),
                HealthReading.voided_at.is_(None),
            )
        )
        or 0
    )
    clients = (
        session.scalar(
            select(func.count(func.distinct(HomeVisit.member_id))).where(
                clubs(HomeVisit.club_id),
                HomeVisit.visited_on.between(start, end),
                HomeVisit.voided_at.is_(None),
            )
        )
        or 0
    )
    paid = (
        select(Repayment.loan_id.label("loan_id"), func.sum(Repayment.amount_vnd).label("paid"))
        .where(clubs(Repayment.club_id), Repayment.paid_on <= end, Repayment.voided_at.is_(None))
        .group_by(Repayment.loan_id)
        .subquery("paid")
    )
    borrowers: set[int] = set()
    for member_id, principal, pct, method, term, disbursed, paid_sum in session.execute(
        select(
            Loan.member_id,
            Loan.principal_vnd,
            Loan.interest_pct_month,
            Loan.interest_method,
            Loan.term_months,
            Loan.disbursed_on,
            func.coalesce(paid.c.paid, 0),
        )
        .outerjoin(paid, paid.c.loan_id == Loan.id)
        .join(Member, Member.id == Loan.member_id)
        .where(
            clubs(Loan.club_id),
            Loan.voided_at.is_(None),
            Loan.disbursed_on <= end,
            Member.status == MemberStatus.ACTIVE,
        )
    ):
        total = sum(i.amount for i in _schedule(principal, Decimal(pct), method, term, disbursed))
        if paid_sum < total:
            borrowers.add(member_id)
    fund = _fund_by_club(session, clubs, end)
    ordered = list(months.values())
    return Indicators(
        clubs=len(ordered),
        all8_met=sum(1 for c in ordered if c.all_areas and c.meetings),
        members=members,
        women=women,
        older=older,
        younger=younger,
        age_unknown=members - older - younger,
        with_loan=len(borrowers),
        screened=int(screened),
        homecare_clients=int(clients),
        home_visits=sum(c.home_visits for c in ordered),
        fund_vnd=sum(fund.values()),
    )


def _fund_by_club(session: Session, clubs: ClubFilter, day: date) -> dict[int, int]:
    """Each club's fund on day, as QUY counts it (models.views.fund_view), in one statement."""

    def total(model: Any, amount: Any, on: Any, name: str) -> Any:
        return (
            select(model.club_id.label("club_id"), func.sum(amount).label("vnd"))
            .where(clubs(model.club_id), on <= day, model.voided_at.is_(None))
            .group_by(model.club_id)
            .subquery(name)
        )

    gifts = total(FundContribution, FundContribution.amount_vnd, FundContribution.given_on, "g")
    repaid = total(Repayment, Repayment.amount_vnd, Repayment.paid_on, "r")
    lent = total(Loan, Loan.principal_vnd, Loan.disbursed_on, "l")
    q = (
        select(
            Club.id,
            Club.fund_opening_vnd
            + func.coalesce(gifts.c.vnd, 0)
            + func.coalesce(repaid.c.vnd, 0)
            - func.coalesce(lent.c.vnd, 0),
        )
        .outerjoin(gifts, gifts.c.club_id == Club.id)
        .outerjoin(repaid, repaid.c.club_id == Club.id)
        .outerjoin(lent, lent.c.club_id == Club.id)
        .where(clubs(Club.id))
    )
    return {cid: int(v or 0) for cid, v in session.execute(q)}


def area_overview(session: Session, club_ids: Iterable[int] | None, today: date) -> Overview:
    """This month so far for the clubs: the same figures as BC (models.stats), the programme's
    indicators, and the clubs' names; a fixed number of statements."""
    ids = None if club_ids is None else sorted(set(club_ids))
    start, end = month_to_date(today)
    months = clubs_month_summaries(session, ids, start, end) if ids != [] else {}
    info = club_infos(session, ids)
    return Overview(
        today=today,
        month=AreaMonth.build(0, start, end, months.values()),
        indicators=indicators(session, ids, start, end, months),
        info=info,
    )


@dataclass(frozen=True)
class TrendPoint:
    """One month of the trend charts (the current month so far, the earlier ones whole)."""

    month: str  # "2026-11"
    clubs: int
    reported: int
    attendance_pct: int | None
    repaid_vnd: int
    overdue_loans: int
    overdue_vnd: int
    red_alerts: int
    all8_met: int
    open_help: int

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class TrendCache(Protocol):
    def get(self, key: str) -> dict[str, Any] | None: ...

    def set(self, key: str, value: dict[str, Any]) -> None: ...


def _month_end(start: date) -> date:
    return add_months(start, 1) - timedelta(days=1)


def trend_point(
    session: Session,
    ids: list[int] | None,
    infos: Mapping[int, ClubInfo],
    start: date,
    end: date,
) -> TrendPoint:
    """A month's figures as the Excel export counts them: the clubs founded by its end."""
    existing = [c for c, i in infos.items() if i.founded_on is None or i.founded_on <= end]
    figures = clubs_month_summaries(session, ids, start, end) if existing else {}
    area = AreaMonth.build(0, start, end, (figures[c] for c in existing if c in figures))
    return TrendPoint(
        month=f"{start.year:04d}-{start.month:02d}",
        clubs=area.club_count,
        reported=area.reported,
        attendance_pct=area.attendance_pct,
        repaid_vnd=area.repaid_vnd,
        overdue_loans=area.overdue_loans,
        overdue_vnd=area.overdue_vnd,
        red_alerts=area.red_alerts,
        all8_met=sum(1 for c in area.clubs if c.all_areas and c.meetings),
        open_help=area.open_help,
    )


def area_trend(
    session: Session,
    club_ids: Iterable[int] | None,
    today: date,
    *,
    months: int = TREND_MONTHS,
    cache: TrendCache | None = None,
    cache_key: str = "",
) -> list[TrendPoint]:
    """The last `months` months, oldest first, ending with this month so far: two statements a
    month (models.stats), or none for a finished month the cache holds."""
    ids = None if club_ids is None else sorted(set(club_ids))
    infos = club_infos(session, ids) if ids != [] else {}
    first = add_months(today.replace(day=1), -(months - 1))
    out: list[TrendPoint] = []
    for k in range(months):
        start = add_months(first, k)
        current = k == months - 1
        end = today if current else _month_end(start)
        key = f"{cache_key}:{start.isoformat()}"
        if cache is not None and not current:
            hit = cache.get(key)
            if hit is not None:
                out.append(TrendPoint(**hit))
                continue
        point = trend_point(session, ids, infos, start, end)
        if cache is not None and not current:
            cache.set(key, point.as_dict())
        out.append(point)
    return out


# A club --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoanRow:
    id: int
    member_id: int
    member_number: int
    member_name: str
    principal: int
    pct: Decimal
    method: str
    term: int
    disbursed_on: date
    paid: int
    total_due: int
    balance: int
    overdue_count: int
    overdue_amount: int
    next_due_on: date | None
    next_due_amount: int


@dataclass(frozen=True)
class MemberRow:
    id: int
    number: int
    full_name: str
    sex: str | None
    birth_year: int | None
    phone: str | None
    roles: tuple[str, ...]
    active: bool
    loan_balance: int
    loan_overdue: int
    last_reading: tuple[date, int, int, str | None, str] | None  # date, sys, dia, grade, alert
    attended: int  # of the last meetings counted in ClubDetail.meetings_counted


@dataclass(frozen=True)
class ReportRow:
    id: int
    ref: str
    created_at: datetime
    summary: str
    reporter: str | None
    cancelled: bool
    text: str | None  # the SMS or USSD form it came from
    replies: tuple[tuple[str, str], ...]  # (text, status) of the replies sent


@dataclass
class ClubDetail:
    club: Club
    commune: str | None
    province: str
    month: ClubMonth
    members: list[MemberRow]
    loans: list[LoanRow]
    meetings: list[tuple[date, int]]  # newest first: held_on, present
    meetings_counted: int
    readings_by_month: list[tuple[str, int, int]]  # month, readings, red
    areas: dict[int, tuple[int, int, date | None]]  # area -> activities, people, last date
    fund: dict[str, int]
    reports: list[ReportRow]
    open_alerts: list[AlertRow] = field(default_factory=list)


def _roles(session: Session, member_ids: Sequence[int]) -> dict[int, list[str]]:
    out: dict[int, list[str]] = defaultdict(list)
    if member_ids:
        for mid, role in session.execute(
            select(MemberRole.member_id, MemberRole.role).where(
                MemberRole.member_id.in_(member_ids)
            )
        ):
            out[mid].append(role)
    return out


ROLE_ORDER = ("chair", "vice_chair", "secretary", "treasurer", "health_volunteer",
              "homecare_volunteer")  # fmt: skip


def club_loans(
    session: Session, club_id: int, today: date, *, member_id: int | None = None
) -> list[LoanRow]:
    """A club's (or one member's) non-voided loans with their state today, newest first."""
    paid = (
        select(Repayment.loan_id.label("loan_id"), func.sum(Repayment.amount_vnd).label("paid"))
        .where(Repayment.club_id == club_id, Repayment.voided_at.is_(None))
        .group_by(Repayment.loan_id)
        .subquery("paid")
    )
    q = (
        select(Loan, Member.number, Member.full_name, func.coalesce(paid.c.paid, 0))
        .join(Member, Member.id == Loan.member_id)
        .outerjoin(paid, paid.c.loan_id == Loan.id)
        .where(Loan.club_id == club_id, Loan.voided_at.is_(None))
        .order_by(Loan.disbursed_on.desc(), Loan.id.desc())
    )
    if member_id is not None:
        q = q.where(Loan.member_id == member_id)
    out = []
    for loan, number, name, paid_sum in session.execute(q):
        schedule = _loan_schedule(loan)
        st = loan_state(schedule, int(paid_sum), today)
        out.append(
            LoanRow(
                id=loan.id,
                member_id=loan.member_id,
                member_number=number,
                member_name=name,
                principal=loan.principal_vnd,
                pct=Decimal(loan.interest_pct_month),
                method=loan.interest_method,
                term=loan.term_months,
                disbursed_on=loan.disbursed_on,
                paid=int(paid_sum),
                total_due=st.total_due,
                balance=st.balance,
                overdue_count=st.overdue_count,
                overdue_amount=st.overdue_amount,
                next_due_on=st.next_due_on,
                next_due_amount=st.next_due_amount,
            )
        )
    return out


def club_detail(session: Session, club_id: int, today: date, *, meetings: int = 12) -> ClubDetail:
    """Everything the club page shows, in a fixed number of statements."""
    from models.stats import club_month_summary

    club = session.get(Club, club_id)
    if club is None:
        raise LookupError(club_id)
    commune = session.scalar(select(Commune.name).where(Commune.code == club.commune_code))
    province = session.scalar(select(Province.name).where(Province.code == club.province_code))
    month = club_month_summary(session, club_id, today)
    members = session.scalars(
        select(Member).where(Member.club_id == club_id).order_by(Member.number)
    ).all()
    roles = _roles(session, [m.id for m in members])
    loans = club_loans(session, club_id, today)
    by_member: dict[int, list[LoanRow]] = defaultdict(list)
    for ln in loans:
        by_member[ln.member_id].append(ln)
    # The latest reading of each member.
    latest = (
        select(HealthReading.member_id, func.max(HealthReading.taken_on).label("on"))
        .where(
            HealthReading.club_id == club_id,
            HealthReading.voided_at.is_(None),
            HealthReading.systolic.is_not(None),
        )
        .group_by(HealthReading.member_id)
        .subquery()
    )
    last: dict[int, tuple[date, int, int, str | None, str]] = {}
    for mid, on, sys_, dia, grade, alert in session.execute(
        select(
            HealthReading.member_id,
            HealthReading.taken_on,
            HealthReading.systolic,
            HealthReading.diastolic,
            HealthReading.grade,
            HealthReading.alert,
        )
        .join(
            latest,
            and_(
                latest.c.member_id == HealthReading.member_id, latest.c.on == HealthReading.taken_on
            ),
        )
        .where(
            HealthReading.club_id == club_id,
            HealthReading.voided_at.is_(None),
            HealthReading.systolic.is_not(None),
        )
        .order_by(HealthReading.id)
    ):
        last[mid] = (on, sys_, dia, grade, alert)
    recent = session.execute(
        select(Meeting.id, Meeting.held_on, func.count(Attendance.member_id))
        .outerjoin(Attendance, Attendance.meeting_id == Meeting.id)
        .where(Meeting.club_id == club_id, Meeting.voided_at.is_(None), Meeting.held_on <= today)
        .group_by(Meeting.id, Meeting.held_on)
        .order_by(Meeting.held_on.desc())
        .limit(meetings)
    ).all()
    meeting_ids = [r[0] for r in recent]
    attended: dict[int, int] = {}
    if meeting_ids:
        attended = dict(
            session.execute(
                select(Attendance.member_id, func.count())
                .where(Attendance.meeting_id.in_(meeting_ids))
                .group_by(Attendance.member_id)
            ).all()
        )
    rows = [
        MemberRow(
            id=m.id,
            number=m.number,
            full_name=m.full_name,
            sex=m.sex,
            birth_year=m.birth_year,
            phone=m.phone,
            roles=tuple(sorted(roles.get(m.id, []), key=ROLE_ORDER.index)),
            active=m.status == MemberStatus.ACTIVE,
            loan_balance=sum(ln.balance for ln in by_member.get(m.id, [])),
            loan_overdue=sum(ln.overdue_amount for ln in by_member.get(m.id, [])),
            last_reading=last.get(m.id),
            attended=attended.get(m.id, 0),
        )
        for m in members
    ]
    year_ago = add_months(today.replace(day=1), -(TREND_MONTHS - 1))
    red = HealthReading.alert == AlertLevel.RED.value
    by_month: dict[str, list[int]] = {}
    for held, is_red in session.execute(
        select(HealthReading.taken_on, red).where(
            HealthReading.club_id == club_id,
            HealthReading.voided_at.is_(None),
            HealthReading.taken_on.between(year_ago, today),
        )
    ):
        acc = by_month.setdefault(f"{held.year:04d}-{held.month:02d}", [0, 0])
        acc[0] += 1
        acc[1] += int(bool(is_red))
    areas: dict[int, tuple[int, int, date | None]] = {a: (0, 0, None) for a in AREAS}
    for area, n, people, last_on in session.execute(
        select(Activity.area, func.count(), func.sum(Activity.people), func.max(Activity.held_on))
        .where(
            Activity.club_id == club_id,
            Activity.voided_at.is_(None),
            Activity.held_on.between(year_ago, today),
        )
        .group_by(Activity.area)
    ):
        areas[area] = (n, int(people or 0), _as_date(last_on))
    fund = _fund_parts(session, club, today)
    return ClubDetail(
        club=club,
        commune=commune,
        province=province or club.province_code,
        month=month,
        members=rows,
        loans=loans,
        meetings=[(r[1], r[2]) for r in recent],
        meetings_counted=len(recent),
        readings_by_month=sorted((k, v[0], v[1]) for k, v in by_month.items()),
        areas=areas,
        fund=fund,
        reports=recent_reports(session, club_id),
        open_alerts=open_alerts(session, [club_id], today),
    )


def _as_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _fund_parts(session: Session, club: Club, day: date) -> dict[str, int]:
    def total(column: Any, *where: Any) -> int:
        return int(session.scalar(select(func.coalesce(func.sum(column), 0)).where(*where)) or 0)

    gifts = total(
        FundContribution.amount_vnd,
        FundContribution.club_id == club.id,
        FundContribution.voided_at.is_(None),
        FundContribution.given_on <= day,
    )
    repaid = total(
        Repayment.amount_vnd,
        Repayment.club_id == club.id,
        Repayment.voided_at.is_(None),
        Repayment.paid_on <= day,
    )
    lent = total(
        Loan.principal_vnd,
        Loan.club_id == club.id,
        Loan.voided_at.is_(None),
        Loan.disbursed_on <= day,
    )
    opening = club.fund_opening_vnd
    return {"opening": opening, "contributed": gifts, "repaid": repaid, "lent": lent,
            "balance": opening + gifts + repaid - lent}  # fmt: skip


def recent_reports(session: Session, club_id: int, limit: int = 20) -> list[ReportRow]:
    """The club's latest reports with the message they came from and the replies sent."""
    reports = session.execute(
        select(Report, InboundMessage.text)
        .outerjoin(InboundMessage, InboundMessage.id == Report.inbound_id)
        .where(Report.club_id == club_id)
        .order_by(Report.created_at.desc(), Report.id.desc())
        .limit(limit)
    ).all()
    inbound_ids = [r.inbound_id for r, _ in reports if r.inbound_id is not None]
    replies: dict[int, list[tuple[str, str]]] = defaultdict(list)
    if inbound_ids:
        for inbound_id, text, status in session.execute(
            select(OutboundMessage.inbound_id, OutboundMessage.text, OutboundMessage.status)
            .where(
                OutboundMessage.inbound_id.in_(inbound_ids),
                OutboundMessage.kind == OutboundKind.REPLY.value,
            )
            .order_by(OutboundMessage.id)
        ):
            replies[inbound_id].append((text, status))
    numbers = (
        dict(
            session.execute(
                select(Member.id, Member.number).where(
                    Member.id.in_(
                        [
                            r.reporter_member_id
                            for r, _ in reports
                            if r.reporter_member_id is not None
                        ]
                    )
                )
            ).all()
        )
        if reports
        else {}
    )
    return [
        ReportRow(
            id=r.id,
            ref=r.ref,
            created_at=r.created_at,
            summary=r.summary,
            reporter=(
                f"TV{numbers[r.reporter_member_id]}" if r.reporter_member_id in numbers else None
            ),
            cancelled=r.cancelled_at is not None,
            text=text,
            replies=tuple(replies.get(r.inbound_id or -1, [])),
        )
        for r, text in reports
    ]


# A member ------------------------------------------------------------------------------------


@dataclass
class MemberDetail:
    member: Member
    club: Club
    roles: list[str]
    loans: list[LoanRow]
    readings: list[HealthReading]  # oldest first
    meetings: list[tuple[date, bool]]  # newest first: held_on, present
    visits: list[tuple[date, str | None, str | None]]  # visited_on, volunteer, note
    help_requests: list[tuple[HelpRequest, AlertHandling | None, str | None]]  # with ref


def member_detail(session: Session, member_id: int, today: date) -> MemberDetail:
    member = session.get(Member, member_id)
    if member is None:
        raise LookupError(member_id)
    club = session.get(Club, member.club_id)
    assert club is not None
    readings = list(
        session.scalars(
            select(HealthReading)
            .where(HealthReading.member_id == member_id, HealthReading.voided_at.is_(None))
            .order_by(HealthReading.taken_on.desc(), HealthReading.id.desc())
            .limit(120)
        )
    )[::-1]
    present = select(Attendance.meeting_id).where(Attendance.member_id == member_id)
    meetings = [
        (held, bool(here))
        for held, here in session.execute(
            select(Meeting.held_on, Meeting.id.in_(present))
            .where(
                Meeting.club_id == club.id, Meeting.voided_at.is_(None), Meeting.held_on <= today
            )
            .order_by(Meeting.held_on.desc())
            .limit(24)
        )
    ]
    volunteer = Member.__table__.alias("volunteer")
    visits = [
        (on, name, note)
        for on, name, note in session.execute(
            select(HomeVisit.visited_on, volunteer.c.full_name, HomeVisit.note)
            .outerjoin(volunteer, volunteer.c.id == HomeVisit.volunteer_member_id)
            .where(HomeVisit.member_id == member_id, HomeVisit.voided_at.is_(None))
            .order_by(HomeVisit.visited_on.desc())
            .limit(52)
        )
    ]
    helps = [
        (req, handling, ref)
        for req, handling, ref in session.execute(
            select(HelpRequest, AlertHandling, Report.ref)
            .outerjoin(AlertHandling, AlertHandling.help_request_id == HelpRequest.id)
            .outerjoin(Report, Report.id == HelpRequest.report_id)
            .where(HelpRequest.member_id == member_id, HelpRequest.voided_at.is_(None))
            .order_by(HelpRequest.created_at.desc())
            .limit(50)
        )
    ]
    return MemberDetail(
        member=member,
        club=club,
        roles=sorted(_roles(session, [member.id]).get(member.id, []), key=ROLE_ORDER.index),
        loans=club_loans(session, club.id, today, member_id=member_id),
        readings=readings,
        meetings=meetings,
        visits=visits,
        help_requests=helps,
    )


@dataclass(frozen=True)
class InstalmentRow:
    number: int
    due_on: date
    amount: int
    covered: int
    owing: int
    overdue: bool


def loan_ledger(
    session: Session, loan_id: int, today: date
) -> tuple[Loan, LoanRow, list[InstalmentRow], list[Repayment]]:
    """A loan's schedule with what was paid allocated in order, and its repayments."""
    loan = session.get(Loan, loan_id)
    if loan is None or loan.voided_at is not None:
        raise LookupError(loan_id)
    row = next(
        r
        for r in club_loans(session, loan.club_id, today, member_id=loan.member_id)
        if r.id == loan.id
    )
    left = row.paid
    instalments = []
    for inst in _loan_schedule(loan):
        covered = min(left, inst.amount)
        left -= covered
        owing = inst.amount - covered
        instalments.append(
            InstalmentRow(
                inst.number,
                inst.due_on,
                inst.amount,
                covered,
                owing,
                owing > 0 and inst.due_on < today,
            )
        )
    repayments = list(
        session.scalars(
            select(Repayment).where(Repayment.loan_id == loan.id).order_by(Repayment.paid_on)
        )
    )
    return loan, row, instalments, repayments


# Alerts and help requests --------------------------------------------------------------------


@dataclass(frozen=True)
class AlertRow:
    kind: AlertKind
    id: int  # the reading's or the help request's id
    club_id: int
    club_code: str
    member_id: int
    member_number: int
    member_name: str
    on: datetime | date
    detail: str  # "185/112", or the help request's kind
    note: str | None
    ref: str | None
    handled: AlertHandling | None = None


def open_alerts(
    session: Session, club_ids: Iterable[int] | None, today: date, *, handled_days: int = 0
) -> list[AlertRow]:
    """Open red alerts (the last ALERT_DAYS) and open help requests of the clubs, oldest first;
    with handled_days, also those handled in the last so many days."""
    clubs = ClubFilter(session, club_ids)
    if clubs.empty:
        return []
    since = today - timedelta(days=ALERT_DAYS)
    handled_since = utcnow() - timedelta(days=handled_days)
    red_q = (
        select(HealthReading, Club.code, Member.number, Member.full_name, AlertHandling, Report.ref)
        .join(Club, Club.id == HealthReading.club_id)
        .join(Member, Member.id == HealthReading.member_id)
        .outerjoin(AlertHandling, AlertHandling.reading_id == HealthReading.id)
        .outerjoin(Report, Report.id == HealthReading.report_id)
        .where(
            clubs(HealthReading.club_id),
            HealthReading.alert == AlertLevel.RED.value,
            HealthReading.voided_at.is_(None),
            HealthReading.taken_on >= since,
        )
    )
    help_q = (
        select(HelpRequest, Club.code, Member.number, Member.full_name, AlertHandling, Report.ref)
        .join(Club, Club.id == HelpRequest.club_id)
        .join(Member, Member.id == HelpRequest.member_id)
        .outerjoin(AlertHandling, AlertHandling.help_request_id == HelpRequest.id)
        .outerjoin(Report, Report.id == HelpRequest.report_id)
        .where(clubs(HelpRequest.club_id), HelpRequest.voided_at.is_(None))
    )
    if handled_days:
        red_q = red_q.where(
            or_(AlertHandling.id.is_(None), AlertHandling.handled_at >= handled_since)
        )
        help_q = help_q.where(
            or_(
                HelpRequest.status == RequestStatus.OPEN.value,
                AlertHandling.handled_at >= handled_since,
            )
        )
    else:
        red_q = red_q.where(AlertHandling.id.is_(None))
        help_q = help_q.where(HelpRequest.status == RequestStatus.OPEN.value)
    out: list[AlertRow] = []
    for r, code, number, name, handling, ref in session.execute(red_q):
        out.append(
            AlertRow(
                AlertKind.RED,
                r.id,
                r.club_id,
                code,
                r.member_id,
                number,
                name,
                r.taken_on,
                f"{r.systolic}/{r.diastolic}",
                None,
                ref,
                handling,
            )
        )
    for h, code, number, name, handling, ref in session.execute(help_q):
        out.append(
            AlertRow(
                AlertKind.HELP,
                h.id,
                h.club_id,
                code,
                h.member_id,
                number,
                name,
                h.created_at,
                h.kind,
                h.note,
                ref,
                handling,
            )
        )

    def when(a: AlertRow) -> datetime:
        if isinstance(a.on, datetime):
            return _aware(a.on)
        return datetime(a.on.year, a.on.month, a.on.day, tzinfo=to_vn(utcnow()).tzinfo)

    return sorted(out, key=lambda a: (a.handled is not None, when(a), a.id))


class AlreadyHandled(Exception):
    """The alert or help request was marked handled before (by someone else, perhaps)."""


def close_alert(
    session: Session,
    kind: AlertKind | str,
    target_id: int,
    by_label: str,
    note: str | None,
    *,
    outcome: Outcome | str = Outcome.COMING,
    club_ids: Iterable[int] | None = None,
    now: datetime | None = None,
) -> list[int]:
    """Mark a red alert or a help request handled (who, when, a note); for a help request the
    member who asked is told by SMS, in their language, that someone is coming or came.

    Returns the outbound ids to enqueue after commit. LookupError when the target does not
    exist or lies outside club_ids (None: any club); AlreadyHandled when it was closed already.
    """
    kind = AlertKind(kind)
    outcome = Outcome(outcome)
    now = now or utcnow()
    allowed = None if club_ids is None else set(club_ids)
    note = (note or "").strip()[:1000] or None
    if kind == AlertKind.RED:
        reading = session.get(HealthReading, target_id, with_for_update=True)
        if (
            reading is None
            or reading.voided_at is not None
            or reading.alert != AlertLevel.RED.value
            or (allowed is not None and reading.club_id not in allowed)
        ):
            raise LookupError(f"no red alert {target_id}")
        if session.scalar(select(AlertHandling.id).where(AlertHandling.reading_id == reading.id)):
            raise AlreadyHandled(target_id)
        session.add(
            AlertHandling(
                kind=kind.value,
                reading_id=reading.id,
                club_id=reading.club_id,
                member_id=reading.member_id,
                handled_at=now,
                handled_by=by_label[:160],
                outcome=None,
                note=note,
            )
        )
        session.flush()
        return []
    req = session.get(HelpRequest, target_id, with_for_update=True)
    if (
        req is None
        or req.voided_at is not None
        or (allowed is not None and req.club_id not in allowed)
    ):
        raise LookupError(f"no help request {target_id}")
    if req.status != RequestStatus.OPEN.value or session.scalar(
        select(AlertHandling.id).where(AlertHandling.help_request_id == req.id)
    ):
        raise AlreadyHandled(target_id)
    req.status = RequestStatus.DONE.value
    member = session.get(Member, req.member_id)
    club = session.get(Club, req.club_id)
    assert member is not None and club is not None
    ref = session.scalar(select(Report.ref).where(Report.id == req.report_id))
    outbound: list[int] = []
    if member.phone:
        lang = resolve_language(member.language or club.language)
        text = t(
            lang,
            f"console.sms.help_{outcome.value}",
            club=club.code,
            member=member.number,
            ref=f" #{ref}" if ref else "",
        )
        out = queue_message(
            session,
            to=member.phone,
            text=text,
            kind=OutboundKind.CONFIRMATION,
            language=lang,
            club_id=club.id,
            dedupe_key=f"console.help:{req.id}",
        )
        if out is not None:
            outbound.append(out)
    session.add(
        AlertHandling(
            kind=kind.value,
            help_request_id=req.id,
            club_id=req.club_id,
            member_id=req.member_id,
            handled_at=now,
            handled_by=by_label[:160],
            outcome=outcome.value,
            note=note,
            outbound_id=outbound[0] if outbound else None,
        )
    )
    session.flush()
    return outbound
