"""One inbound SMS, start to finish: who sent it, what it says, what to record, what to answer.

Runs inside the job's single transaction; each command gets a savepoint so a refused command
leaves nothing behind while the others in the same SMS are kept.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from menus import grammar
from menus.clock import to_vn, utcnow
from menus.dates import date_error
from menus.i18n import available_languages, resolve_language, t
from menus.phones import SenderKind, normalize_phone, sender_kind
from menus.text import fold
from menus.views import money
from models.admin import add_member, change_phone, members_by_phone
from models.clubs import Club, Member, Supervisor
from models.enums import (
    BOARD_ROLES,
    AlertLevel,
    HelpKind,
    InboundStatus,
    MemberStatus,
    OutboundKind,
    Role,
)
from models.health import bp_alert, grade_bp
from models.ledger import Loan, RepaymentRefused, apply_repayment
from models.messages import InboundMessage
from models.outbox import queue_message
from models.records import (
    Activity,
    Attendance,
    AuditEntry,
    FundContribution,
    HealthReading,
    HelpRequest,
    HomeVisit,
    Meeting,
    Report,
)
from models.refs import issue_ref

log = logging.getLogger(__name__)

LOOP_WINDOW = timedelta(minutes=10)
LOOP_REPEATS = 3
CANCEL_WINDOW = timedelta(days=30)
MAX_LOAN = 500_000_000  # far above any club loan (2-20 million); catches "5000tr" slips
MAX_FUND_GIFT = 2_000_000_000  # also below what the integer money columns hold
LIST_COMMANDS = frozenset({"TRA", "HA", "CN"})  # several members in one command
NO_CLUB_NEEDED = frozenset({"HD", "NN"})

# Who may send what (docs/SMS-COMMANDS.md). "self" commands are also open to any member for
# themself; HUY is open to the report's sender (checked in the handler).
BOARD = frozenset(BOARD_ROLES)
ALLOWED: dict[str, frozenset[Role] | None] = {
    "DD": BOARD,
    "VAY": BOARD,
    "TRA": BOARD,
    "MANG": BOARD,
    "GOP": BOARD,
    "TV": BOARD,
    "HA": BOARD | {Role.HEALTH_VOLUNTEER},
    "CN": BOARD | {Role.HEALTH_VOLUNTEER},
    "THAM": BOARD | {Role.HOMECARE_VOLUNTEER},
    "BC": BOARD,
    # None: any registered member of the club.
    "HUY": None,
    "HD": None,
    "NO": None,
    "SK": None,
    "QUY": None,
    "LICH": None,
    "NHO": None,
    "NN": None,
}


class Refused(Exception):
    """A command that cannot be recorded, with the reason's catalog key and parameters."""

    def __init__(self, why: str, **params: Any) -> None:
        super().__init__(why)
        self.why = why
        self.params = params


class RefusedEach(Exception):
    """Every item of a list command (TRA pairs, HA readings, CN weights) refused."""

    def __init__(self, refusals: list[Refused]) -> None:
        super().__init__(", ".join(r.why for r in refusals))
        self.refusals = refusals


@dataclass
class Outcome:
    """One command's result: a fragment for the OK line, a full answer, or an error."""

    keyword: str
    fragment: str | None = None
    answer: str | None = None
    error: str | None = None
    refused: list[Refused] = field(default_factory=list)  # items of the command not recorded


@dataclass
class Ctx:
    """Everything a command handler needs about the message it came in."""

    s: Session
    msg: InboundMessage
    phone: str
    lang: str
    today: date
    club: Club | None
    mine: list[Member]  # this phone's members in the club (several on a shared phone)
    supervisor: Supervisor | None
    acting: Member | None = None  # chosen on the USSD "who are you" screen
    report: Report | None = None
    outbound: list[int] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)

    @property
    def roles(self) -> frozenset[Role]:
        members = [self.acting] if self.acting else self.mine
        return frozenset().union(*(m.role_set for m in members)) if members else frozenset()

    @property
    def is_board(self) -> bool:
        return bool(self.roles & BOARD)

    @property
    def reporter(self) -> Member | None:
        if self.acting:
            return self.acting
        ranked = sorted(
            self.mine, key=lambda m: (not (m.role_set & BOARD), not m.role_set, m.number)
        )
        return ranked[0] if ranked else None

    def tr(self, key: str, **params: Any) -> str:
        return t(self.lang, key, **params)

    def money(self, amount: int) -> str:
        return money(amount, self.lang)

    def get_report(self) -> Report:
        """The SMS's one report and reference, created by its first recorded command."""
        if self.report is None:
            assert self.club is not None
            self.report = Report(
                club_id=self.club.id,
                ref=issue_ref(self.s, self.club.id),
                source_key=f"in:{self.msg.id}",
                inbound_id=self.msg.id,
                reporter_phone=self.phone,
                reporter_member_id=self.reporter.id if self.reporter else None,
            )
            self.s.add(self.report)
            self.s.flush()
        return self.report


# ---------------------------------------------------------------------------------------------
# Entry point


def handle_inbound(
    s: Session, msg: InboundMessage, today: date, acting_member_id: int | None = None
) -> list[int]:
    """Process one stored message; returns the outbound ids to send after commit."""
    kind = sender_kind(msg.sender)
    if kind != SenderKind.MOBILE:
        msg.status, msg.note = InboundStatus.IGNORED, f"sender {kind}"
        return []
    phone = normalize_phone(msg.sender)
    assert phone is not None
    if msg.channel != "ussd" and _is_loop(s, msg, phone):
        msg.status, msg.note = InboundStatus.IGNORED, "repeated text (auto-responder loop)"
        return []
    members = members_by_phone(s, phone)
    supervisor = s.scalar(select(Supervisor).where(Supervisor.phone == phone, Supervisor.active))
    acting = s.get(Member, acting_member_id) if acting_member_id else None
    if acting is not None and acting.phone != phone:
        acting = None
    lang = _language(acting or (members[0] if members else None), supervisor)
    msg.status = InboundStatus.PROCESSED
    if not members and supervisor is None:
        msg.note = "unregistered"
        return _reply_once_a_day(s, msg, phone, lang, today)

    if len(msg.text) > grammar.MAX_PARSED_CHARS:
        # Ten SMS of commands at most: a longer text is refused whole, before the parser spends
        # seconds on it (its work grows faster than the text).
        msg.note = "too long"
        ctx = Ctx(s=s, msg=msg, phone=phone, lang=lang, today=today, club=None, mine=[],
                  supervisor=supervisor, acting=acting)  # fmt: skip
        text = t(lang, "reply.too_long", length=len(msg.text), limit=grammar.MAX_PARSED_CHARS)
        return [_reply(ctx, text)]
    parsed = grammar.parse(msg.text, today)
    ctx = Ctx(
        s=s,
        msg=msg,
        phone=phone,
        lang=lang,
        today=today,
        club=None,
        mine=[],
        supervisor=supervisor,
        acting=acting,
    )
    problem = _choose_club(ctx, members, parsed)
    if problem is not None:
        return [_reply(ctx, problem)]
    if ctx.club is not None:
        msg.club_id = ctx.club.id
    outcomes = [o for item in parsed.items for o in _run(ctx, item)]
    if not outcomes:  # only a courtesy ("cam on"): answering it would start a loop
        msg.note = "courtesy, no reply"
        return ctx.outbound
    if ctx.report is not None:
        ctx.report.summary = "; ".join(ctx.summary)[:2000]
    return [_reply(ctx, _assemble(ctx, outcomes)), *ctx.outbound]


def _language(member: Member | None, supervisor: Supervisor | None) -> str:
    if member is not None:
        return resolve_language(member.language or member.club.language)
    if supervisor is not None:
        return resolve_language(supervisor.language)
    return "vi"


def _is_loop(s: Session, msg: InboundMessage, phone: str) -> bool:
    """The same text from the same sender three times within ten minutes: stop answering."""
    since = msg.received_at - LOOP_WINDOW
    same = s.scalar(
        select(func.count())
        .select_from(InboundMessage)
        .where(
            InboundMessage.sender.in_({msg.sender, phone}),
            InboundMessage.received_at >= since,
            InboundMessage.received_at <= msg.received_at,
            InboundMessage.id != msg.id,
            InboundMessage.text == msg.text,
        )
    )
    return same + 1 >= LOOP_REPEATS


def _reply_once_a_day(
    s: Session, msg: InboundMessage, phone: str, lang: str, today: date
) -> list[int]:
    out = queue_message(
        s,
        to=phone,
        text=t(lang, "reply.not_registered"),
        kind=OutboundKind.REPLY,
        language=lang,
        inbound_id=msg.id,
        dedupe_key=f"unreg:{phone}:{today.isoformat()}",
    )
    return [out] if out else []


def _reply(ctx: Ctx, text: str) -> int:
    out = queue_message(
        ctx.s,
        to=ctx.phone,
        text=text,
        kind=OutboundKind.REPLY,
        language=ctx.lang,
        club_id=ctx.club.id if ctx.club else None,
        inbound_id=ctx.msg.id,
        dedupe_key=f"reply:{ctx.msg.id}",
    )
    assert out is not None, "a reply for this message already exists"
    return out


def _choose_club(ctx: Ctx, members: list[Member], parsed: grammar.ParsedSMS) -> str | None:
    """Pick the club the SMS is about; a reply text when it cannot be picked."""
    clubs = {m.club_id: m.club for m in members}
    codes = sorted(c.code for c in clubs.values())
    keywords = {i.keyword for i in parsed.items if isinstance(i, grammar.Command)}
    if parsed.club_code:
        code = parsed.club_code.upper()
        club = next((c for c in clubs.values() if c.code == code), None)
        if club is None and ctx.supervisor is not None:
            from models.admin import supervisor_club_ids

            club = ctx.s.scalar(select(Club).where(Club.code == code))
            if club is not None and club.id not in supervisor_club_ids(ctx.s, ctx.supervisor.id):
                club = None
        if club is None:
            return ctx.tr("reply.unknown_club", code=code, clubs=", ".join(codes) or "-")
        ctx.club = club
    elif ctx.acting is not None:  # chosen on the USSD "who are you" screen
        ctx.club = ctx.acting.club
    elif len(clubs) == 1:
        ctx.club = next(iter(clubs.values()))
    elif len(clubs) > 1 and not keywords <= NO_CLUB_NEEDED:
        return ctx.tr("reply.pick_club", clubs=", ".join(codes), example=codes[0])
    if ctx.club is not None:
        ctx.mine = [m for m in members if m.club_id == ctx.club.id]
        if ctx.acting is not None and ctx.acting.club_id != ctx.club.id:
            ctx.acting = None
    return None


# ---------------------------------------------------------------------------------------------
# Running one command


def _run(ctx: Ctx, item: grammar.Command | grammar.ParseError) -> list[Outcome]:
    """The command's outcome, then one error per item of it that was refused."""
    if isinstance(item, grammar.ParseError):
        error = grammar.render_error(item, ctx.lang)
        if item.keyword in LIST_COMMANDS and "," in item.raw:
            # One bad item refuses the whole list (the spec); say so, or the others seem kept.
            error += ctx.tr("reply.none_stored", kw=ctx.tr(f"sms.kw.{item.keyword.lower()}"))
        return [Outcome(item.keyword or "?", error=error)]
    before = (ctx.report, len(ctx.outbound), len(ctx.summary))
    try:
        _authorise(ctx, item)
        with ctx.s.begin_nested():
            outcome = HANDLERS[item.keyword](ctx, item)
    except (Refused, RefusedEach) as exc:
        # The savepoint is gone, and with it a report or alert made inside it.
        ctx.report = before[0]
        del ctx.outbound[before[1] :], ctx.summary[before[2] :]
        refusals = exc.refusals if isinstance(exc, RefusedEach) else [exc]
        return [_refusal(ctx, item, r) for r in refusals]
    return [outcome, *(_refusal(ctx, item, r) for r in outcome.refused)]


def _refusal(ctx: Ctx, cmd: grammar.Command, exc: Refused) -> Outcome:
    """The error line for a refusal, naming the member it was about: "Loi: HA 40 - ..."."""
    member = exc.params.get("member", getattr(cmd.args, "member", None))
    keyword = ctx.tr(f"sms.kw.{cmd.keyword.lower()}")  # "PAY" in English
    what = f"{keyword} {member}" if member else keyword
    why = ctx.tr(f"reply.why.{exc.why}", **exc.params)
    return Outcome(cmd.keyword, error=ctx.tr("reply.err_prefix", what=what, why=why))


T = TypeVar("T")
R = TypeVar("R")


def _each(ctx: Ctx, items: Iterable[T], record: Callable[[T], R]) -> tuple[list[R], list[Refused]]:
    """Record the items one by one, each in a savepoint: a refused one leaves the others stored
    ("TRA 12 200k, 15 99tr" keeps the first pair). Raises when none could be recorded."""
    done: list[R] = []
    refused: list[Refused] = []
    for item in items:
        try:
            with ctx.s.begin_nested():
                done.append(record(item))
        except Refused as exc:
            refused.append(exc)
    if not done:
        raise RefusedEach(refused)
    return done, refused


def _authorise(ctx: Ctx, cmd: grammar.Command) -> None:
    kw = cmd.keyword
    if ctx.club is None:
        if ctx.supervisor is not None and kw not in NO_CLUB_NEEDED | {"BC"}:
            raise Refused("supervisor_only_bc")
        if kw not in NO_CLUB_NEEDED | {"BC"}:
            raise Refused("need_club")
        return
    if not ctx.mine:  # a supervisor asking about a club in their area
        if kw not in NO_CLUB_NEEDED | {"BC"}:
            raise Refused("supervisor_only_bc")
        return
    allowed = ALLOWED[kw]
    if allowed is None or ctx.roles & allowed:
        return
    if kw == "HA" and _only_own_readings(ctx, cmd):
        return
    raise Refused("not_allowed")


def _only_own_readings(ctx: Ctx, cmd: grammar.Command) -> bool:
    own = {m.number for m in ([ctx.acting] if ctx.acting else ctx.mine)}
    return all(r.member is None or r.member in own for r in cmd.args.readings)


def _date(ctx: Ctx, cmd: grammar.Command) -> date:
    d = cmd.date or ctx.today
    assert ctx.club is not None
    problem = date_error(d, ctx.today, ctx.club.backdate_days)
    if problem:
        raise Refused(problem, date=d.strftime("%d/%m/%Y"), days=ctx.club.backdate_days)
    return d


def _member(ctx: Ctx, number: int) -> Member:
    assert ctx.club is not None
    m = ctx.s.scalar(select(Member).where(Member.club_id == ctx.club.id, Member.number == number))
    if m is None:
        raise Refused("no_member", member=number)
    if m.status != MemberStatus.ACTIVE:
        raise Refused("member_left", member=number)
    return m


def _own_member(ctx: Ctx, number: int | None, keyword: str) -> Member | Refused | str:
    """The member a self-service query is about: given, or the phone's own one."""
    if number is not None:
        m = _member(ctx, number)
        if not ctx.is_board and m.id not in {x.id for x in ctx.mine}:
            raise Refused("only_self")
        return m
    if ctx.acting is not None:
        return ctx.acting
    if len(ctx.mine) == 1:
        return ctx.mine[0]
    choices = ", ".join(f"{m.number} {m.first_name}" for m in ctx.mine)
    kw = ctx.tr(f"sms.kw.{keyword.lower()}")  # "DEBT" in English
    return ctx.tr("reply.shared_phone_who", choices=choices, kw=kw, example=ctx.mine[0].number)


# ---------------------------------------------------------------------------------------------
# Recording commands


def _dd(ctx: Ctx, cmd: grammar.Command) -> Outcome:
    assert ctx.club is not None
    held_on = _date(ctx, cmd)
    active = {
        m.number: m
        for m in ctx.s.scalars(
            select(Member).where(
                Member.club_id == ctx.club.id, Member.status == MemberStatus.ACTIVE
            )
        )
    }
    named = set(cmd.args.members)
    unknown = sorted(named - active.keys())
    if unknown:
        raise Refused("no_members", members=" ".join(str(n) for n in unknown))
    if cmd.args.absent:
        present = [m for n, m in active.items() if n not in named]
    else:
        present = [active[n] for n in sorted(named)]
    report = ctx.get_report()
    meeting = ctx.s.scalar(
        select(Meeting).where(Meeting.club_id == ctx.club.id, Meeting.held_on == held_on)
    )
    if meeting is None:
        meeting = Meeting(club_id=ctx.club.id, held_on=held_on)
        ctx.s.add(meeting)
    else:
        # A later DD for the same date replaces the earlier list; the audit keeps the old one
        # (report and member ids), so cancelling the later DD brings the earlier list back.
        old = sorted(a.member_id for a in meeting.attendance)
        _audit(
            ctx,
            "replace",
            "meeting",
            meeting.id,
            json.dumps({"by_report": report.id, "report": meeting.report_id, "present": old}),
        )
        meeting.attendance.clear()
        ctx.s.flush()
    meeting.report_id, meeting.voided_at = report.id, None
    meeting.attendance.extend(Attendance(member_id=m.id) for m in present)
    ctx.s.flush()
    frag = ctx.tr("reply.frag.dd", date=held_on.strftime("%d/%m"), present=len(present))
    ctx.summary.append(frag)
    return Outcome("DD", fragment=frag)


def _audit(ctx: Ctx, action: str, entity: str, entity_id: int, detail: str) -> None:
    """An audit-trail entry for a change made by this message's sender."""
    assert ctx.club is not None
    ctx.s.add(
        AuditEntry(
            club_id=ctx.club.id,
            actor_phone=ctx.phone,
            action=action,
            entity=entity,
            entity_id=entity_id,
            detail=detail,
        )
    )


def _check_amount(ctx: Ctx, amount: int, limit: int) -> None:
    """Refuse an amount no club handles in one go (a slip like "30000tr"), with the limit."""
    if amount > limit:
        raise Refused("too_large", amount=ctx.money(amount), limit=ctx.money(limit))


def _vay(ctx: Ctx, cmd: grammar.Command) -> Outcome:
    assert ctx.club is not None
    on = _date(ctx, cmd)
    _check_amount(ctx, cmd.args.amount, MAX_LOAN)
    m = _member(ctx, cmd.args.member)
    months = cmd.args.months or ctx.club.loan_default_term_months
    loan = Loan(
        club_id=ctx.club.id,
        member_id=m.id,
        principal_vnd=cmd.args.amount,
        interest_pct_month=ctx.club.loan_interest_pct_month,
        interest_method=ctx.club.loan_interest_method,
        term_months=months,
        disbursed_on=on,
        report_id=ctx.get_report().id,
    )
    ctx.s.add(loan)
    ctx.s.flush()
    frag = ctx.tr(
        "reply.frag.vay", member=m.number, amount=ctx.money(cmd.args.amount), months=months
    )
    ctx.summary.append(frag)
    return Outcome("VAY", fragment=frag)


def _tra(ctx: Ctx, cmd: grammar.Command) -> Outcome:
    on = _date(ctx, cmd)
    report = ctx.get_report()

    def pay(p: grammar.Payment) -> tuple[int, int, int]:
        _check_amount(ctx, p.amount, MAX_LOAN)
        m = _member(ctx, p.member)
        try:
            _, loan = apply_repayment(ctx.s, m.id, p.amount, on, report.id)
        except RepaymentRefused as exc:
            params = {"member": p.member, "amount": ctx.money(p.amount)}
            if "balance" in exc.params:
                params["balance"] = ctx.money(int(exc.params["balance"]))  # type: ignore[arg-type]
            raise Refused(exc.code, **params) from None
        ctx.s.refresh(loan)
        return p.member, p.amount, loan.balance_vnd()

    done, refused = _each(ctx, cmd.args.payments, pay)
    if len(done) == 1:
        number, amount, balance = done[0]
        frag = ctx.tr(
            "reply.frag.tra_one",
            member=number,
            amount=ctx.money(amount),
            balance=ctx.money(balance),
        )
    else:
        frag = ctx.tr(
            "reply.frag.tra_many", count=len(done), amount=ctx.money(sum(a for _, a, _ in done))
        )
    ctx.summary.append(frag)
    return Outcome("TRA", fragment=frag, refused=refused)


def _ha(ctx: Ctx, cmd: grammar.Command) -> Outcome:
    assert ctx.club is not None
    on = _date(ctx, cmd)
    report = ctx.get_report()

    def save(r: grammar.Reading) -> tuple[Member, HealthReading]:
        if r.member is None:
            own = _own_member(ctx, None, "HA")
            if isinstance(own, str):  # a shared phone: whose reading is it?
                raise Refused("no_own_member", members=", ".join(str(x.number) for x in ctx.mine))
            m = own
        else:
            m = _member(ctx, r.member)
        grade = grade_bp(r.systolic, r.diastolic) if r.systolic is not None else None
        alert = bp_alert(r.systolic, r.diastolic) if r.systolic is not None else AlertLevel.NONE
        reading = HealthReading(
            club_id=ctx.club.id,
            member_id=m.id,
            taken_on=on,
            systolic=r.systolic,
            diastolic=r.diastolic,
            pulse=r.pulse,
            weight_kg=r.weight_kg,
            glucose_mmol=r.glucose_mmol,
            grade=grade.value if grade else None,
            alert=alert.value,
            report_id=report.id,
        )
        ctx.s.add(reading)
        ctx.s.flush()
        return m, reading

    saved, refused = _each(ctx, cmd.args.readings, save)
    for m, reading in saved:
        if reading.alert == AlertLevel.RED:
            _red_alert(ctx, m, reading)
    alerts = sum(1 for _, r in saved if r.alert != AlertLevel.NONE)
    if len(saved) == 1:
        m, r = saved[0]
        grade_word = ctx.tr(f"reply.grade.{r.grade}") if r.grade else ""
        frag = ctx.tr(
            "reply.frag.ha_one", member=m.number, sys=r.systolic, dia=r.diastolic, grade=grade_word
        ).rstrip()
        if alerts:
            frag += ctx.tr("reply.frag.alert_mark")
    else:
        frag = ctx.tr("reply.frag.ha_many", count=len(saved))
        if alerts:
            frag += ctx.tr("reply.frag.alerts_mark", count=alerts)
    ctx.summary.append(frag)
    return Outcome("HA", fragment=frag, refused=refused)


def _alert_club(
    ctx: Ctx, role: Role, text_for: Callable[[str], str], key: Callable[[str], str]
) -> None:
    """An SMS at once to the club's chair and everyone with `role`, each in their language.

    One per phone (a phone may hold both roles); never to the sender, whose reply says it all.
    """
    assert ctx.club is not None
    recipients = ctx.s.scalars(
        select(Member).where(
            Member.club_id == ctx.club.id,
            Member.status == MemberStatus.ACTIVE,
            Member.phone.is_not(None),
            Member.roles.any(role=role) | Member.roles.any(role=Role.CHAIR),
        )
    ).all()
    for r in {x.phone: x for x in recipients if x.phone != ctx.phone}.values():
        assert r.phone is not None
        lang = resolve_language(r.language or ctx.club.language)
        out = queue_message(
            ctx.s,
            to=r.phone,
            text=text_for(lang),
            kind=OutboundKind.ALERT,
            language=lang,
            club_id=ctx.club.id,
            inbound_id=ctx.msg.id,
            dedupe_key=key(r.phone),
        )
        if out:
            ctx.outbound.append(out)


def _red_alert(ctx: Ctx, member: Member, reading: HealthReading) -> None:
    """At once, to the club's health volunteers and chair; once per member per day each."""
    assert ctx.club is not None
    reporter = f"TV{ctx.reporter.number}" if ctx.reporter else ctx.phone
    _alert_club(
        ctx,
        Role.HEALTH_VOLUNTEER,
        lambda lang: t(
            lang,
            "alert.red_bp",
            club=ctx.club.code,
            member=member.number,  # type: ignore[union-attr]
            name=member.full_name,
            sys=reading.systolic,
            dia=reading.diastolic,
            date=reading.taken_on.strftime("%d/%m"),
            reporter=reporter,
        ),
        lambda phone: f"red:{member.id}:{reading.taken_on.isoformat()}:{phone}",
    )


def _cn(ctx: Ctx, cmd: grammar.Command) -> Outcome:
    assert ctx.club is not None
    on = _date(ctx, cmd)
    report = ctx.get_report()

    def weigh(w: grammar.Weight) -> tuple[int, Decimal]:
        m = _member(ctx, w.member)
        ctx.s.add(
            HealthReading(
                club_id=ctx.club.id,
                member_id=m.id,
                taken_on=on,
                weight_kg=w.kg,
                report_id=report.id,
            )
        )
        ctx.s.flush()
        return w.member, w.kg

    done, refused = _each(ctx, cmd.args.weights, weigh)
    if len(done) == 1:
        frag = ctx.tr("reply.frag.cn_one", member=done[0][0], kg=_kg(done[0][1]))
    else:
        frag = ctx.tr("reply.frag.cn_many", count=len(done))
    ctx.summary.append(frag)
    return Outcome("CN", fragment=frag, refused=refused)


def _kg(kg: Decimal) -> str:
    return f"{kg.normalize():f}".replace(".", ",")


def _tham(ctx: Ctx, cmd: grammar.Command) -> Outcome:
    assert ctx.club is not None
    on = _date(ctx, cmd)
    m = _member(ctx, cmd.args.member)
    volunteer = ctx.reporter
    ctx.s.add(
        HomeVisit(
            club_id=ctx.club.id,
            member_id=m.id,
            visited_on=on,
            volunteer_member_id=volunteer.id if volunteer else None,
            note=cmd.args.note or None,
            report_id=ctx.get_report().id,
        )
    )
    ctx.s.flush()
    frag = ctx.tr("reply.frag.tham", member=m.number)
    ctx.summary.append(frag)
    return Outcome("THAM", fragment=frag)


def _mang(ctx: Ctx, cmd: grammar.Command) -> Outcome:
    assert ctx.club is not None
    on = _date(ctx, cmd)
    ctx.s.add(
        Activity(
            club_id=ctx.club.id,
            area=cmd.args.area,
            held_on=on,
            people=cmd.args.people,
            note=cmd.args.note or None,
            report_id=ctx.get_report().id,
        )
    )
    ctx.s.flush()
    frag = ctx.tr("reply.frag.mang", area=cmd.args.area, people=cmd.args.people)
    ctx.summary.append(frag)
    return Outcome("MANG", fragment=frag)


def _gop(ctx: Ctx, cmd: grammar.Command) -> Outcome:
    assert ctx.club is not None
    on = _date(ctx, cmd)
    _check_amount(ctx, cmd.args.amount, MAX_FUND_GIFT)
    m = _member(ctx, cmd.args.member) if cmd.args.member else None
    ctx.s.add(
        FundContribution(
            club_id=ctx.club.id,
            member_id=m.id if m else None,
            amount_vnd=cmd.args.amount,
            given_on=on,
            note=cmd.args.note or None,
            report_id=ctx.get_report().id,
        )
    )
    ctx.s.flush()
    if m is not None:
        frag = ctx.tr("reply.frag.gop_member", member=m.number, amount=ctx.money(cmd.args.amount))
    else:
        frag = ctx.tr("reply.frag.gop_outside", amount=ctx.money(cmd.args.amount))
    ctx.summary.append(frag)
    return Outcome("GOP", fragment=frag)


def _tv(ctx: Ctx, cmd: grammar.Command) -> Outcome:
    """A new member, or a new phone for an existing one (audited)."""
    assert ctx.club is not None
    a = cmd.args
    existing = ctx.s.scalar(
        select(Member).where(Member.club_id == ctx.club.id, Member.number == a.member)
    )
    report = ctx.get_report()
    if existing is None:
        if not a.full_name:
            raise Refused("name_needed", member=a.member)
        m = add_member(
            ctx.s,
            ctx.club,
            number=a.member,
            full_name=a.full_name,
            phone=a.phone,
            birth_year=a.birth_year,
            sex=a.sex.value if a.sex else None,
        )
        _audit(ctx, "add", "member", m.id, f"report {report.id}")
        frag = ctx.tr("reply.frag.tv_new", member=a.member, name=a.full_name)
    else:
        if a.full_name and fold(existing.full_name) != fold(a.full_name):
            raise Refused("member_exists", member=a.member, name=existing.full_name)
        change_phone(ctx.s, existing, a.phone, actor_phone=ctx.phone)
        frag = ctx.tr("reply.frag.tv_phone", member=a.member, phone=_local(a.phone))
    ctx.summary.append(frag)
    return Outcome("TV", fragment=frag)


def _local(e164: str) -> str:
    return "0" + e164[3:] if e164.startswith("+84") else e164


# ---------------------------------------------------------------------------------------------
# Cancelling


RECORD_TABLES = (Loan, HealthReading, HomeVisit, Activity, FundContribution, HelpRequest)


# A TV fragment of a report's summary ("TV61 Ro Cham", "MEMBER #61 ..."), unlike "TRA TV12 ...".
_TV_FRAGMENT = re.compile(r"(?:TV\d+|MEMBER #\d+) ")


def _huy(ctx: Ctx, cmd: grammar.Command) -> Outcome:
    from models.ledger import Repayment

    assert ctx.club is not None
    ref = cmd.args.ref
    report = ctx.s.scalar(select(Report).where(Report.club_id == ctx.club.id, Report.ref == ref))
    if report is None:
        raise Refused("ref_unknown", ref=ref)
    if report.cancelled_at is not None:
        raise Refused("ref_cancelled", ref=ref)
    if utcnow() - report.created_at > CANCEL_WINDOW:
        raise Refused("ref_too_old", ref=ref)
    if report.reporter_phone != ctx.phone and not ctx.is_board:
        raise Refused("ref_not_yours", ref=ref)
    now = utcnow()
    loans = ctx.s.scalars(select(Loan).where(Loan.report_id == report.id)).all()
    for loan in loans:
        if any(r.voided_at is None and r.report_id != report.id for r in loan.repayments):
            raise Refused("loan_has_payments")
    counts: dict[str, int] = {}
    for table in (*RECORD_TABLES, Repayment):
        rows = ctx.s.scalars(
            select(table).where(table.report_id == report.id, table.voided_at.is_(None))
        ).all()
        for row in rows:
            row.voided_at = now
        if rows:
            counts[table.__tablename__] = len(rows)
    for meeting in ctx.s.scalars(select(Meeting).where(Meeting.report_id == report.id)):
        meeting.attendance.clear()
        ctx.s.flush()
        _restore_replaced_attendance(ctx, meeting, report.id, now)
        counts["meetings"] = counts.get("meetings", 0) + 1
    report.cancelled_at, report.cancelled_by_phone = now, ctx.phone
    _audit(
        ctx, "cancel", "report", report.id, ", ".join(f"{k}={v}" for k, v in sorted(counts.items()))
    )
    ctx.s.flush()
    text = ctx.tr("reply.done.huy", ref=ref, summary=report.summary[:80] or "-")
    if any(_TV_FRAGMENT.match(frag) for frag in report.summary.split("; ")):
        text += ctx.tr("reply.done.huy_tv_note")
    return Outcome("HUY", answer=text)


def _restore_replaced_attendance(ctx: Ctx, meeting: Meeting, report_id: int, now: Any) -> None:
    """Cancelling a DD that replaced an earlier, still valid one brings that list back."""
    entries = ctx.s.scalars(
        select(AuditEntry)
        .where(
            AuditEntry.entity == "meeting",
            AuditEntry.entity_id == meeting.id,
            AuditEntry.action == "replace",
        )
        .order_by(AuditEntry.id.desc())
    ).all()
    for entry in entries:
        try:
            detail = json.loads(entry.detail or "")
        except ValueError:
            continue
        if detail.get("by_report") != report_id:
            continue
        earlier = ctx.s.get(Report, detail.get("report")) if detail.get("report") else None
        if earlier is not None and earlier.cancelled_at is None:
            meeting.report_id, meeting.voided_at = earlier.id, None
            meeting.attendance.extend(Attendance(member_id=m) for m in detail["present"])
            return
        break
    meeting.voided_at = now


# ---------------------------------------------------------------------------------------------
# Queries and requests


def _hd(ctx: Ctx, cmd: grammar.Command) -> Outcome:
    return Outcome("HD", answer=grammar.help_text(cmd.args.topic, ctx.lang))


def _nn(ctx: Ctx, cmd: grammar.Command) -> Outcome:
    code = cmd.args.lang
    if code not in available_languages():
        raise Refused("bad_language", code=code, codes=", ".join(available_languages()))
    # From USSD the member is known; an SMS from a shared phone speaks for everyone on it.
    for m in [ctx.acting] if ctx.acting else members_by_phone(ctx.s, ctx.phone):
        m.language = code
    if ctx.supervisor is not None:
        ctx.supervisor.language = code
    ctx.lang = code
    return Outcome("NN", answer=t(code, "reply.done.nn"))


def _self_view(ctx: Ctx, cmd: grammar.Command) -> Outcome:
    from menus import views as render
    from models import views

    m = _own_member(ctx, cmd.args.member, cmd.keyword)
    if isinstance(m, str):
        return Outcome(cmd.keyword, answer=m)
    if cmd.keyword == "NO":
        text = render.render_loan(views.loan_view(ctx.s, m.id, ctx.today), ctx.lang)
    elif cmd.keyword == "SK":
        text = render.render_health(views.health_view(ctx.s, m.id), ctx.lang)
    else:
        text = render.render_fund(views.fund_view(ctx.s, m, ctx.today), ctx.lang)
    return Outcome(cmd.keyword, answer=text)


def _lich(ctx: Ctx, cmd: grammar.Command) -> Outcome:
    from menus import views as render
    from models import views

    m = _own_member(ctx, None, "LICH")
    if isinstance(m, str):
        m = ctx.mine[0]
    return Outcome(
        "LICH", answer=render.render_meeting(views.meeting_view(ctx.s, m, ctx.today), ctx.lang)
    )


def _nho(ctx: Ctx, cmd: grammar.Command) -> Outcome:
    """A help request: home-care volunteers and chair are told at once, the member confirmed."""
    assert ctx.club is not None
    note = cmd.args.note
    m = _own_member(ctx, None, "NHO")
    if isinstance(m, str):
        # A shared phone: "NHO 20 om" names the member; without a number, ask who.
        first, _, rest = (note or "").strip().lstrip("#").partition(" ")
        chosen = next((x for x in ctx.mine if first.isdigit() and x.number == int(first)), None)
        if chosen is None:
            return Outcome("NHO", answer=m)
        m, note = chosen, rest.strip() or None
    kind = help_kind(note)
    report = ctx.get_report()
    ctx.s.add(
        HelpRequest(
            club_id=ctx.club.id,
            member_id=m.id,
            kind=str(kind),
            note=note or None,
            channel=ctx.msg.provider[:8],
            report_id=report.id,
        )
    )
    ctx.s.flush()
    ctx.summary.append(f"NHO TV{m.number}")
    tail = f": {note}" if note else ""
    _alert_club(
        ctx,
        Role.HOMECARE_VOLUNTEER,
        lambda lang: t(
            lang,
            "alert.help",
            club=ctx.club.code,
            member=m.number,  # type: ignore[union-attr]
            name=m.full_name,
            phone=_local(ctx.phone),
            kind=t(lang, f"alert.kind.{kind}"),
            note=tail,
        ),
        lambda phone: f"help:{ctx.msg.id}:{phone}",
    )
    return Outcome("NHO", answer=ctx.tr("reply.done.nho", ref=report.ref))


_ILL_WORDS = frozenset({"om", "benh", "ill", "sick", "dau", "sot"})


def help_kind(note: str | None) -> HelpKind:
    """What a help request is about, from the words people write ("chan dau", "ba ngoai om");
    USSD sends the word itself."""
    words = fold(note or "")
    if _ILL_WORDS.intersection(re.findall(r"[a-z]+", words)):
        return HelpKind.ILL
    if any(w in words for w in ("viec nha", "don nha", "nau", "giat", "housework")):
        return HelpKind.HOUSEWORK
    return HelpKind.OTHER


def _bc(ctx: Ctx, cmd: grammar.Command) -> Outcome:
    from menus.summaries import render_area, render_bc
    from models import stats

    if cmd.args.club_code and (ctx.club is None or ctx.club.code != cmd.args.club_code.upper()):
        club = ctx.s.scalar(select(Club).where(Club.code == cmd.args.club_code.upper()))
        allowed = club is not None and (
            any(
                m.club_id == club.id and m.role_set & BOARD
                for m in members_by_phone(ctx.s, ctx.phone)
            )
            or (ctx.supervisor is not None and club.id in _area(ctx))
        )
        if not allowed or club is None:
            raise Refused("ref_unknown" if club is None else "not_allowed", ref=cmd.args.club_code)
        ctx.club = club
    if ctx.club is None:
        assert ctx.supervisor is not None
        summary = stats.area_month_summary(ctx.s, ctx.supervisor.id, ctx.today)
        return Outcome("BC", answer=render_area(summary, ctx.lang))
    return Outcome(
        "BC", answer=render_bc(stats.club_month_summary(ctx.s, ctx.club.id, ctx.today), ctx.lang)
    )


def _area(ctx: Ctx) -> set[int]:
    from models.admin import supervisor_club_ids

    assert ctx.supervisor is not None
    return set(supervisor_club_ids(ctx.s, ctx.supervisor.id))


HANDLERS = {
    "DD": _dd,
    "VAY": _vay,
    "TRA": _tra,
    "HA": _ha,
    "CN": _cn,
    "THAM": _tham,
    "MANG": _mang,
    "GOP": _gop,
    "TV": _tv,
    "HUY": _huy,
    "HD": _hd,
    "BC": _bc,
    "NO": _self_view,
    "SK": _self_view,
    "QUY": _self_view,
    "LICH": _lich,
    "NHO": _nho,
    "NN": _nn,
}


# ---------------------------------------------------------------------------------------------
# The reply


def _assemble(ctx: Ctx, outcomes: list[Outcome]) -> str:
    """One reply for the whole SMS: what was stored with its reference, then what was not."""
    frags = [o.fragment for o in outcomes if o.fragment]
    answers = [o.answer for o in outcomes if o.answer]
    errors = [o.error for o in outcomes if o.error]
    parts: list[str] = []
    if frags:
        assert ctx.report is not None
        ref = ctx.report.ref
        if len(outcomes) == 1:
            parts.append(ctx.tr("reply.ok_one", ref=ref, frag=frags[0]))
        else:
            line = ctx.tr(
                "reply.ok_many",
                ok=len(frags) + len(answers),
                total=len(outcomes),
                ref=ref,
                frags="; ".join(frags),
            )
            if errors:
                line += ctx.tr(
                    "reply.errors_tail", errors="; ".join(_strip_prefix(ctx, e) for e in errors)
                )
                errors = []
            parts.append(line)
    parts.extend(answers)
    parts.extend(errors)
    return "\n".join(parts)


def _strip_prefix(ctx: Ctx, error: str) -> str:
    """ "Loi: HA 40 - ..." inside an OK line reads "HA 40 - ..." (the tail says Loi once)."""
    head = ctx.tr("reply.err_word") + ":"
    return error[len(head) :].strip() if error.startswith(head) else error


def vn_date_of(msg: InboundMessage) -> date:
    return to_vn(msg.received_at).date()
