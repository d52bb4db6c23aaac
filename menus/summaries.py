"""Texts of club and area summaries (BC replies, weekly and monthly SMS) and of reminders.

Pure: the figures come in as models.stats dataclasses, the words from the "sum." catalog keys.
A summary is one SMS when everything fits, two at most. Accented text (UCS-2) is kept only when
it loses nothing; otherwise the text goes without accents (GSM-7), then the least important
fragments are dropped, and the list of clubs to look at is cut with "+N", until it fits.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

from menus.dates import format_day
from menus.encoding import count_segments
from menus.i18n import t
from menus.money import format_vnd
from menus.text import strip_accents

if TYPE_CHECKING:
    from models.stats import AreaMonth, ClubMonth

MAX_SEGMENTS = 2

# (text, drop rank): rank 0 is never dropped; higher ranks go first when a text is too long.
Fragment = tuple[str, int]


def segments(text: str) -> int:
    """SMS parts the text needs in the encoding it will travel in."""
    return count_segments(text)[1]


def is_whole_month(start: date, end: date) -> bool:
    """True when the period is exactly one calendar month."""
    return (
        start.day == 1
        and (start.year, start.month) == (end.year, end.month)
        and end.day == calendar.monthrange(end.year, end.month)[1]
    )


def format_period(lang: str, start: date, end: date) -> str:
    """ "01/11-28/11", or "thang 11/2026" for a whole calendar month."""
    if is_whole_month(start, end):
        return t(lang, "sum.period.month", month=f"{end.month:02d}", year=end.year)
    return t(lang, "sum.period.range", start=format_day(start, end), end=format_day(end, end))


def _line(
    lang: str, head: str, fragments: Sequence[Fragment], more: str | None, plain: bool
) -> str:
    body = t(lang, "sum.sep").join(text for text, _ in fragments)
    if more:
        line = t(lang, "sum.line_more", head=head, body=body, more=more)
    else:
        line = t(lang, "sum.line", head=head, body=body)
    return strip_accents(line) if plain else line


def _fit(lang: str, head: str, fragments: list[Fragment]) -> list[Fragment]:
    """Drop fragments, highest rank first, until the plain line fits MAX_SEGMENTS (rank 0 stays)."""
    kept = list(fragments)
    while segments(_line(lang, head, kept, None, True)) > MAX_SEGMENTS:
        rank = max((r for _, r in kept), default=0)
        if rank == 0:
            break
        del kept[max(i for i, (_, r) in enumerate(kept) if r == rank)]
    return kept


def render_bc(summary: ClubMonth, lang: str) -> str:
    """One club's period: meeting and attendance, repayments, overdue, readings, areas."""
    s, end = summary, summary.period_end
    head = t(lang, "sum.bc.head", code=s.code, period=format_period(lang, s.period_start, end))
    frags: list[Fragment] = []
    overdue = (
        t(lang, "sum.bc.overdue", count=s.overdue_loans, amount=format_vnd(s.overdue_vnd))
        if s.overdue_loans
        else t(lang, "sum.bc.overdue_none")
    )
    if s.silent:
        frags.append(
            (
                t(lang, "sum.bc.silent_since", date=format_day(s.last_report_on, end))
                if s.last_report_on
                else t(lang, "sum.bc.silent"),
                0,
            )
        )
        if s.overdue_loans:
            frags.append((overdue, 0))
    else:
        if s.meeting_on is not None:
            frags.append(
                (
                    t(
                        lang,
                        "sum.bc.meeting",
                        date=format_day(s.meeting_on, end),
                        present=s.present,
                        members=s.active_members,
                    ),
                    0,
                )
            )
        else:
            frags.append((t(lang, "sum.bc.no_meeting"), 0))
        frags.append(
            (
                t(lang, "sum.bc.repaid", amount=format_vnd(s.repaid_vnd), count=s.repayments)
                if s.repayments
                else t(lang, "sum.bc.repaid_none"),
                0,
            )
        )
        frags.append((overdue, 0))
        if s.readings:
            frags.append((t(lang, "sum.bc.readings", count=s.readings), 2))
        if s.red_alerts:
            frags.append((t(lang, "sum.bc.red", count=s.red_alerts, members=s.red_members), 0))
        if s.all_areas:
            frags.append((t(lang, "sum.bc.areas_all"), 1))
        elif s.areas:
            frags.append(
                (t(lang, "sum.bc.areas", areas=",".join(map(str, s.areas)), n=len(s.areas)), 1)
            )
        else:
            frags.append((t(lang, "sum.bc.areas_none"), 1))
        if s.home_visits:
            frags.append((t(lang, "sum.bc.visits", count=s.home_visits), 3))
    if s.open_help:
        frags.append((t(lang, "sum.bc.help", count=s.open_help), 3))
    # Accents (UCS-2, 67 characters a part) only when they cost nothing; else GSM-7.
    full = _line(lang, head, frags, None, False)
    if segments(full) <= MAX_SEGMENTS:
        return full
    return _line(lang, head, _fit(lang, head, frags), None, True)


def _attention(lang: str, codes: Sequence[str], shown: int) -> str:
    listed = list(codes[:shown])
    if shown < len(codes):
        listed.append(t(lang, "sum.more", n=len(codes) - shown))
    return t(lang, "sum.area.attention", codes=t(lang, "sum.list_sep").join(listed))


def render_area(summary: AreaMonth, lang: str, stale_help: Sequence[tuple[str, int]] = ()) -> str:
    """A supervisor's area: reported vs silent, attendance, money, alerts, all-8 clubs, help
    requests still open after 48 hours (club code, card number), and the clubs to look at
    (silent, red alerts, overdue), weakest first, by code."""
    a = summary
    if not a.club_count:
        return t(lang, "sum.area.empty")
    head = t(lang, "sum.area.head", period=format_period(lang, a.period_start, a.period_end))
    frags: list[Fragment] = [
        (t(lang, "sum.area.clubs", clubs=a.club_count, reported=a.reported, silent=a.silent), 0)
    ]
    pct = a.attendance_pct
    if pct is not None:
        frags.append((t(lang, "sum.area.attendance", pct=pct), 2))
    frags.append((t(lang, "sum.area.repaid", amount=format_vnd(a.repaid_vnd)), 1))
    if a.overdue_loans:
        frags.append(
            (
                t(
                    lang,
                    "sum.area.overdue",
                    count=a.overdue_loans,
                    amount=format_vnd(a.overdue_vnd),
                ),
                0,
            )
        )
    if a.red_alerts:
        frags.append((t(lang, "sum.area.red", count=a.red_alerts), 0))
    frags.append((t(lang, "sum.area.areas", n=a.all_areas, clubs=a.club_count), 3))
    if stale_help:
        items = t(lang, "sum.list_sep").join(
            t(lang, "sum.area.stale_item", code=code, number=number) for code, number in stale_help
        )
        frags.append((t(lang, "sum.area.stale_help", items=items), 0))
    codes = [c.code for c in a.attention]
    more = _attention(lang, codes, len(codes)) if codes else None
    # Accents (UCS-2, 67 characters a part) only when they cost nothing; else GSM-7.
    full = _line(lang, head, frags, more, False)
    if segments(full) <= MAX_SEGMENTS:
        return full
    kept = _fit(lang, head, frags)
    if not codes:
        return _line(lang, head, kept, None, True)

    def with_codes(shown: int) -> str:
        return _line(lang, head, kept, _attention(lang, codes, shown), True)

    # The figures stay; the list of clubs is cut to fit (the most that fit, found by bisection:
    # segments grow with the number of codes shown), naming at least the weakest club.
    if segments(with_codes(len(codes))) <= MAX_SEGMENTS:
        return with_codes(len(codes))
    lo, hi = 1, len(codes) - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if segments(with_codes(mid)) <= MAX_SEGMENTS:
            lo = mid
        else:
            hi = mid - 1
    return with_codes(lo)


def render_instalment_reminder(
    lang: str,
    *,
    name: str,
    number: int,
    club_code: str,
    due_on: date,
    amount: int,
    overdue: int,
    today: date,
) -> str:
    """An instalment falling due soon, with what is already overdue if anything."""
    params = dict(
        name=name,
        number=number,
        code=club_code,
        date=format_day(due_on, today),
        amount=format_vnd(amount),
    )
    if overdue:
        return t(lang, "sum.remind.instalment_late", overdue=format_vnd(overdue), **params)
    return t(lang, "sum.remind.instalment", **params)


def render_meeting_reminder(
    lang: str, *, club_code: str, meeting_on: date, place: str | None, today: date
) -> str:
    when = format_day(meeting_on, today)
    if place:
        return t(lang, "sum.remind.meeting", code=club_code, date=when, place=place)
    return t(lang, "sum.remind.meeting_no_place", code=club_code, date=when)


def render_nudge(lang: str, *, club_code: str, meeting_on: date, today: date) -> str:
    """To a secretary whose club has sent nothing since its meeting day."""
    return t(lang, "sum.remind.nudge", code=club_code, date=format_day(meeting_on, today))
