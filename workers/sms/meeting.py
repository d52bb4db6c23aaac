"""Recording DD (attendance) and MANG (an activity), sent by the board, and THAM (a home-care
visit), sent by the board and home-care volunteers."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from menus.sms.meeting import DDArgs, MangArgs, ThamArgs
from models.clubs import Member
from models.enums import MemberStatus, Role
from models.records import Activity, HomeVisit, Meeting
from workers.sms.core import BOARD, Allowed, Ctx, Handler, Outcome, Refused, club_member


def record_dd(ctx: Ctx, args: DDArgs, held_on: date) -> Outcome:
    assert ctx.club is not None
    active = {
        m.number: m
        for m in ctx.session.scalars(
            select(Member).where(
                Member.club_id == ctx.club.id, Member.status == MemberStatus.ACTIVE
            )
        )
    }
    named = set(args.members)
    unknown = sorted(named - active.keys())
    if unknown:
        raise Refused("no_members", members=" ".join(str(n) for n in unknown))
    if args.absent:
        present = [m for n, m in active.items() if n not in named]
    else:
        present = [active[n] for n in sorted(named)]
    report = ctx.get_report()
    meeting = ctx.session.scalar(
        select(Meeting).where(Meeting.club_id == ctx.club.id, Meeting.held_on == held_on)
    )
    if meeting is None:
        meeting = Meeting(club_id=ctx.club.id, held_on=held_on)
        ctx.session.add(meeting)
    meeting.record_attendance(ctx.session, [m.id for m in present], report.id, ctx.phone)
    frag = ctx.tr("reply.frag.dd", date=held_on.strftime("%d/%m"), present=len(present))
    ctx.summary.append(frag)
    return Outcome("DD", fragment=frag)


def record_mang(ctx: Ctx, args: MangArgs, on: date) -> Outcome:
    assert ctx.club is not None
    ctx.session.add(
        Activity(
            club_id=ctx.club.id,
            area=args.area,
            held_on=on,
            people=args.people,
            note=args.note or None,
            report_id=ctx.get_report().id,
        )
    )
    ctx.session.flush()
    frag = ctx.tr("reply.frag.mang", area=args.area, people=args.people)
    ctx.summary.append(frag)
    return Outcome("MANG", fragment=frag)


def record_tham(ctx: Ctx, args: ThamArgs, on: date) -> Outcome:
    assert ctx.club is not None
    m = club_member(ctx, args.member)
    volunteer = ctx.reporter
    ctx.session.add(
        HomeVisit(
            club_id=ctx.club.id,
            member_id=m.id,
            visited_on=on,
            volunteer_member_id=volunteer.id if volunteer else None,
            note=args.note or None,
            report_id=ctx.get_report().id,
        )
    )
    ctx.session.flush()
    frag = ctx.tr("reply.frag.tham", member=m.number)
    ctx.summary.append(frag)
    return Outcome("THAM", fragment=frag)


HANDLERS: tuple[Handler, ...] = (
    Handler(DDArgs, record_dd, Allowed(BOARD)),
    Handler(MangArgs, record_mang, Allowed(BOARD)),
    Handler(ThamArgs, record_tham, Allowed(BOARD | {Role.HOMECARE_VOLUNTEER})),
)
