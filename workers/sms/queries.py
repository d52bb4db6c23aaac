"""Answering NO, SK, QUY, LICH (any member, about themself; the board about anyone) and BC (the
board and supervisors), and recording NHO (a member's request for help, told to the club's
home-care volunteers and chair at once)."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select

from menus import views as render
from menus.i18n import t
from menus.sms.queries import BcArgs, LichArgs, NhoArgs, NoArgs, QuyArgs, SkArgs
from menus.summaries import render_area, render_bc
from menus.text import fold
from models import stats, views
from models.admin import members_by_phone, supervisor_club_ids
from models.clubs import Club
from models.enums import HelpKind, Role
from models.records import HelpRequest
from workers.sms.core import (
    BOARD,
    Allowed,
    Ctx,
    Handler,
    Outcome,
    Refused,
    alert_club,
    local_phone,
    own_member,
)


def answer_no(ctx: Ctx, args: NoArgs, on: date) -> Outcome:
    m = own_member(ctx, args.member, "NO")
    if isinstance(m, str):
        return Outcome("NO", answer=m)
    loan = views.loan_view(ctx.session, m.id, ctx.today)
    return Outcome("NO", answer=render.render_loan(loan, ctx.lang))


def answer_sk(ctx: Ctx, args: SkArgs, on: date) -> Outcome:
    m = own_member(ctx, args.member, "SK")
    if isinstance(m, str):
        return Outcome("SK", answer=m)
    health = views.health_view(ctx.session, m.id)
    return Outcome("SK", answer=render.render_health(health, ctx.lang))


def answer_quy(ctx: Ctx, args: QuyArgs, on: date) -> Outcome:
    m = own_member(ctx, args.member, "QUY")
    if isinstance(m, str):
        return Outcome("QUY", answer=m)
    fund = views.fund_view(ctx.session, m, ctx.today)
    return Outcome("QUY", answer=render.render_fund(fund, ctx.lang))


def answer_lich(ctx: Ctx, args: LichArgs, on: date) -> Outcome:
    m = own_member(ctx, None, "LICH")
    if isinstance(m, str):
        m = ctx.mine[0]
    meeting = views.meeting_view(ctx.session, m, ctx.today)
    return Outcome("LICH", answer=render.render_meeting(meeting, ctx.lang))


def record_nho(ctx: Ctx, args: NhoArgs, on: date) -> Outcome:
    """A help request: home-care volunteers and chair are told at once, the member confirmed."""
    assert ctx.club is not None
    club = ctx.club
    note = args.note
    m = own_member(ctx, None, "NHO")
    if isinstance(m, str):
        # A shared phone: "NHO 20 om" names the member; without a number, ask who.
        first, _, rest = (note or "").strip().lstrip("#").partition(" ")
        chosen = next((x for x in ctx.mine if first.isdigit() and x.number == int(first)), None)
        if chosen is None:
            return Outcome("NHO", answer=m)
        m, note = chosen, rest.strip() or None
    member = m
    kind = help_kind(note)
    report = ctx.get_report()
    ctx.session.add(
        HelpRequest(
            club_id=club.id,
            member_id=member.id,
            kind=str(kind),
            note=note or None,
            channel=ctx.msg.provider[:8],
            report_id=report.id,
        )
    )
    ctx.session.flush()
    ctx.summary.append(f"NHO TV{member.number}")
    tail = f": {note}" if note else ""
    alert_club(
        ctx,
        Role.HOMECARE_VOLUNTEER,
        lambda lang: t(
            lang,
            "alert.help",
            club=club.code,
            member=member.number,
            name=member.full_name,
            phone=local_phone(ctx.phone),
            kind=t(lang, f"alert.kind.{kind}"),
            note=tail,
            ref=report.ref,  # what XONG closes it by
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


def answer_bc(ctx: Ctx, args: BcArgs, on: date) -> Outcome:
    code = args.club_code.upper() if args.club_code else None
    if code and (ctx.club is None or ctx.club.code != code):
        club = ctx.session.scalar(select(Club).where(Club.code == code))
        allowed = club is not None and (
            any(
                m.club_id == club.id and m.role_set & BOARD
                for m in members_by_phone(ctx.session, ctx.phone)
            )
            or (ctx.supervisor is not None and club.id in _area(ctx))
        )
        if not allowed or club is None:
            raise Refused("ref_unknown" if club is None else "not_allowed", ref=args.club_code)
        ctx.club = club
    if ctx.club is None:
        assert ctx.supervisor is not None
        summary = stats.area_month_summary(ctx.session, ctx.supervisor.id, ctx.today)
        return Outcome("BC", answer=render_area(summary, ctx.lang))
    month = stats.club_month_summary(ctx.session, ctx.club.id, ctx.today)
    return Outcome("BC", answer=render_bc(month, ctx.lang))


def _area(ctx: Ctx) -> set[int]:
    assert ctx.supervisor is not None
    return set(supervisor_club_ids(ctx.session, ctx.supervisor.id))


ANY_MEMBER = Allowed(None)
HANDLERS: tuple[Handler, ...] = (
    Handler(NoArgs, answer_no, ANY_MEMBER),
    Handler(SkArgs, answer_sk, ANY_MEMBER),
    Handler(QuyArgs, answer_quy, ANY_MEMBER),
    Handler(LichArgs, answer_lich, ANY_MEMBER),
    Handler(NhoArgs, record_nho, ANY_MEMBER),
    Handler(BcArgs, answer_bc, Allowed(BOARD, supervisors=True)),
)
