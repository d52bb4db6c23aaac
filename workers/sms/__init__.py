"""One inbound SMS, start to finish: who sent it, what it says, what to record, what to answer.

Runs inside the job's single transaction; each command gets a savepoint so a refused command
leaves nothing behind while the others in the same SMS are kept. Each command's recorder and who
may send it live in its family's module (ledger, health, meeting, members, service, queries),
next to the others of the family; HANDLERS below is the one table of them, keyed by the command's
argument class (menus.grammar.ARG_CLASSES: one per command).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from menus import grammar
from menus.clock import to_vn
from menus.dates import date_error
from menus.i18n import resolve_language, t
from menus.phones import SenderKind, normalize_phone, sender_kind
from models.admin import members_by_phone, supervisor_club_ids
from models.clubs import Club, Member, Supervisor
from models.enums import InboundStatus, OutboundKind
from models.messages import InboundMessage
from models.outbox import queue_message
from workers.sms import health, ledger, meeting, members, queries, service
from workers.sms.core import Ctx, Handler, Outcome, Refused, RefusedEach

log = logging.getLogger(__name__)

LOOP_WINDOW = timedelta(minutes=10)
LOOP_REPEATS = 3


def handler_table(*families: Iterable[Handler]) -> dict[type, Handler]:
    """The handlers of every family by argument class; one class handled twice is a mistake in
    the table (ValueError), never one silently replacing the other."""
    table: dict[type, Handler] = {}
    for family in families:
        for handler in family:
            if table.setdefault(handler.args, handler) is not handler:
                raise ValueError(f"{handler.args.__name__} has two handlers")
    return table


HANDLERS: dict[type, Handler] = handler_table(
    ledger.HANDLERS,
    health.HANDLERS,
    meeting.HANDLERS,
    members.HANDLERS,
    service.HANDLERS,
    queries.HANDLERS,
)


# ---------------------------------------------------------------------------------------------
# Entry point


def handle_inbound(
    session: Session, msg: InboundMessage, today: date, acting_member_id: int | None = None
) -> list[int]:
    """Process one stored message; returns the outbound ids to send after commit."""
    kind = sender_kind(msg.sender)
    if kind != SenderKind.MOBILE:
        msg.status, msg.note = InboundStatus.IGNORED, f"sender {kind}"
        return []
    phone = normalize_phone(msg.sender)
    assert phone is not None
    if msg.channel != "ussd" and _is_loop(session, msg, phone):
        msg.status, msg.note = InboundStatus.IGNORED, "repeated text (auto-responder loop)"
        return []
    phone_members = members_by_phone(session, phone)
    supervisor = session.scalar(
        select(Supervisor).where(Supervisor.phone == phone, Supervisor.active)
    )
    acting = session.get(Member, acting_member_id) if acting_member_id else None
    if acting is not None and acting.phone != phone:
        acting = None
    lang = _language(acting or (phone_members[0] if phone_members else None), supervisor)
    msg.status = InboundStatus.PROCESSED
    if not phone_members and supervisor is None:
        msg.note = "unregistered"
        return _reply_once_a_day(session, msg, phone, lang, today)
    ctx = Ctx(
        session=session,
        msg=msg,
        phone=phone,
        lang=lang,
        today=today,
        club=None,
        mine=[],
        supervisor=supervisor,
        acting=acting,
    )
    if len(msg.text) > grammar.MAX_PARSED_CHARS:
        # Ten SMS of commands at most: a longer text is refused whole, before the parser spends
        # seconds on it (its work grows faster than the text).
        msg.note = "too long"
        text = t(lang, "reply.too_long", length=len(msg.text), limit=grammar.MAX_PARSED_CHARS)
        return [_reply(ctx, text)]
    parsed = grammar.parse(msg.text, today)
    problem = _choose_club(ctx, phone_members, parsed)
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


def _is_loop(session: Session, msg: InboundMessage, phone: str) -> bool:
    """The same text from the same sender three times within ten minutes: stop answering."""
    since = msg.received_at - LOOP_WINDOW
    same = session.scalar(
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
    session: Session, msg: InboundMessage, phone: str, lang: str, today: date
) -> list[int]:
    out = queue_message(
        session,
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
        ctx.session,
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


def _choose_club(ctx: Ctx, phone_members: list[Member], parsed: grammar.ParsedSMS) -> str | None:
    """Pick the club the SMS is about; a reply text when it cannot be picked."""
    clubs = {m.club_id: m.club for m in phone_members}
    codes = sorted(c.code for c in clubs.values())
    if parsed.club_code:
        code = parsed.club_code.upper()
        club = next((c for c in clubs.values() if c.code == code), None)
        if club is None and ctx.supervisor is not None:
            club = ctx.session.scalar(select(Club).where(Club.code == code))
            if club is not None and club.id not in supervisor_club_ids(
                ctx.session, ctx.supervisor.id
            ):
                club = None
        if club is None:
            return ctx.tr("reply.unknown_club", code=code, clubs=", ".join(codes) or "-")
        ctx.club = club
    elif ctx.acting is not None:  # chosen on the USSD "who are you" screen
        ctx.club = ctx.acting.club
    elif len(clubs) == 1:
        ctx.club = next(iter(clubs.values()))
    elif len(clubs) > 1 and not all(
        HANDLERS[type(c.args)].allowed.without_club for c in parsed.commands
    ):
        return ctx.tr("reply.pick_club", clubs=", ".join(codes), example=codes[0])
    if ctx.club is not None:
        ctx.mine = [m for m in phone_members if m.club_id == ctx.club.id]
        if ctx.acting is not None and ctx.acting.club_id != ctx.club.id:
            ctx.acting = None
    return None


# ---------------------------------------------------------------------------------------------
# Running one command


def _run(ctx: Ctx, item: grammar.Command | grammar.ParseError) -> list[Outcome]:
    """The command's outcome, then one error per item of it that was refused."""
    if isinstance(item, grammar.ParseError):
        error = grammar.render_error(item, ctx.lang)
        if item.keyword and grammar.command_for(item.keyword).items and "," in item.raw:
            # One bad item refuses the whole list (the spec); say so, or the others seem kept.
            error += ctx.tr("reply.none_stored", kw=ctx.tr(f"sms.kw.{item.keyword.lower()}"))
        return [Outcome(item.keyword or "?", error=error)]
    handler = HANDLERS[type(item.args)]
    before = (ctx.report, len(ctx.outbound), len(ctx.summary))
    try:
        _authorise(ctx, item, handler)
        with ctx.session.begin_nested():
            outcome = handler.record(ctx, item.args, _report_date(ctx, item))
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


def _authorise(ctx: Ctx, cmd: grammar.Command, handler: Handler) -> None:
    """The handler's Allowed, for this sender: a member of the club by their roles, a supervisor
    only where the command lets them."""
    allowed = handler.allowed
    if ctx.club is None:
        if allowed.without_club or allowed.supervisors:
            return
        raise Refused("supervisor_only_bc" if ctx.supervisor is not None else "need_club")
    if not ctx.mine:  # a supervisor asking about a club in their area
        if allowed.without_club or allowed.supervisors:
            return
        raise Refused("supervisor_only_bc")
    if allowed.roles is None or ctx.roles & allowed.roles:
        return
    if allowed.also is not None and allowed.also(ctx, cmd.args):
        return
    raise Refused("not_allowed")


def _report_date(ctx: Ctx, cmd: grammar.Command) -> date:
    """The command's date, within the club's back-dating window; today when none was written."""
    if cmd.date is None:
        return ctx.today
    assert ctx.club is not None
    problem = date_error(cmd.date, ctx.today, ctx.club.backdate_days)
    if problem:
        when = cmd.date.strftime("%d/%m/%Y")
        raise Refused(problem, date=when, days=ctx.club.backdate_days)
    return cmd.date


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
