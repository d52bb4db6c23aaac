"""Set-based figures for clubs and supervisors' areas over a period (this month so far, a past
month, a rolling month): a constant number of queries whatever the number of clubs.

Counts come from GROUP BY over the clubs asked for; the overdue state of loans is computed in
Python from the loans and their repayment sums, loaded in one query for all the clubs.
"""

from __future__ import annotations

import calendar
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Float,
    Integer,
    Select,
    and_,
    any_,
    bindparam,
    case,
    cast,
    distinct,
    func,
    or_,
    select,
    true,
    union,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from menus.clock import VN_TZ, to_vn
from models.clubs import Club, Member, Supervisor, SupervisorArea
from models.enums import AlertLevel, AreaKind, InterestMethod, MemberStatus, RequestStatus
from models.ledger import Loan, Repayment, add_months, build_schedule
from models.records import (
    Activity,
    Attendance,
    FundContribution,
    HealthReading,
    HelpRequest,
    HomeVisit,
    Meeting,
    Report,
    recorded_tables,
)

AREAS: tuple[int, ...] = tuple(range(1, 9))
# Records that show a club active in an area even without a MANG report for it:
# the loan fund is area 1 (income), readings area 2 (health), home visits area 3 (home care).
AREA_LOANS, AREA_HEALTH, AREA_HOME_CARE = 1, 2, 3


@dataclass(frozen=True)
class ClubMonth:
    """One club's figures for a period (dates inclusive)."""

    club_id: int
    code: str
    name: str
    language: str
    period_start: date
    period_end: date
    reported: bool  # any non-voided record dated, or report sent, in the period
    last_report_on: date | None  # latest such date up to period_end, even before the period
    meetings: int
    meeting_on: date | None  # the period's last meeting
    present: int  # members present at that meeting
    active_members: int
    repaid_vnd: int
    repayments: int
    overdue_loans: int  # as of period_end, counting repayments up to then
    overdue_vnd: int
    readings: int
    red_alerts: int
    red_members: int
    areas: tuple[int, ...]  # the areas (1-8) active in the period, ascending
    home_visits: int
    open_help: int  # help requests still open at period_end

    @property
    def silent(self) -> bool:
        return not self.reported

    @property
    def all_areas(self) -> bool:
        return len(self.areas) == len(AREAS)

    @property
    def attendance_pct(self) -> int | None:
        """Present at the last meeting as a share of active members; None without a meeting."""
        if not self.meetings or not self.active_members:
            return None
        return round(100 * self.present / self.active_members)

    @property
    def needs_attention(self) -> bool:
        return self.silent or self.red_alerts > 0 or self.overdue_loans > 0


def weakness_key(c: ClubMonth) -> tuple[Any, ...]:
    """Silent clubs first, then red alerts, overdue loans, fewest areas; code breaks ties."""
    return (c.reported, -c.red_alerts, -c.overdue_loans, -c.overdue_vnd, len(c.areas), c.code)


@dataclass(frozen=True)
class AreaMonth:
    """A supervisor's area for a period: totals and the clubs, weakest first."""

    supervisor_id: int
    period_start: date
    period_end: date
    clubs: tuple[ClubMonth, ...]
    club_count: int
    reported: int
    silent: int
    meetings_held: int  # clubs that met in the period
    present: int  # at those clubs' last meetings
    members_at_meeting_clubs: int  # active members of the clubs that met
    repaid_vnd: int
    repayments: int
    overdue_loans: int
    overdue_vnd: int
    readings: int
    red_alerts: int
    red_members: int
    all_areas: int  # clubs active in all 8 areas
    home_visits: int
    open_help: int

    @property
    def attendance_pct(self) -> int | None:
        if not self.members_at_meeting_clubs:
            return None
        return round(100 * self.present / self.members_at_meeting_clubs)

    @property
    def attention(self) -> tuple[ClubMonth, ...]:
        """The clubs that are silent, have red alerts or overdue loans, weakest first."""
        return tuple(c for c in self.clubs if c.needs_attention)

    @classmethod
    def build(
        cls, supervisor_id: int, start: date, end: date, clubs: Iterable[ClubMonth]
    ) -> AreaMonth:
        ordered = tuple(sorted(clubs, key=weakness_key))
        met = [c for c in ordered if c.meetings]
        return cls(
            supervisor_id=supervisor_id,
            period_start=start,
            period_end=end,
            clubs=ordered,
            club_count=len(ordered),
            reported=sum(c.reported for c in ordered),
            silent=sum(c.silent for c in ordered),
            meetings_held=len(met),
            present=sum(c.present for c in met),
            members_at_meeting_clubs=sum(c.active_members for c in met),
            repaid_vnd=sum(c.repaid_vnd for c in ordered),
            repayments=sum(c.repayments for c in ordered),
            overdue_loans=sum(c.overdue_loans for c in ordered),
            overdue_vnd=sum(c.overdue_vnd for c in ordered),
            readings=sum(c.readings for c in ordered),
            red_alerts=sum(c.red_alerts for c in ordered),
            red_members=sum(c.red_members for c in ordered),
            all_areas=sum(c.all_areas for c in ordered),
            home_visits=sum(c.home_visits for c in ordered),
            open_help=sum(c.open_help for c in ordered),
        )


# Periods ------------------------------------------------------------------------------------


def month_to_date(today: date) -> tuple[date, date]:
    """The 1st of today's month to today."""
    return today.replace(day=1), today


def previous_month(today: date) -> tuple[date, date]:
    """The whole calendar month before today's."""
    last = today.replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last


def rolling_month(end: date) -> tuple[date, date]:
    """The month ending on end: 30/10-29/11, so a club meeting monthly always falls inside."""
    return add_months(end, -1) + timedelta(days=1), end


def meeting_date(meeting_day: int, year: int, month: int) -> date:
    """A club's meeting date in a month: its day, or the month's last day when shorter."""
    return date(year, month, min(meeting_day, calendar.monthrange(year, month)[1]))


def meets_on(day: date) -> ColumnElement[bool]:
    """SQL condition: the club's monthly meeting falls on day."""
    last = calendar.monthrange(day.year, day.month)[1]
    if day.day == last:
        return Club.meeting_day >= day.day
    return Club.meeting_day == day.day


def vn_midnight(d: date) -> datetime:
    """The start of a Vietnam day, as an aware datetime (compare with UTC columns)."""
    return datetime(d.year, d.month, d.day, tzinfo=VN_TZ)


# Loans --------------------------------------------------------------------------------------


@lru_cache(maxsize=65536)
def _cumulative(principal: int, pct: Decimal, method: str, term: int) -> tuple[int, ...]:
    """Running totals of the instalment amounts (they do not depend on the disbursal date)."""
    sched = build_schedule(principal, pct, InterestMethod(method), term, date(2000, 1, 1))
    out: list[int] = []
    total = 0
    for inst in sched:
        total += inst.amount
        out.append(total)
    return tuple(out)


def _due_counter(as_of: date) -> Callable[[date, int], int]:
    """instalments_due_before for one as_of, made cheap for many loans."""
    base = as_of.year * 12 + as_of.month
    last = calendar.monthrange(as_of.year, as_of.month)[1]

    def due(disbursed_on: date, term: int) -> int:
        months = base - disbursed_on.year * 12 - disbursed_on.month
        # Instalment number `months` falls in as_of's month, on min(day of disbursal, last).
        if months > 0 and min(disbursed_on.day, last) >= as_of.day:
            months -= 1
        return 0 if months <= 0 else min(months, term)

    return due


def instalments_due_before(disbursed_on: date, term: int, as_of: date) -> int:
    """How many of a loan's monthly instalments fall due strictly before as_of."""
    return _due_counter(as_of)(disbursed_on, term)


def loan_overdue(
    principal: int,
    pct: Decimal,
    method: str,
    term: int,
    disbursed_on: date,
    paid: int,
    as_of: date,
) -> tuple[int, int]:
    """(overdue instalments, overdue amount) as models.ledger.loan_state counts them, in O(1)."""
    due = instalments_due_before(disbursed_on, term, as_of)
    if due == 0:
        return 0, 0
    cum = _cumulative(principal, Decimal(pct), str(method), term)
    owed = cum[due - 1] - paid
    if owed <= 0:
        return 0, 0
    return due - bisect_right(cum, paid), owed


def instalment_owing(
    principal: int, pct: Decimal, method: str, term: int, number: int, paid: int
) -> int:
    """What is still owed on instalment number (1-based) once paid is allocated in order."""
    cum = _cumulative(principal, Decimal(pct), str(method), term)
    before = cum[number - 2] if number > 1 else 0
    amount = cum[number - 1] - before
    return amount - min(max(paid - before, 0), amount)


def instalment_number_on(disbursed_on: date, term: int, day: date) -> int | None:
    """The number of the instalment due on day, if one is."""
    months = (day.year - disbursed_on.year) * 12 + day.month - disbursed_on.month
    if 1 <= months <= term and add_months(disbursed_on, months) == day:
        return months
    return None


# Queries ------------------------------------------------------------------------------------


class ClubFilter:
    """The clubs a query is about: every club, or a list bound once (an array on PostgreSQL)."""

    def __init__(self, session: Session, club_ids: Iterable[int] | None) -> None:
        self.ids: list[int] | None = None if club_ids is None else sorted(set(club_ids))
        self._param: BindParameter[Any] | None = None
        self._pg = session.get_bind().dialect.name == "postgresql"
        if self.ids is not None:
            if self._pg:
                self._param = bindparam("club_ids", self.ids, type_=ARRAY(Integer), unique=True)
            else:
                # Inlined at execution: SQLite caps the number of bound variables.
                self._param = bindparam(
                    "club_ids", self.ids, expanding=True, literal_execute=True, unique=True
                )

    @property
    def empty(self) -> bool:
        return self.ids is not None and not self.ids

    def __call__(self, column: Any) -> ColumnElement[bool]:
        if self._param is None:
            return true()
        if self._pg:
            return column == any_(self._param)
        return column.in_(self._param)


# Every dated record that counts as "the club reported" (voided ones never count): each recorded
# table (models.records.RecordedRow) counted on a date. Help requests count by the time they were
# asked, in reported_club_ids below.
DATED_RECORDS: list[tuple[Any, Any]] = [
    (table, table.counted_column()) for table in recorded_tables() if table.counted_by_day()
]


def reported_club_ids(
    session: Session, club_ids: Iterable[int] | None, start: date, end: date
) -> set[int]:
    """The clubs with any record dated in [start, end], or a report or help request sent then."""
    clubs = ClubFilter(session, club_ids)
    if clubs.empty:
        return set()
    lo, hi = vn_midnight(start), vn_midnight(end + timedelta(days=1))
    parts: list[Select[Any]] = [
        select(m.club_id).where(clubs(m.club_id), col.between(start, end), m.voided_at.is_(None))
        for m, col in DATED_RECORDS
    ]
    parts.append(
        select(Report.club_id).where(
            clubs(Report.club_id),
            Report.created_at >= lo,
            Report.created_at < hi,
            Report.cancelled_at.is_(None),
        )
    )
    parts.append(
        select(HelpRequest.club_id).where(
            clubs(HelpRequest.club_id),
            HelpRequest.created_at >= lo,
            HelpRequest.created_at < hi,
            HelpRequest.voided_at.is_(None),
        )
    )
    return set(session.scalars(select(union(*parts).subquery().c.club_id)))


def _counts(
    clubs: ClubFilter,
    model: Any,
    column: Any,
    start: date,
    end: date,
    name: str,
    *extra: Any,
) -> Any:
    """Per club: how many non-voided rows are dated in the period, and the latest date."""
    return (
        select(
            model.club_id.label("club_id"),
            func.count().label("n"),
            func.max(column).label("last"),
            *extra,
        )
        .where(clubs(model.club_id), column.between(start, end), model.voided_at.is_(None))
        .group_by(model.club_id)
        .subquery(name)
    )


def _figures_query(clubs: ClubFilter, start: date, end: date) -> Select[Any]:
    """One statement: every per-club count for the period, each from its own GROUP BY."""
    hi = vn_midnight(end + timedelta(days=1))
    members = (
        select(Member.club_id.label("club_id"), func.count().label("n"))
        .where(
            clubs(Member.club_id),
            or_(Member.joined_on.is_(None), Member.joined_on <= end),
            or_(
                Member.status == MemberStatus.ACTIVE,
                and_(Member.left_on.is_not(None), Member.left_on > end),
            ),
        )
        .group_by(Member.club_id)
        .subquery("mem")
    )
    meetings = _counts(clubs, Meeting, Meeting.held_on, start, end, "mtg")
    present = (
        select(Meeting.club_id.label("club_id"), func.count(Attendance.member_id).label("n"))
        .join(
            meetings,
            and_(meetings.c.club_id == Meeting.club_id, meetings.c.last == Meeting.held_on),
        )
        .outerjoin(Attendance, Attendance.meeting_id == Meeting.id)
        .where(Meeting.voided_at.is_(None))
        .group_by(Meeting.club_id)
        .subquery("att")
    )
    last_meeting = (
        select(Meeting.club_id.label("club_id"), func.max(Meeting.held_on).label("last"))
        .where(clubs(Meeting.club_id), Meeting.held_on <= end, Meeting.voided_at.is_(None))
        .group_by(Meeting.club_id)
        .subquery("lmt")
    )
    red = HealthReading.alert == AlertLevel.RED.value
    readings = _counts(
        clubs,
        HealthReading,
        HealthReading.taken_on,
        start,
        end,
        "rdg",
        func.sum(case((red, 1), else_=0)).label("red"),
        func.count(distinct(case((red, HealthReading.member_id)))).label("red_members"),
    )
    repaid = _counts(
        clubs,
        Repayment,
        Repayment.paid_on,
        start,
        end,
        "rep",
        func.sum(Repayment.amount_vnd).label("vnd"),
    )
    loans = _counts(clubs, Loan, Loan.disbursed_on, start, end, "lon")
    activities = _counts(
        clubs,
        Activity,
        Activity.held_on,
        start,
        end,
        "act",
        *(func.max(case((Activity.area == a, 1), else_=0)).label(f"a{a}") for a in AREAS),
    )
    visits = _counts(clubs, HomeVisit, HomeVisit.visited_on, start, end, "vis")
    funds = _counts(clubs, FundContribution, FundContribution.given_on, start, end, "fnd")
    help_open = HelpRequest.status == RequestStatus.OPEN.value
    helps = (
        select(
            HelpRequest.club_id.label("club_id"),
            func.max(HelpRequest.created_at).label("last"),
            func.sum(case((help_open, 1), else_=0)).label("open"),
        )
        .where(
            clubs(HelpRequest.club_id), HelpRequest.created_at < hi, HelpRequest.voided_at.is_(None)
        )
        .group_by(HelpRequest.club_id)
        .subquery("hlp")
    )
    reports = (
        select(Report.club_id.label("club_id"), func.max(Report.created_at).label("last"))
        .where(clubs(Report.club_id), Report.created_at < hi, Report.cancelled_at.is_(None))
        .group_by(Report.club_id)
        .subquery("rpt")
    )
    joined = [
        members,
        meetings,
        present,
        last_meeting,
        readings,
        repaid,
        loans,
        activities,
        visits,
        funds,
        helps,
        reports,
    ]
    q = select(
        Club.id,
        Club.code,
        Club.name,
        Club.language,
        members.c.n.label("members"),
        meetings.c.n.label("meetings"),
        meetings.c.last.label("meeting_on"),
        present.c.n.label("present"),
        last_meeting.c.last.label("last_meeting"),
        readings.c.n.label("readings"),
        readings.c.last.label("last_reading"),
        readings.c.red,
        readings.c.red_members,
        repaid.c.n.label("repayments"),
        repaid.c.vnd.label("repaid_vnd"),
        repaid.c.last.label("last_repayment"),
        loans.c.last.label("last_loan"),
        activities.c.last.label("last_activity"),
        *(activities.c[f"a{a}"] for a in AREAS),
        visits.c.n.label("visits"),
        visits.c.last.label("last_visit"),
        funds.c.last.label("last_fund"),
        helps.c.last.label("last_help"),
        helps.c.open.label("open_help"),
        reports.c.last.label("last_report"),
    ).where(clubs(Club.id))
    frm: Any = Club.__table__
    for sub in joined:
        frm = frm.outerjoin(sub, sub.c.club_id == Club.id)
    return q.select_from(frm)


def _overdue_by_club(
    session: Session, clubs: ClubFilter, as_of: date
) -> dict[int, tuple[int, int]]:
    """Per club: (loans with an overdue instalment, overdue amount), from one bulk query."""
    paid = (
        select(Repayment.loan_id.label("loan_id"), func.sum(Repayment.amount_vnd).label("paid"))
        .where(clubs(Repayment.club_id), Repayment.paid_on <= as_of, Repayment.voided_at.is_(None))
        .group_by(Repayment.loan_id)
        .subquery("paid")
    )
    paid_vnd = func.coalesce(paid.c.paid, 0)
    # Cheap filters in SQL: a loan's first instalment falls at least 28 days after disbursal,
    # and a loan paid beyond principal plus the most interest it can carry owes nothing.
    pct = cast(Loan.interest_pct_month, Float)
    ceiling = (
        Loan.principal_vnd + Loan.principal_vnd * pct * Loan.term_months / 100 + Loan.term_months
    )
    q = (
        select(
            Loan.club_id,
            Loan.principal_vnd,
            Loan.interest_pct_month,
            Loan.interest_method,
            Loan.term_months,
            Loan.disbursed_on,
            paid_vnd,
        )
        .outerjoin(paid, paid.c.loan_id == Loan.id)
        .where(
            clubs(Loan.club_id),
            Loan.voided_at.is_(None),
            Loan.disbursed_on < as_of - timedelta(days=28),
            paid_vnd < ceiling,
        )
        .execution_options(yield_per=20_000)
    )
    due_before = _due_counter(as_of)
    out: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    # Core rows (no ORM row processing): this loop runs once per open loan in the country.
    for (
        club_id,
        principal,
        pct,
        method,
        term,
        disbursed_on,
        paid_sum,
    ) in session.connection().execute(q):
        due = due_before(disbursed_on, term)
        if not due:
            continue
        owed = _cumulative(principal, pct, method, term)[due - 1] - paid_sum
        if owed > 0:
            acc = out[club_id]
            acc[0] += 1
            acc[1] += owed
    return {k: (v[0], v[1]) for k, v in out.items()}


def _as_date(value: Any) -> date | None:
    """A date from a DATE column, or the Vietnam date of a UTC timestamp."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return to_vn(value).date()
    if isinstance(value, str):  # SQLite may return max() of a DATE column as text
        return date.fromisoformat(value[:10])
    return value


def clubs_month_summaries(
    session: Session, club_ids: Iterable[int] | None, period_start: date, period_end: date
) -> dict[int, ClubMonth]:
    """Figures for many clubs (None: every club) over [period_start, period_end], in 2 queries."""
    clubs = ClubFilter(session, club_ids)
    if clubs.empty:
        return {}
    overdue = _overdue_by_club(session, clubs, period_end)
    out: dict[int, ClubMonth] = {}
    for r in session.execute(_figures_query(clubs, period_start, period_end)).mappings():
        in_period = [
            _as_date(r[k])
            for k in (
                "meeting_on",
                "last_reading",
                "last_repayment",
                "last_loan",
                "last_activity",
                "last_visit",
                "last_fund",
            )
        ]
        ever = [_as_date(r["last_meeting"]), _as_date(r["last_help"]), _as_date(r["last_report"])]
        dates = [d for d in in_period + ever if d is not None]
        last = max(dates) if dates else None
        areas = {a for a in AREAS if r[f"a{a}"]}
        if r["repayments"] or r["last_loan"]:
            areas.add(AREA_LOANS)
        if r["readings"]:
            areas.add(AREA_HEALTH)
        if r["visits"]:
            areas.add(AREA_HOME_CARE)
        odue = overdue.get(r["id"], (0, 0))
        out[r["id"]] = ClubMonth(
            club_id=r["id"],
            code=r["code"],
            name=r["name"],
            language=r["language"],
            period_start=period_start,
            period_end=period_end,
            reported=last is not None and last >= period_start,
            last_report_on=last,
            meetings=r["meetings"] or 0,
            meeting_on=_as_date(r["meeting_on"]),
            present=r["present"] or 0,
            active_members=r["members"] or 0,
            repaid_vnd=int(r["repaid_vnd"] or 0),
            repayments=r["repayments"] or 0,
            overdue_loans=odue[0],
            overdue_vnd=odue[1],
            readings=r["readings"] or 0,
            red_alerts=int(r["red"] or 0),
            red_members=r["red_members"] or 0,
            areas=tuple(sorted(areas)),
            home_visits=r["visits"] or 0,
            open_help=int(r["open_help"] or 0),
        )
    return out


def club_month_summary(session: Session, club_id: int, today: date) -> ClubMonth:
    """One club, this month so far (the BC reply)."""
    start, end = month_to_date(today)
    found = clubs_month_summaries(session, [club_id], start, end)
    if club_id not in found:
        raise LookupError(f"no club {club_id}")
    return found[club_id]


def supervisor_clubs(
    session: Session, supervisor_ids: Iterable[int] | None = None, *, active_only: bool = False
) -> dict[int, list[int]]:
    """The clubs in each supervisor's area (provinces, communes and single clubs), one query."""
    sa = SupervisorArea
    wanted = None if supervisor_ids is None else sorted(set(supervisor_ids))

    def scoped(q: Select[Any]) -> Select[Any]:
        if wanted is not None:
            q = q.where(sa.supervisor_id.in_(wanted))
        if active_only:
            q = q.join(Supervisor, Supervisor.id == sa.supervisor_id).where(Supervisor.active)
        return q

    parts = [
        scoped(
            select(sa.supervisor_id, Club.id.label("club_id"))
            .join(Club, Club.province_code == sa.province_code)
            .where(sa.kind == AreaKind.PROVINCE.value)
        ),
        scoped(
            select(sa.supervisor_id, Club.id.label("club_id"))
            .join(Club, Club.commune_code == sa.commune_code)
            .where(sa.kind == AreaKind.COMMUNE.value)
        ),
        scoped(
            select(sa.supervisor_id, sa.club_id.label("club_id")).where(
                sa.kind == AreaKind.CLUB.value
            )
        ),
    ]
    u = union(*parts).subquery()
    out: dict[int, list[int]] = defaultdict(list)
    for sup_id, club_id in session.execute(
        select(u.c.supervisor_id, u.c.club_id).order_by(u.c.supervisor_id, u.c.club_id)
    ):
        out[sup_id].append(club_id)
    return dict(out)


def area_summaries(
    session: Session,
    period_start: date,
    period_end: date,
    supervisor_ids: Sequence[int] | None = None,
    *,
    active_only: bool = False,
) -> dict[int, AreaMonth]:
    """Areas of many supervisors: each club computed once however many areas hold it."""
    by_sup = supervisor_clubs(session, supervisor_ids, active_only=active_only)
    every = {c for ids in by_sup.values() for c in ids}
    clubs = clubs_month_summaries(session, every, period_start, period_end) if every else {}
    wanted = by_sup.keys() if supervisor_ids is None else supervisor_ids
    return {
        sup: AreaMonth.build(
            sup,
            period_start,
            period_end,
            (clubs[c] for c in by_sup.get(sup, []) if c in clubs),
        )
        for sup in wanted
    }


def area_month_summary(session: Session, supervisor_id: int, today: date) -> AreaMonth:
    """One supervisor's area, this month so far (BC from a supervisor, the USSD menu)."""
    start, end = month_to_date(today)
    return area_summaries(session, start, end, [supervisor_id])[supervisor_id]
