"""Recording HUY (cancel a report by its reference: its sender or the board), answering HD
(help: anyone registered) and recording XONG (close a red alert or help request by the reference
its alert SMS carried: the board, health and home-care volunteers, supervisors)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, or_, select

from menus.clock import to_vn, utcnow
from menus.grammar import help_text
from menus.sms.service import HdArgs, HuyArgs, XongArgs
from models.admin import supervisor_club_ids
from models.clubs import Member
from models.console import AlertHandling, AlertKind, AlreadyHandled, close_alert
from models.console import Outcome as HelpOutcome
from models.enums import AlertLevel, RequestStatus, Role
from models.ledger import Loan
from models.records import AuditEntry, HealthReading, HelpRequest, Report, recorded_tables
from workers.sms.core import BOARD, Allowed, Ctx, Handler, Outcome, Refused, audit

CANCEL_WINDOW = timedelta(days=30)


def record_huy(ctx: Ctx, args: HuyArgs, on: date) -> Outcome:
    """Void every row the report recorded (each recorded table, models.records.RecordedRow).
    Member changes stay: the reply says so when the report made any (its audit rows say)."""
    assert ctx.club is not None
    session, ref = ctx.session, args.ref
    report = session.scalar(select(Report).where(Report.club_id == ctx.club.id, Report.ref == ref))
    if report is None:
        raise Refused("ref_unknown", ref=ref)
    if report.cancelled_at is not None:
        raise Refused("ref_cancelled", ref=ref)
    if utcnow() - report.created_at > CANCEL_WINDOW:
        raise Refused("ref_too_old", ref=ref)
    if report.reporter_phone != ctx.phone and not ctx.is_board:
        raise Refused("ref_not_yours", ref=ref)
    now = utcnow()
    for loan in session.scalars(select(Loan).where(Loan.report_id == report.id)):
        if any(r.voided_at is None and r.report_id != report.id for r in loan.repayments):
            raise Refused("loan_has_payments")
    counts: dict[str, int] = {}
    for table in recorded_tables():
        rows = session.scalars(
            select(table).where(table.report_id == report.id, table.voided_at.is_(None))
        ).all()
        for row in rows:
            row.void(session, now)
        if rows:
            counts[table.__tablename__] = len(rows)
    report.cancelled_at, report.cancelled_by_phone = now, ctx.phone
    detail = ", ".join(f"{k}={v}" for k, v in sorted(counts.items()))
    audit(ctx, "cancel", "report", report.id, detail)
    session.flush()
    text = ctx.tr("reply.done.huy", ref=ref, summary=report.summary[:80] or "-")
    if _member_changes(ctx, report):
        text += ctx.tr("reply.done.huy_tv_note")
    return Outcome("HUY", answer=text)


def _member_changes(ctx: Ctx, report: Report) -> int:
    """How many member changes (a member added, a phone set) the report made: TV audits each
    with the detail "report <id>"."""
    return (
        ctx.session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.entity == "member", AuditEntry.detail == f"report {report.id}")
        )
        or 0
    )


def answer_hd(ctx: Ctx, args: HdArgs, on: date) -> Outcome:
    return Outcome("HD", answer=help_text(args.topic, ctx.lang))


@dataclass(frozen=True)
class _Alert:
    """A red alert (its reading) or a help request recorded under a report."""

    kind: AlertKind
    target_id: int
    member: Member
    handled: bool


def record_xong(ctx: Ctx, args: XongArgs, on: date) -> Outcome:
    """Close what the alert SMS carrying the reference was about: the red alerts and help
    requests recorded under that report, for one member, by the console's own rule
    (models.console.close_alert); a member who asked for help is told by SMS."""
    report = _alert_report(ctx, args.ref)
    alerts = _alerts(ctx, report)
    if not alerts:
        raise Refused("ref_cancelled" if report.cancelled_at else "xong_nothing", ref=args.ref)
    open_alerts = [a for a in alerts if not a.handled]
    if not open_alerts:
        raise _already_closed(ctx, args.ref, alerts)
    numbers = sorted({a.member.number for a in open_alerts})
    if len(numbers) > 1:
        if args.note_member not in numbers:
            members = ", ".join(str(n) for n in numbers)
            raise Refused("xong_which", ref=args.ref, members=members, kw=ctx.tr("sms.kw.xong"))
        open_alerts = [a for a in open_alerts if a.member.number == args.note_member]
    by = _closer(ctx)
    told: list[int] = []
    for alert in open_alerts:
        try:
            told += close_alert(
                ctx.session, alert.kind, alert.target_id, by, args.note,
                outcome=HelpOutcome.CAME, club_ids=[report.club_id],
            )  # fmt: skip
        except AlreadyHandled:  # closed a moment ago, from the console or another phone
            raise _already_closed(ctx, args.ref, alerts) from None
    ctx.outbound.extend(told)
    member = open_alerts[0].member.number
    what = ", ".join(dict.fromkeys(ctx.tr(f"reply.xong.{a.kind}") for a in open_alerts))
    tail = ctx.tr("reply.done.xong_told", member=member) if told else ""
    answer = ctx.tr("reply.done.xong", what=what, member=member, ref=args.ref, told=tail)
    return Outcome("XONG", answer=answer)


def _alert_report(ctx: Ctx, ref: str) -> Report:
    """The report a reference names in the sender's club; for a supervisor without CLB, in the
    clubs of their area (one of them only: the same reference in two clubs needs CLB)."""
    if ctx.club is not None:
        club_ids = [ctx.club.id]
    else:
        assert ctx.supervisor is not None
        club_ids = supervisor_club_ids(ctx.session, ctx.supervisor.id)
    reports = ctx.session.scalars(
        select(Report).where(Report.club_id.in_(club_ids), Report.ref == ref)
    ).all()
    if not reports:
        raise Refused("ref_unknown", ref=ref)
    if len(reports) > 1:
        raise Refused("need_club")
    return reports[0]


def _alerts(ctx: Ctx, report: Report) -> list[_Alert]:
    """The report's red alerts and help requests still standing, and whether each is closed."""
    session = ctx.session
    readings = session.scalars(
        select(HealthReading).where(
            HealthReading.report_id == report.id,
            HealthReading.voided_at.is_(None),
            HealthReading.alert == AlertLevel.RED.value,
        )
    ).all()
    requests = session.scalars(
        select(HelpRequest).where(
            HelpRequest.report_id == report.id, HelpRequest.voided_at.is_(None)
        )
    ).all()
    reading_ids, request_ids = [r.id for r in readings], [r.id for r in requests]
    closed_readings, closed_requests = _closed(ctx, reading_ids, request_ids)
    alerts = [
        _Alert(AlertKind.RED, r.id, _member(ctx, r.member_id), r.id in closed_readings)
        for r in readings
    ]
    alerts += [
        _Alert(
            AlertKind.HELP, r.id, _member(ctx, r.member_id),
            r.id in closed_requests or r.status != RequestStatus.OPEN.value,
        )
        for r in requests
    ]  # fmt: skip
    return alerts


def _closed(ctx: Ctx, reading_ids: list[int], request_ids: list[int]) -> tuple[set[int], set[int]]:
    rows = ctx.session.execute(
        select(AlertHandling.reading_id, AlertHandling.help_request_id).where(
            or_(
                AlertHandling.reading_id.in_(reading_ids),
                AlertHandling.help_request_id.in_(request_ids),
            )
        )
    ).all()
    return {r for r, _ in rows if r is not None}, {h for _, h in rows if h is not None}


def _member(ctx: Ctx, member_id: int) -> Member:
    member = ctx.session.get(Member, member_id)
    assert member is not None
    return member


def _already_closed(ctx: Ctx, ref: str, alerts: list[_Alert]) -> Refused:
    """ "Already closed", saying who closed it and when (the latest closing of the report's)."""
    reading_ids = [a.target_id for a in alerts if a.kind == AlertKind.RED]
    request_ids = [a.target_id for a in alerts if a.kind == AlertKind.HELP]
    handling = ctx.session.scalars(
        select(AlertHandling)
        .where(
            or_(
                AlertHandling.reading_id.in_(reading_ids),
                AlertHandling.help_request_id.in_(request_ids),
            )
        )
        .order_by(AlertHandling.handled_at.desc(), AlertHandling.id.desc())
        .limit(1)
    ).first()
    if handling is None:  # a help request marked done without a handling record
        return Refused("xong_done", ref=ref, by="-", at="-")
    at = to_vn(handling.handled_at).strftime("%d/%m %H:%M")
    return Refused("xong_done", ref=ref, by=handling.handled_by, at=at)


def _closer(ctx: Ctx) -> str:
    """Who closed it, as the console shows it: the member's name and card, or the supervisor."""
    member = ctx.reporter
    if member is not None:
        return f"{member.full_name} (TV{member.number})"
    assert ctx.supervisor is not None
    return ctx.supervisor.name


HANDLERS: tuple[Handler, ...] = (
    # Any member of the club; the report's sender or the board, checked in record_huy.
    Handler(HuyArgs, record_huy, Allowed(None)),
    Handler(HdArgs, answer_hd, Allowed(None, without_club=True)),
    Handler(
        XongArgs,
        record_xong,
        Allowed(BOARD | {Role.HEALTH_VOLUNTEER, Role.HOMECARE_VOLUNTEER}, supervisors=True),
    ),
)
