"""Recording TV (a new member or a new phone; the board sends it) and NN (the language of later
messages; anyone registered)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from menus.i18n import available_languages, t
from menus.sms.members import NnArgs, TvArgs
from menus.text import fold
from models.admin import add_member, change_phone, members_by_phone
from models.clubs import Member
from workers.sms.core import BOARD, Allowed, Ctx, Handler, Outcome, Refused, audit, local_phone


def record_tv(ctx: Ctx, args: TvArgs, on: date) -> Outcome:
    """A new member, or a new phone for an existing one (audited). Either way an audit row ties
    the member to this report ("report <id>"): HUY reads it to say member changes stay."""
    assert ctx.club is not None
    existing = ctx.session.scalar(
        select(Member).where(Member.club_id == ctx.club.id, Member.number == args.member)
    )
    report = ctx.get_report()
    if existing is None:
        if not args.full_name:
            raise Refused("name_needed", member=args.member)
        m = add_member(
            ctx.session,
            ctx.club,
            number=args.member,
            full_name=args.full_name,
            phone=args.phone,
            birth_year=args.birth_year,
            sex=args.sex.value if args.sex else None,
        )
        audit(ctx, "add", "member", m.id, f"report {report.id}")
        frag = ctx.tr("reply.frag.tv_new", member=args.member, name=args.full_name)
    else:
        if args.full_name and fold(existing.full_name) != fold(args.full_name):
            raise Refused("member_exists", member=args.member, name=existing.full_name)
        change_phone(ctx.session, existing, args.phone, actor_phone=ctx.phone)
        audit(ctx, "set_phone", "member", existing.id, f"report {report.id}")
        frag = ctx.tr("reply.frag.tv_phone", member=args.member, phone=local_phone(args.phone))
    ctx.summary.append(frag)
    return Outcome("TV", fragment=frag)


def record_nn(ctx: Ctx, args: NnArgs, on: date) -> Outcome:
    code = args.lang
    if code not in available_languages():
        raise Refused("bad_language", code=code, codes=", ".join(available_languages()))
    # From USSD the member is known; an SMS from a shared phone speaks for everyone on it.
    for m in [ctx.acting] if ctx.acting else members_by_phone(ctx.session, ctx.phone):
        m.language = code
    if ctx.supervisor is not None:
        ctx.supervisor.language = code
    ctx.lang = code
    return Outcome("NN", answer=t(code, "reply.done.nn"))


HANDLERS: tuple[Handler, ...] = (
    Handler(TvArgs, record_tv, Allowed(BOARD)),
    Handler(NnArgs, record_nn, Allowed(None, without_club=True)),
)
