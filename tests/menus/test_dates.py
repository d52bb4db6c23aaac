"""Report dates typed after a keyword, and the back-dating window."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from menus.dates import date_error, date_shape, format_day, parse_date

TODAY = date(2025, 11, 28)
FAST = settings(max_examples=300, deadline=None)
QUICK = settings(max_examples=150, deadline=None)


@pytest.mark.parametrize(
    ("token", "today", "expected"),
    [
        ("21/11", TODAY, date(2025, 11, 21)),
        ("21-11", TODAY, date(2025, 11, 21)),
        ("21.11", TODAY, date(2025, 11, 21)),
        ("21/11/25", TODAY, date(2025, 11, 21)),
        ("21/11/2025", TODAY, date(2025, 11, 21)),
        ("21/11/26", TODAY, date(2026, 11, 21)),
        ("1/9", TODAY, date(2025, 9, 1)),
        ("01/09", TODAY, date(2025, 9, 1)),
        ("28/11", TODAY, TODAY),
        (" 21/11 ", TODAY, date(2025, 11, 21)),
        # last December, typed in early January
        ("21/12", date(2026, 1, 2), date(2025, 12, 21)),
        # a slip into the near future stays in the future (refused as such)
        ("30/11", TODAY, date(2025, 11, 30)),
        ("2/1", date(2025, 12, 30), date(2026, 1, 2)),
        # far ahead this year means last year
        ("15/05", date(2026, 1, 1), date(2025, 5, 15)),
        ("15/1", TODAY, date(2025, 1, 15)),
        # 29 February without a year: the last one
        ("29/02", date(2025, 3, 1), date(2024, 2, 29)),
        ("29/02/2024", TODAY, date(2024, 2, 29)),
    ],
)
def test_parse_date(token: str, today: date, expected: date) -> None:
    assert parse_date(token, today) == expected


@pytest.mark.parametrize(
    "token",
    [
        "31/02",
        "29/02/2025",
        "32/1",
        "1/13",
        "0/5",
        "5/0",
        "abc",
        "",
        "21/11/202",
        "21//11",
        "150/95",
    ],
)
def test_invalid_dates(token: str) -> None:
    assert parse_date(token, TODAY) is None


def test_date_shape() -> None:
    assert date_shape("21/11") == (21, 11, None, "/")
    assert date_shape("21-11-2026") == (21, 11, 2026, "-")
    assert date_shape("1tr5") is None


@pytest.mark.parametrize(
    ("d", "window", "problem"),
    [
        (TODAY, 62, None),
        (TODAY - timedelta(days=62), 62, None),
        (TODAY - timedelta(days=63), 62, "too_old"),
        (TODAY + timedelta(days=1), 62, "future"),
        (TODAY - timedelta(days=10), 7, "too_old"),
    ],
)
def test_date_error(d: date, window: int, problem: str | None) -> None:
    assert date_error(d, TODAY, window) == problem


def test_format_day() -> None:
    assert format_day(date(2025, 11, 21), TODAY) == "21/11"
    assert format_day(date(2024, 12, 1), TODAY) == "01/12/2024"


@FAST
@given(st.text(max_size=20), st.dates(min_value=date(2001, 1, 1), max_value=date(2098, 12, 31)))
def test_parse_date_never_raises(token: str, today: date) -> None:
    parse_date(token, today)


@QUICK
@given(
    st.integers(min_value=0, max_value=40),
    st.integers(min_value=0, max_value=14),
    st.sampled_from(["/", "-", "."]),
    st.dates(min_value=date(2001, 1, 1), max_value=date(2098, 12, 31)),
)
def test_yearless_dates_keep_day_and_month(day: int, month: int, sep: str, today: date) -> None:
    d = parse_date(f"{day}{sep}{month}", today)
    if d is not None:
        assert (d.day, d.month) == (day, month)
        assert d <= today + timedelta(days=31)
        assert d > today - timedelta(days=366 * 5)
