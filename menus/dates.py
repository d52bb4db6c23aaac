"""Report dates as typed after a keyword: "21/11", "21-11", "21.11", "21/11/26", "21/11/2026", or
named: "hôm nay" / "hom nay" (today), "hôm qua" (yesterday), "hôm kia" (the day before)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, timedelta
from enum import StrEnum

from menus.text import fold

_DATE = re.compile(r"(?P<d>\d{1,2})(?P<sep>[/.\-])(?P<m>\d{1,2})(?:[/.\-](?P<y>\d{4}|\d{2}))?")
# A date typed without a year that lands at most this far ahead is read as a mistaken future date
# (and refused as such), not as the same day almost a year ago.
_FUTURE_SLACK = timedelta(days=31)
DEFAULT_WINDOW_DAYS = 62
# Days named in words, folded (no accents, lower case), with how many days before today they are.
# None of them holds a digit, so a named day is never mistaken for members ("DD hom nay 1-12").
NAMED_DAYS: dict[str, int] = {
    "hom nay": 0, "homnay": 0, "hnay": 0, "today": 0,
    "hom qua": 1, "homqua": 1, "hqua": 1, "yesterday": 1,
    "hom kia": 2, "homkia": 2,
}  # fmt: skip
_NAMED_MAX_WORDS = max(len(name.split()) for name in NAMED_DAYS)


class DateProblem(StrEnum):
    """Why a report date is refused."""

    FUTURE = "future"
    TOO_OLD = "too_old"


def date_shape(token: str) -> tuple[int, int, int | None, str] | None:
    """(day, month, year or None, separator) when the token is written like a date, else None."""
    m = _DATE.fullmatch(token.strip())
    if m is None:
        return None
    year = m["y"]
    return int(m["d"]), int(m["m"]), int(year) if year else None, m["sep"]


def named_day_words(words: Sequence[str]) -> int:
    """How many of the leading words name a day ("hôm", "nay", ... -> 2), 0 when they do not.

    Words may be typed with accents and in any case.
    """
    for n in range(min(_NAMED_MAX_WORDS, len(words)), 0, -1):
        if fold(" ".join(words[:n])) in NAMED_DAYS:
            return n
    return 0


def parse_date(token: str, today: date) -> date | None:
    """The date meant by a token ("21/11") or named day ("hôm qua"); without a year, the latest
    such day not after today (or one within a month ahead, so that it is refused as future rather
    than as a year old)."""
    named = NAMED_DAYS.get(fold(token))
    if named is not None:
        return today - timedelta(days=named)
    shape = date_shape(token)
    if shape is None:
        return None
    day, month, year, _ = shape
    if year is not None:
        if year < 100:
            year += 2000
        return _make(year, month, day)
    ahead = [d for y in (today.year, today.year + 1) if (d := _make(y, month, day)) and d > today]
    if ahead and ahead[0] - today <= _FUTURE_SLACK:
        return ahead[0]
    for y in range(today.year, today.year - 5, -1):
        d = _make(y, month, day)
        if d is not None and d <= today:
            return d
    return None


def _make(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def date_error(d: date, today: date, window_days: int = DEFAULT_WINDOW_DAYS) -> str | None:
    """Why a report date is refused ("future", "too_old"), or None, for the club's window."""
    if d > today:
        return DateProblem.FUTURE
    if (today - d).days > window_days:
        return DateProblem.TOO_OLD
    return None


def format_day(d: date, today: date) -> str:
    """Reply form of a date: "21/11", with the year only when it is not this year."""
    return f"{d.day:02d}/{d.month:02d}" + ("" if d.year == today.year else f"/{d.year}")
