"""Member and supervisor views as text, for USSD screens and SMS answers alike.

Pure rendering of the dataclasses in models/views.py and models/stats.py: one line per fact,
joined by newlines (USSD pages between lines); in "vi" every view fits one GSM-7 SMS.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING

from menus.i18n import t
from menus.money import format_vnd

if TYPE_CHECKING:
    from models.stats import AreaMonth, ClubMonth
    from models.views import FundView, HealthView, LoanView, MeetingView

PLACE_MAX = 48  # a long meeting place is clipped so LICH stays one SMS
SMS_WIDTH = 160


def money(amount: int, lang: str) -> str:
    """ "1.500.000d", with the dong sign where accents are shown."""
    text = format_vnd(amount)
    return text[:-1] + "đ" if lang == "vi_dau" else text


def day(d: date) -> str:
    return d.strftime("%d/%m")


def _lines(parts: Iterable[str]) -> str:
    return "\n".join(p for p in parts if p)


def render_loan(view: LoanView, lang: str, payments: int = 3, width: int = SMS_WIDTH) -> str:
    """Balance, next instalment, anything overdue and the last repayments (older ones dropped
    until the text is within width characters)."""
    if not view.open_loans:
        return t(lang, "view.loan.none")
    if view.open_loans > 1:
        head = t(
            lang, "view.loan.balance_many", count=view.open_loans, amount=money(view.balance, lang)
        )
    else:
        head = t(lang, "view.loan.balance", amount=money(view.balance, lang))
    lines = [
        head,
        t(
            lang,
            "view.loan.next",
            date=day(view.next_due_on),
            amount=money(view.next_due_amount, lang),
        )
        if view.next_due_on
        else "",
        t(
            lang,
            "view.loan.overdue",
            count=view.overdue_count,
            amount=money(view.overdue_amount, lang),
        )
        if view.overdue_count
        else "",
    ]
    if not view.last_payments:
        return _lines([*lines, t(lang, "view.loan.paid_none")])
    for k in range(min(payments, len(view.last_payments)), 0, -1):
        items = ", ".join(
            t(lang, "view.loan.paid_item", date=day(p.paid_on), amount=money(p.amount, lang))
            for p in view.last_payments[:k]
        )
        text = _lines([*lines, t(lang, "view.loan.paid", items=items)])
        if len(text) <= width:
            break
    return text


def grade_word(grade: str, lang: str) -> str:
    """A blood-pressure grade in plain words ("cao do 1")."""
    return t(lang, f"reply.grade.{grade}")


def render_health(view: HealthView, lang: str) -> str:
    """The last readings with their grade in words, and whether they go up or down."""
    if not view.readings:
        return t(lang, "view.health.none")
    lines = [t(lang, "view.health.title")]
    for r in view.readings:
        line = t(
            lang,
            "view.health.line",
            date=day(r.taken_on),
            sys=r.systolic,
            dia=r.diastolic,
            grade=grade_word(r.grade, lang),
        )
        lines.append(line + (t(lang, "view.health.alert") if r.alert == "red" else ""))
    if view.trend:
        lines.append(t(lang, f"view.health.trend_{view.trend}"))
    return _lines(lines)


def render_meeting(view: MeetingView, lang: str) -> str:
    """Next meeting day and place, my attendance this year."""
    place = (view.place or "").strip()
    if len(place) > PLACE_MAX:
        place = place[: PLACE_MAX - 3].rstrip() + "..."
    return _lines(
        [
            t(lang, "view.meeting.next", date=day(view.next_on)),
            t(lang, "view.meeting.place", place=place) if place else "",
            t(lang, "view.meeting.attendance", attended=view.attended, held=view.held),
        ]
    )


def render_fund(view: FundView, lang: str) -> str:
    """Club fund balance and my contributions."""
    return _lines(
        [
            t(lang, "view.fund.balance", amount=money(view.balance, lang)),
            t(lang, "view.fund.mine", amount=money(view.mine, lang)),
        ]
    )


def render_area_head(area: AreaMonth, lang: str) -> str:
    """A supervisor's month in one line: clubs, silent ones, red alerts, overdue loans."""
    return t(
        lang,
        "view.area.head",
        month=area.period_end.strftime("%m/%Y"),
        clubs=area.club_count,
        silent=area.silent,
        red=area.red_alerts,
        overdue=area.overdue_loans,
    )


def render_area_line(club: ClubMonth, lang: str) -> str:
    """One club of the area: "K12: do 2, no 1", "K13: im lang", "K14: tot"."""
    if club.silent:
        status = t(lang, "view.area.silent")
    else:
        parts = [
            t(lang, "view.area.red", count=club.red_alerts) if club.red_alerts else "",
            t(lang, "view.area.overdue", count=club.overdue_loans) if club.overdue_loans else "",
        ]
        status = ", ".join(p for p in parts if p) or t(lang, "view.area.ok")
    return t(lang, "view.area.line", code=club.code, status=status)


def render_club(club: ClubMonth, lang: str) -> str:
    """One club's month so far, for its supervisor."""
    head = t(lang, "view.club.head", code=club.code, month=club.period_end.strftime("%m/%Y"))
    if club.silent:
        return _lines([head, t(lang, "view.club.silent")])
    if club.meetings and club.meeting_on:
        meeting = t(
            lang,
            "view.club.meeting",
            date=day(club.meeting_on),
            present=club.present,
            members=club.active_members,
        )
    else:
        meeting = t(lang, "view.club.no_meeting")
    return _lines(
        [
            head,
            meeting,
            t(lang, "view.club.repaid", count=club.repayments, amount=money(club.repaid_vnd, lang)),
            t(
                lang,
                "view.club.overdue",
                count=club.overdue_loans,
                amount=money(club.overdue_vnd, lang),
            )
            if club.overdue_loans
            else "",
            t(lang, "view.club.readings", count=club.readings, red=club.red_alerts),
            t(
                lang,
                "view.club.areas",
                areas=" ".join(map(str, club.areas)) or "-",
                count=len(club.areas),
            ),
            t(lang, "view.club.visits", count=club.home_visits),
            t(lang, "view.club.help", count=club.open_help) if club.open_help else "",
        ]
    )
