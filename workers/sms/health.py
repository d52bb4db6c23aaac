"""Recording HA (readings, with a red alert to the club at once) and CN (weights); the board and
health volunteers send them, and any member HA for their own readings."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from menus.i18n import t
from menus.sms.health import CnArgs, HaArgs, Reading, Weight
from models.clubs import Member
from models.enums import AlertLevel, Role
from models.health import bp_alert, grade_bp
from models.records import HealthReading
from workers.sms.core import (
    BOARD,
    Allowed,
    Ctx,
    Handler,
    Outcome,
    Refused,
    alert_club,
    club_member,
    own_member,
    record_each,
)


def record_ha(ctx: Ctx, args: HaArgs, on: date) -> Outcome:
    assert ctx.club is not None
    club = ctx.club
    report = ctx.get_report()

    def save(r: Reading) -> tuple[Member, HealthReading]:
        if r.member is None:
            own = own_member(ctx, None, "HA")
            if isinstance(own, str):  # a shared phone: whose reading is it?
                raise Refused("no_own_member", members=", ".join(str(x.number) for x in ctx.mine))
            m = own
        else:
            m = club_member(ctx, r.member)
        grade = grade_bp(r.systolic, r.diastolic) if r.systolic is not None else None
        alert = bp_alert(r.systolic, r.diastolic) if r.systolic is not None else AlertLevel.NONE
        reading = HealthReading(
            club_id=club.id,
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
        ctx.session.add(reading)
        ctx.session.flush()
        return m, reading

    saved, refused = record_each(ctx, args.readings, save)
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


def _red_alert(ctx: Ctx, member: Member, reading: HealthReading) -> None:
    """At once, to the club's health volunteers and chair; once per member per day each."""
    assert ctx.club is not None
    club = ctx.club
    reporter = f"TV{ctx.reporter.number}" if ctx.reporter else ctx.phone
    ref = ctx.get_report().ref  # what XONG closes it by
    alert_club(
        ctx,
        Role.HEALTH_VOLUNTEER,
        lambda lang: t(
            lang,
            "alert.red_bp",
            club=club.code,
            member=member.number,
            name=member.full_name,
            sys=reading.systolic,
            dia=reading.diastolic,
            date=reading.taken_on.strftime("%d/%m"),
            reporter=reporter,
            ref=ref,
        ),
        lambda phone: f"red:{member.id}:{reading.taken_on.isoformat()}:{phone}",
    )


def own_readings(ctx: Ctx, args: HaArgs) -> bool:
    """Only the sender's own readings (no number, or their own card number)."""
    own = {m.number for m in ([ctx.acting] if ctx.acting else ctx.mine)}
    return all(r.member is None or r.member in own for r in args.readings)


def record_cn(ctx: Ctx, args: CnArgs, on: date) -> Outcome:
    assert ctx.club is not None
    club = ctx.club
    report = ctx.get_report()

    def weigh(w: Weight) -> tuple[int, Decimal]:
        m = club_member(ctx, w.member)
        ctx.session.add(
            HealthReading(
                club_id=club.id, member_id=m.id, taken_on=on, weight_kg=w.kg, report_id=report.id
            )
        )
        ctx.session.flush()
        return w.member, w.kg

    done, refused = record_each(ctx, args.weights, weigh)
    if len(done) == 1:
        frag = ctx.tr("reply.frag.cn_one", member=done[0][0], kg=_kg(done[0][1]))
    else:
        frag = ctx.tr("reply.frag.cn_many", count=len(done))
    ctx.summary.append(frag)
    return Outcome("CN", fragment=frag, refused=refused)


def _kg(kg: Decimal) -> str:
    return f"{kg.normalize():f}".replace(".", ",")


HANDLERS: tuple[Handler, ...] = (
    Handler(HaArgs, record_ha, Allowed(BOARD | {Role.HEALTH_VOLUNTEER}, also=own_readings)),
    Handler(CnArgs, record_cn, Allowed(BOARD | {Role.HEALTH_VOLUNTEER})),
)
