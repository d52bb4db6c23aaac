"""Scheduled summaries and reminders: weekly to supervisors, monthly to club chairs, instalment
and meeting reminders to members, nudges to secretaries of clubs silent after their meeting.

Each job claims its period with a JobRun row in the same transaction as its outbound rows, so a
second run for the same period sends nothing; every row also carries a per-recipient dedupe key.
Each takes an optional ISO date `today` (tests, replays); by default today in Vietnam.
"""

from __future__ import annotations

import calendar
import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import extract, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from menus.clock import utcnow, vn_today
from menus.i18n import resolve_language
from menus.summaries import (
    render_area,
    render_bc,
    render_instalment_reminder,
    render_meeting_reminder,
    render_nudge,
)
from models import db
from models.clubs import Club, Member, MemberRole, Supervisor, SupervisorArea
from models.enums import AreaKind, MemberStatus, OutboundKind, RequestStatus, Role
from models.ledger import Loan, Repayment, add_months
from models.messages import JobRun
from models.outbox import queue_messages
from models.records import HelpRequest, Meeting
from models.stats import (
    ClubFilter,
    area_summaries,
    clubs_month_summaries,
    instalment_number_on,
    instalment_owing,
    loan_overdue,
    meets_on,
    previous_month,
    reported_club_ids,
    rolling_month,
    vn_midnight,
)
from workers.sending import enqueue_sends

log = logging.getLogger(__name__)

INSTALMENT_NOTICE_DAYS = 3
NUDGE_AFTER_DAYS = 3
# A meeting recorded this many days before its scheduled day still counts as that meeting.
EARLY_MEETING_DAYS = 7
REPORT_ROLES: tuple[Role, ...] = (Role.CHAIR, Role.VICE_CHAIR, Role.SECRETARY)
NUDGE_ROLES: tuple[Role, ...] = (Role.SECRETARY, Role.CHAIR)

Recipient = tuple[int, str, str | None]  # member id, phone, language


def _message(
    to: str,
    text: str,
    kind: OutboundKind,
    language: str,
    dedupe_key: str,
    club_id: int | None = None,
) -> dict[str, Any]:
    """One row for models.outbox.queue_messages."""
    return {
        "to": to,
        "text": text,
        "kind": kind,
        "language": language,
        "dedupe_key": dedupe_key,
        "club_id": club_id,
    }


def _day(today: str | None) -> date:
    return date.fromisoformat(today) if today else vn_today()


def _claim(s: Session, key: str) -> bool:
    """Insert the period's JobRun row; False when an earlier run already holds it."""
    insert = pg_insert if s.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = (
        insert(JobRun)
        .values(key=key, started_at=utcnow())
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(JobRun.key)
    )
    return s.execute(stmt).scalar() is not None


def _run(key: str, build: Callable[[Session, str], list[int]], force: bool = False) -> int:
    """Claim the period, queue its messages in the same transaction, then enqueue the sends.

    force (an operator's deliberate resend) claims a new key and tags every dedupe key with it,
    so the period's messages go out once more, and only once for that resend.
    """
    tag = f":resend{utcnow():%Y%m%dT%H%M%S%f}" if force else ""
    key += tag
    with db.session_scope() as s:
        if not _claim(s, key):
            log.info("job %s: period already done", key)
            return 0
        ids = build(s, tag)
        s.execute(
            update(JobRun)
            .where(JobRun.key == key)
            .values(finished_at=utcnow(), detail=f"queued={len(ids)}")
        )
    enqueue_sends(ids)
    log.info("job %s: %d messages queued", key, len(ids))
    return len(ids)


def _board_recipients(
    s: Session, club_ids: Iterable[int] | None, roles: Sequence[Role]
) -> dict[int, Recipient]:
    """Per club, the first active member with a phone in roles order (then by card number)."""
    clubs = ClubFilter(s, club_ids)
    if clubs.empty:
        return {}
    rank = {r.value: i for i, r in enumerate(roles)}
    rows = s.execute(
        select(
            Member.club_id, MemberRole.role, Member.number, Member.id, Member.phone, Member.language
        )
        .join(MemberRole, MemberRole.member_id == Member.id)
        .where(
            clubs(Member.club_id),
            MemberRole.role.in_(list(rank)),
            Member.status == MemberStatus.ACTIVE.value,
            Member.phone.is_not(None),
        )
    )
    best: dict[int, tuple[int, int, Recipient]] = {}
    for club_id, role, number, member_id, phone, language in rows:
        key = (rank[role], number)
        if club_id not in best or key < best[club_id][:2]:
            best[club_id] = (*key, (member_id, phone, language))
    return {club_id: v[2] for club_id, v in best.items()}


STALE_HELP = timedelta(hours=48)  # an open help request this old is named to the supervisor


def stale_help_requests(s: Session, before: datetime) -> dict[int, list[tuple[str, int]]]:
    """Per supervisor, the help requests in their area still open since before that moment, as
    (club code, card number); one statement for every supervisor."""
    area = SupervisorArea
    in_area = (
        ((area.kind == AreaKind.PROVINCE) & (area.province_code == Club.province_code))
        | ((area.kind == AreaKind.COMMUNE) & (area.commune_code == Club.commune_code))
        | ((area.kind == AreaKind.CLUB) & (area.club_id == Club.id))
    )
    rows = s.execute(
        select(area.supervisor_id, Club.code, Member.number)
        .select_from(HelpRequest)
        .join(Club, Club.id == HelpRequest.club_id)
        .join(Member, Member.id == HelpRequest.member_id)
        .join(area, in_area)
        .where(
            HelpRequest.status == RequestStatus.OPEN.value,
            HelpRequest.voided_at.is_(None),
            HelpRequest.created_at < before,
        )
        .distinct()
        .order_by(area.supervisor_id, Club.code, Member.number)
    ).all()
    out: dict[int, list[tuple[str, int]]] = {}
    for sup_id, code, number in rows:
        out.setdefault(sup_id, []).append((code, number))
    return out


def weekly_supervisor_summaries(today: str | None = None, force: bool = False) -> int:
    """Monday: each active supervisor gets their area's last month (rolling, up to yesterday)."""
    day = _day(today)
    year, week, _ = day.isocalendar()
    period = f"{year}-W{week:02d}"
    start, end = rolling_month(day - timedelta(days=1))

    def build(s: Session, tag: str) -> list[int]:
        sups = s.execute(
            select(Supervisor.id, Supervisor.phone, Supervisor.language).where(Supervisor.active)
        ).all()
        areas = area_summaries(s, start, end, [sup.id for sup in sups])
        stale = stale_help_requests(s, vn_midnight(day) - STALE_HELP)
        outgoing: list[dict[str, Any]] = []
        for sup_id, phone, language in sups:
            area = areas[sup_id]
            if not area.club_count:
                continue
            lang = resolve_language(language)
            outgoing.append(
                _message(
                    phone,
                    render_area(area, lang, stale.get(sup_id, ())),
                    OutboundKind.SUMMARY,
                    lang,
                    f"sum.weekly:{period}:sup{sup_id}" + tag,
                )
            )
        return queue_messages(s, outgoing)

    return _run(f"sum.weekly:{period}", build, force)


def monthly_club_reports(today: str | None = None, force: bool = False) -> int:
    """On the 1st: each club's previous month to its chair (else vice-chair, else secretary)."""
    day = _day(today)
    start, end = previous_month(day)
    period = f"{start:%Y-%m}"

    def build(s: Session, tag: str) -> list[int]:
        existed = set(s.scalars(select(Club.id).where(Club.created_at < vn_midnight(end))))
        recipients = _board_recipients(s, None, REPORT_ROLES)
        summaries = clubs_month_summaries(s, None, start, end)
        outgoing: list[dict[str, Any]] = []
        for club_id in sorted(existed & recipients.keys() & summaries.keys()):
            summary = summaries[club_id]
            _, phone, member_lang = recipients[club_id]
            lang = resolve_language(member_lang or summary.language)
            outgoing.append(
                _message(
                    phone,
                    render_bc(summary, lang),
                    OutboundKind.SUMMARY,
                    lang,
                    f"sum.monthly:{period}:club{club_id}" + tag,
                    club_id=club_id,
                )
            )
        return queue_messages(s, outgoing)

    return _run(f"sum.monthly:{period}", build, force)


def instalment_reminders(today: str | None = None, force: bool = False) -> int:
    """An instalment falling due in three days, not yet covered: an SMS to the member's phone."""
    day = _day(today)
    due = day + timedelta(days=INSTALMENT_NOTICE_DAYS)

    def build(s: Session, tag: str) -> list[int]:
        # Only loans disbursed on the due day of the month (or later, when the month is short)
        # can have an instalment on that day; the schedule itself is checked in Python.
        dom = extract("day", Loan.disbursed_on)
        last = calendar.monthrange(due.year, due.month)[1]
        same_day = dom >= due.day if due.day == last else dom == due.day
        paid = (
            select(func.coalesce(func.sum(Repayment.amount_vnd), 0))
            .where(Repayment.loan_id == Loan.id, Repayment.voided_at.is_(None))
            .scalar_subquery()
        )
        rows = s.execute(
            select(
                Loan.id,
                Loan.club_id,
                Loan.principal_vnd,
                Loan.interest_pct_month,
                Loan.interest_method,
                Loan.term_months,
                Loan.disbursed_on,
                paid,
                Member.number,
                Member.full_name,
                Member.phone,
                Member.language,
                Club.code,
                Club.language,
            )
            .join(Member, Member.id == Loan.member_id)
            .join(Club, Club.id == Loan.club_id)
            .where(
                Loan.voided_at.is_(None),
                Loan.disbursed_on < due,
                Loan.disbursed_on >= add_months(due, -120),
                same_day,
                Member.phone.is_not(None),
                Member.status == MemberStatus.ACTIVE.value,
            )
            .order_by(Loan.id)
        ).all()
        outgoing: list[dict[str, Any]] = []
        for (
            loan_id,
            club_id,
            principal,
            pct,
            method,
            term,
            disbursed_on,
            paid_vnd,
            number,
            name,
            phone,
            member_lang,
            code,
            club_lang,
        ) in rows:
            k = instalment_number_on(disbursed_on, term, due)
            if k is None:
                continue
            owing = instalment_owing(principal, pct, method, term, k, int(paid_vnd))
            if owing <= 0:
                continue
            _, overdue = loan_overdue(
                principal, pct, method, term, disbursed_on, int(paid_vnd), day
            )
            lang = resolve_language(member_lang or club_lang)
            text = render_instalment_reminder(
                lang,
                name=name,
                number=number,
                club_code=code,
                due_on=due,
                amount=owing,
                overdue=overdue,
                today=day,
            )
            outgoing.append(
                _message(
                    phone,
                    text,
                    OutboundKind.REMINDER,
                    lang,
                    f"remind.instalment:{loan_id}:{due.isoformat()}" + tag,
                    club_id=club_id,
                )
            )
        return queue_messages(s, outgoing)

    return _run(f"remind.instalment:{day.isoformat()}", build, force)


def meeting_reminders(today: str | None = None, force: bool = False) -> int:
    """The day before a club's meeting: members who asked for it, one SMS per phone."""
    day = _day(today)
    meeting = day + timedelta(days=1)

    def build(s: Session, tag: str) -> list[int]:
        rows = s.execute(
            select(
                Club.id,
                Club.code,
                Club.meeting_place,
                Club.language,
                Member.id,
                Member.phone,
                Member.language,
            )
            .join(Member, Member.club_id == Club.id)
            .where(
                meets_on(meeting),
                Member.wants_meeting_reminder,
                Member.status == MemberStatus.ACTIVE.value,
                Member.phone.is_not(None),
            )
            .order_by(Club.id, Member.number)
        ).all()
        seen: set[tuple[int, str]] = set()
        outgoing: list[dict[str, Any]] = []
        for club_id, code, place, club_lang, member_id, phone, member_lang in rows:
            if (club_id, phone) in seen:  # a phone shared by several members
                continue
            seen.add((club_id, phone))
            lang = resolve_language(member_lang or club_lang)
            text = render_meeting_reminder(
                lang, club_code=code, meeting_on=meeting, place=place, today=day
            )
            outgoing.append(
                _message(
                    phone,
                    text,
                    OutboundKind.REMINDER,
                    lang,
                    f"remind.meeting:{club_id}:{meeting.isoformat()}:m{member_id}" + tag,
                    club_id=club_id,
                )
            )
        return queue_messages(s, outgoing)

    return _run(f"remind.meeting:{day.isoformat()}", build, force)


def silent_club_nudges(today: str | None = None, force: bool = False) -> int:
    """Three days after a club's meeting day with nothing sent since: an SMS to its secretary."""
    day = _day(today)
    meeting = day - timedelta(days=NUDGE_AFTER_DAYS)

    def build(s: Session, tag: str) -> list[int]:
        clubs = s.execute(
            select(Club.id, Club.code, Club.language).where(
                meets_on(meeting), Club.created_at < vn_midnight(meeting)
            )
        ).all()
        candidates = [c.id for c in clubs]
        if not candidates:
            return []
        heard = reported_club_ids(s, candidates, meeting, day)
        in_scope = ClubFilter(s, candidates)
        heard |= set(
            s.scalars(
                select(Meeting.club_id).where(
                    in_scope(Meeting.club_id),
                    Meeting.voided_at.is_(None),
                    Meeting.held_on.between(meeting - timedelta(days=EARLY_MEETING_DAYS), day),
                )
            )
        )
        silent = [c for c in clubs if c.id not in heard]
        recipients = _board_recipients(s, [c.id for c in silent], NUDGE_ROLES)
        outgoing: list[dict[str, Any]] = []
        for club_id, code, club_lang in silent:
            if club_id not in recipients:
                continue
            member_id, phone, member_lang = recipients[club_id]
            lang = resolve_language(member_lang or club_lang)
            outgoing.append(
                _message(
                    phone,
                    render_nudge(lang, club_code=code, meeting_on=meeting, today=day),
                    OutboundKind.REMINDER,
                    lang,
                    f"remind.nudge:{club_id}:{meeting.isoformat()}" + tag,
                    club_id=club_id,
                )
            )
        return queue_messages(s, outgoing)

    return _run(f"remind.nudge:{day.isoformat()}", build, force)
