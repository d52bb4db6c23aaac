"""Money forms from DOMAIN.md and SMS-COMMANDS.md, and the reply form."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from menus.money import MAX_VND, MIN_VND, SpokenFraction, format_vnd, money_at, parse_money

FAST = settings(max_examples=300, deadline=None)
QUICK = settings(max_examples=150, deadline=None)


@pytest.mark.parametrize(
    ("text", "vnd"),
    [
        # DOMAIN.md "Money as people type it", every form
        ("200k", 200_000),
        ("200K", 200_000),
        ("200n", 200_000),
        ("200 nghìn", 200_000),
        ("200 ngàn", 200_000),
        ("200 nghin", 200_000),
        ("200 ngan", 200_000),
        ("2tr", 2_000_000),
        ("2 triệu", 2_000_000),
        ("2 trieu", 2_000_000),
        ("2 củ", 2_000_000),
        ("2 cu", 2_000_000),
        ("1tr5", 1_500_000),
        ("4tr8", 4_800_000),
        ("5tr873", 5_873_000),
        ("1 triệu rưỡi", 1_500_000),
        ("1 trieu ruoi", 1_500_000),
        ("1,5tr", 1_500_000),
        ("1.5tr", 1_500_000),
        ("200.000đ", 200_000),
        ("200,000", 200_000),
        ("200 000 VND", 200_000),
        # SMS-COMMANDS.md
        ("200000", 200_000),
        ("200.000", 200_000),
        ("200 000", 200_000),
        ("200", 200_000),
        ("450k", 450_000),
        ("300.000d", 300_000),
        ("2.000.000", 2_000_000),
        # more as secretaries write them
        ("200d", 200_000),
        ("200 dong", 200_000),
        ("200.000 đồng", 200_000),
        ("500.000vnđ", 500_000),
        ("500000VND", 500_000),
        ("200kđ", 200_000),
        ("200 K", 200_000),
        ("200ng", 200_000),
        ("200nghìn", 200_000),
        ("2trieu", 2_000_000),
        ("2củ", 2_000_000),
        ("1.500.000", 1_500_000),
        ("1,500,000", 1_500_000),
        ("1 500 000", 1_500_000),
        ("1 500 000 đ", 1_500_000),
        ("2.500k", 2_500_000),
        ("2,5k", 2_500),
        ("1tr200k", 1_200_000),
        ("1tr 200k", 1_200_000),
        ("1 triệu 200 nghìn", 1_200_000),
        ("2 củ rưỡi", 2_500_000),
        ("1tr rưỡi", 1_500_000),
        ("1tr05", 1_050_000),
        ("1tr500", 1_500_000),
        ("0.5tr", 500_000),
        ("1,25tr", 1_250_000),
        ("1.25 triệu", 1_250_000),
        ("1 tỷ", 1_000_000_000),
        ("1ty2", 1_200_000_000),
        ("1tr5đ", 1_500_000),
        ("999", 999_000),
        ("1000", 1_000),
        ("1.000", 1_000),
        ("10 tỷ", MAX_VND),
        ("２００k", 200_000),  # full-width digits
    ],
)
def test_parse_money(text: str, vnd: int) -> None:
    assert parse_money(text) == vnd
    assert parse_money(unicodedata.normalize("NFD", text)) == vnd


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "abc",
        "k",
        "0",
        "0k",
        "1,5",  # a decimal without a unit says nothing
        "1.5",
        "0.500",
        "12/11",
        "200 150",
        "1tr5000",
        "-200k",
        "200kk",
        "11 tỷ",
        "1.5.5",
        "200 000 150",
        "2tr ruoi ruoi",
        "150/95",
        "#12",
        "1,2345,6tr",
    ],
)
def test_not_money(text: str) -> None:
    assert parse_money(text) is None


@pytest.mark.parametrize(
    ("tokens", "i", "found"),
    [
        (["200", "000", "15", "300"], 0, (200_000, 2)),
        (["200", "150"], 0, (200_000, 1)),
        (["1", "500", "000", "vnd", "x"], 0, (1_500_000, 4)),
        (["1", "trieu", "ruoi", "13"], 0, (1_500_000, 3)),
        (["2tr", "500", "nghin", "x"], 0, (2_500_000, 3)),
        (["2tr", "15", "300k"], 0, (2_000_000, 1)),
        (["12", "1tr5"], 1, (1_500_000, 1)),
        (["200k", "d"], 0, (200_000, 2)),
        (["2", "cu", "ubnd"], 0, (2_000_000, 2)),
        (["200", "000d", "000"], 0, (200_000, 2)),
        (["abc"], 0, None),
        (["200k"], 1, None),
        ([], 0, None),
    ],
)
def test_money_at_counts_tokens(tokens: list[str], i: int, found: tuple[int, int] | None) -> None:
    assert money_at(tokens, i) == found


# Digits written as their own token after a million word are its fraction, as in "1tr5".
@pytest.mark.parametrize(
    ("text", "vnd"),
    [
        ("2 trieu 5", 2_500_000),
        ("2 triệu 5", 2_500_000),
        ("2 TRIỆU 5", 2_500_000),
        ("1 tr 5", 1_500_000),
        ("2 cu 5", 2_500_000),
        ("2 củ 5", 2_500_000),
        ("2tr 5", 2_500_000),
        ("2trieu 5", 2_500_000),
        ("4 trieu 8", 4_800_000),
        ("5 trieu 873", 5_873_000),
        ("1 trieu 05", 1_050_000),
        ("2 trieu 500", 2_500_000),
        ("2 trieu 5 đ", 2_500_000),
        ("2 trieu 5đ", 2_500_000),
        ("2 trieu 5 vnd", 2_500_000),
        ("1 tỷ 2", 1_200_000_000),
        ("1.000.000 trieu 5", None),  # over the maximum
        ("1,5 trieu 2", None),  # a decimal and a fraction
        ("2 trieu 5000", None),  # four digits are not a fraction
        ("2 trieu 3 thang", None),  # "3 thang" counts months
        ("2 trieu, 5", None),
        ("5 k 5", None),  # only after a million or billion word
    ],
)
def test_spoken_million_fraction(text: str, vnd: int | None) -> None:
    assert parse_money(text) == vnd
    assert parse_money(unicodedata.normalize("NFD", text)) == vnd


# The ambiguous cases, both ways: the digits are the fraction unless a comma comes first, a money
# amount follows them (they are the next member: "TRA 12 2 trieu 15 300k"), or a counting word
# follows them; "always" and "never" let a caller overrule the money-amount test.
@pytest.mark.parametrize(
    ("tokens", "auto", "always", "never"),
    [
        (["2", "trieu", "5"], (2_500_000, 3), (2_500_000, 3), (2_000_000, 2)),
        (["2", "trieu", "5", "quy", "thang"], (2_500_000, 3), (2_500_000, 3), (2_000_000, 2)),
        (["2", "trieu", "5", ",", "15", "300k"], (2_500_000, 3), (2_500_000, 3), (2_000_000, 2)),
        (["2", "trieu", ",", "15", "300k"], (2_000_000, 2), (2_000_000, 2), (2_000_000, 2)),
        (["2", "trieu", "15", "300k"], (2_000_000, 2), (2_150_000, 3), (2_000_000, 2)),
        (["2", "trieu", "5", "200"], (2_000_000, 2), (2_500_000, 3), (2_000_000, 2)),
        (["2", "trieu", "5", "1", "trieu"], (2_000_000, 2), (2_500_000, 3), (2_000_000, 2)),
        (["2", "trieu", "5", "12t"], (2_500_000, 3), (2_500_000, 3), (2_000_000, 2)),
        (["5", "trieu", "12", "thang"], (5_000_000, 2), (5_000_000, 2), (5_000_000, 2)),
        (["5tr", "1", "nam"], (5_000_000, 1), (5_000_000, 1), (5_000_000, 1)),
        (["2tr", "5", "15", "300k"], (2_000_000, 1), (2_500_000, 2), (2_000_000, 1)),
        (["1", "trieu", "200", "nghin"], (1_200_000, 4), (1_200_000, 4), (1_200_000, 4)),
        (["1", "trieu", "ruoi", "5"], (1_500_000, 3), (1_500_000, 3), (1_500_000, 3)),
        (["2tr5", "5"], (2_500_000, 1), (2_500_000, 1), (2_500_000, 1)),
    ],
)
def test_spoken_fraction_or_next_member(
    tokens: list[str],
    auto: tuple[int, int],
    always: tuple[int, int],
    never: tuple[int, int],
) -> None:
    assert money_at(tokens, 0) == auto
    assert money_at(tokens, 0, "auto") == auto
    assert money_at(tokens, 0, "always") == always
    assert money_at(tokens, 0, "never") == never


@pytest.mark.parametrize(
    ("vnd", "text"),
    [
        (200_000, "200.000d"),
        (1_500_000, "1.500.000d"),
        (1_000, "1.000d"),
        (450_000, "450.000d"),
        (1_234_567_000, "1.234.567.000d"),
        (0, "0d"),
    ],
)
def test_format_vnd(vnd: int, text: str) -> None:
    assert format_vnd(vnd) == text


@FAST
@given(st.integers(min_value=MIN_VND, max_value=MAX_VND))
def test_format_then_parse_round_trips(vnd: int) -> None:
    assert parse_money(format_vnd(vnd)) == vnd


@QUICK
@given(st.integers(min_value=1, max_value=999), st.sampled_from(["k", "K", "n", " nghìn", " ngàn"]))
def test_thousands_forms(n: int, unit: str) -> None:
    assert parse_money(f"{n}{unit}") == n * 1_000


@QUICK
@given(
    st.integers(min_value=1, max_value=999),
    st.integers(min_value=0, max_value=999),
    st.sampled_from(["tr", "TR", "trieu", "triệu", "cu", "củ"]),
)
def test_million_with_fraction_digits(whole: int, frac: int, unit: str) -> None:
    digits = str(frac)
    expected = whole * 1_000_000 + int(digits) * 10 ** (6 - len(digits))
    assert parse_money(f"{whole}{unit}{digits}") == expected


@FAST
@given(st.text(max_size=40))
def test_parse_money_never_raises(text: str) -> None:
    result = parse_money(text)
    assert result is None or MIN_VND <= result <= MAX_VND


@QUICK
@given(
    st.lists(st.text(max_size=8), max_size=6),
    st.integers(min_value=0, max_value=6),
    st.sampled_from(["auto", "always", "never"]),
)
def test_money_at_never_raises(tokens: list[str], i: int, mode: SpokenFraction) -> None:
    found = money_at(tokens, i, mode)
    if found is not None:
        assert 1 <= found[1] <= len(tokens) - i


@QUICK
@given(
    st.integers(min_value=1, max_value=999),
    st.integers(min_value=0, max_value=999),
    st.sampled_from(["tr", "TR", "trieu", "triệu", "cu", "củ"]),
)
def test_spaced_fraction_reads_as_glued(whole: int, frac: int, unit: str) -> None:
    assert parse_money(f"{whole} {unit} {frac}") == parse_money(f"{whole}{unit}{frac}")
