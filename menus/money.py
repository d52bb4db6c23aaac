"""Money as people type it in SMS ("200k", "1tr5", "2 triệu rưỡi", "200 000 VND") and as replies
show it ("200.000d").

The grammar tokenizes a command and asks `money_at(tokens, i)` how much money starts at token i
and how many tokens it takes; `parse_money` is the same for a whole string.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Literal

from menus.text import fold

MIN_VND = 1_000
MAX_VND = 10_000_000_000  # ten times the largest club fund: anything above is a typo

_THOUSAND = ("nghin", "ngan", "ng", "k", "n")
_MILLION = ("trieu", "tr", "cu")
_BILLION = ("ty", "ti")
_MULTIPLIER: dict[str, int] = (
    {u: 1_000 for u in _THOUSAND} | {u: 1_000_000 for u in _MILLION} | {u: 10**9 for u in _BILLION}
)
_CURRENCY = ("dong", "vnd", "d")
_HALF = "ruoi"


def _alt(words: Sequence[str]) -> str:
    return "|".join(sorted(words, key=len, reverse=True))


_UNIT = _alt(list(_MULTIPLIER))
_CUR = _alt(_CURRENCY)
_K = _alt(_THOUSAND)
# One token: number, optional unit, then digits after the unit (a fraction, "1tr5", or thousands
# with their own unit, "1tr200k"), then an optional currency word.
_TOKEN = re.compile(
    rf"(?P<num>\d+(?:[.,]\d+)*)"
    rf"(?:(?P<unit>{_UNIT})(?:(?P<sub>\d{{1,3}})(?P<subunit>{_K})|(?P<frac>\d{{1,3}}))?)?"
    rf"(?P<cur>{_CUR})?"
)
_GROUP = re.compile(rf"(?P<digits>\d{{3}})(?P<cur>{_CUR})?")
_UNIT_WORD = re.compile(rf"(?P<unit>{_UNIT})(?P<cur>{_CUR})?")
_THOUSANDS_TAIL = re.compile(rf"(?P<n>\d{{1,3}})(?P<unit>{_K})(?P<cur>{_CUR})?")
_SHORT = re.compile(r"\d{1,3}")
_SPOKEN_FRAC = re.compile(rf"(?P<frac>\d{{1,3}})(?P<cur>{_CUR})?")
# Words that count the number before them ("3 thang", "30 nguoi"): that number is not a fraction.
_COUNTED = frozenset({"t", "th", "thang", "nam", "ngay", "tuan", "nguoi", "lan", "buoi", "kg"})

SpokenFraction = Literal["auto", "always", "never"]
_SEP = re.compile(r"[.,]")


def _number(num: str, multiplier: int) -> tuple[Decimal, bool] | None:
    """The digits before the unit as (value, is_fractional); "." and "," are read as thousands
    separators when groups of three follow, otherwise as a decimal mark."""
    parts = _SEP.split(num)
    if len(parts) == 1:
        return Decimal(num), False
    grouped = len(parts[0]) <= 3 and all(len(p) == 3 for p in parts[1:])
    if len(parts) > 2:
        return (Decimal("".join(parts)), False) if grouped else None
    # "1.500k" is 1,500 thousand, but "1.5tr" and "1.250tr" are decimals of a million.
    if grouped and multiplier <= 1_000:
        return Decimal("".join(parts)), False
    return Decimal(f"{parts[0]}.{parts[1]}"), True


def money_at(
    tokens: Sequence[str], i: int, spoken_fraction: SpokenFraction = "auto"
) -> tuple[int, int] | None:
    """The amount in VND starting at folded token i, and how many tokens it takes, or None.

    spoken_fraction says what 1-3 digits written as a token of their own after a million (or
    billion) word are: "2 trieu 5", "1 tr 5", "2tr 5". Said aloud, "hai trieu nam" is 2,500,000,
    so they are the fraction, as in "2tr5", but in a list of pairs ("TRA 12 2 trieu 5 200k") they
    may be the next member. "auto" (the default) reads them as the fraction unless
      - a comma comes first ("2 trieu, 15 300k": the comma is a token of its own, so the digits are
        not right after the million word),
      - a money amount follows them ("2 trieu 15 300k", "2 trieu 5 200": a member and its amount),
      - a counting word follows them ("2 trieu 3 thang", "5tr 12 thang": a note or the months),
      - the number already has a decimal part ("1,5 trieu 2").
    "always" drops the money-amount condition (for a caller that has checked that the pair reading
    leads nowhere), "never" keeps the digits for the caller (a loan's months, "VAY 12 5 trieu 12").
    """
    if i >= len(tokens):
        return None
    m = _TOKEN.fullmatch(tokens[i])
    if m is None:
        return None
    num, unit, cur = m["num"], m["unit"], m["cur"]
    frac, sub = m["frac"], m["sub"]
    j = i + 1
    if unit is None and cur is None and _SHORT.fullmatch(num):
        # "200 000", "1 500 000 d": only when the last group is 000, so that "TRA 12 200 150 300"
        # stays a list of numbers.
        groups: list[tuple[str, str | None]] = []
        while j + len(groups) < len(tokens):
            g = _GROUP.fullmatch(tokens[j + len(groups)])
            if g is None:
                break
            groups.append((g["digits"], g["cur"]))
            if g["cur"]:
                break
        while groups and groups[-1][0] != "000":
            groups.pop()
        if groups:
            num = num + "".join(d for d, _ in groups)
            cur = groups[-1][1]
            j += len(groups)
    if unit is None and cur is None and j < len(tokens):
        w = _UNIT_WORD.fullmatch(tokens[j])
        if w is not None:
            unit, cur = w["unit"], w["cur"]
            j += 1
    half = False
    if unit and not (frac or sub or cur) and j < len(tokens) and tokens[j] == _HALF:
        half = True
        j += 1
    if unit in _MILLION + _BILLION and not (frac or sub or half or cur) and j < len(tokens):
        # "1tr 200k", "1 trieu 200 nghin"
        tail = _THOUSANDS_TAIL.fullmatch(tokens[j])
        if tail is not None:
            sub, cur = tail["n"], tail["cur"]
            j += 1
        elif j + 1 < len(tokens) and _SHORT.fullmatch(tokens[j]):
            w = _UNIT_WORD.fullmatch(tokens[j + 1])
            if w is not None and w["unit"] in _THOUSAND:
                sub, cur = tokens[j], w["cur"]
                j += 2
        if sub is None and (f := _spoken_fraction(tokens, j, num, spoken_fraction)):
            frac, cur = f["frac"], f["cur"]
            j += 1
    if cur is None and j < len(tokens) and tokens[j] in _CURRENCY:
        j += 1
    amount = _amount(num, unit, frac, sub, half)
    return None if amount is None else (amount, j - i)


def _spoken_fraction(
    tokens: Sequence[str], j: int, num: str, mode: SpokenFraction
) -> re.Match[str] | None:
    """The fraction at tokens[j], right after a spaced million word, or None (see money_at)."""
    if mode == "never" or j >= len(tokens) or _SEP.search(num):
        return None
    f = _SPOKEN_FRAC.fullmatch(tokens[j])
    if f is None or j + 1 == len(tokens):
        return f
    after = tokens[j + 1]
    if after in _COUNTED or (mode == "auto" and money_at(tokens, j + 1, "never") is not None):
        return None
    return f


def _amount(
    num: str, unit: str | None, frac: str | None, sub: str | None, half: bool
) -> int | None:
    multiplier = _MULTIPLIER[unit] if unit else 1
    parsed = _number(num, multiplier)
    if parsed is None:
        return None
    value, fractional = parsed
    if unit is None:
        if fractional:
            return None
        if _SHORT.fullmatch(num):
            value *= 1_000  # a bare number under 1,000 means thousands
    if frac is not None:
        if fractional or _SEP.search(num):
            return None
        value += Decimal(f"0.{frac}")
    if half:
        value += Decimal("0.5")
    value *= multiplier
    if sub is not None:
        value += Decimal(sub) * 1_000
    try:
        amount = int(value)
    except (InvalidOperation, OverflowError):
        return None
    if amount != value or not MIN_VND <= amount <= MAX_VND:
        return None
    return amount


def parse_money(s: str) -> int | None:
    """VND from a whole string ("1tr5" -> 1500000, "200" -> 200000), None when it is not money."""
    tokens = fold(s).split()
    found = money_at(tokens, 0)
    if found is None or found[1] != len(tokens):
        return None
    return found[0]


def format_vnd(n: int) -> str:
    """The reply form of an amount: 1500000 -> "1.500.000d" (unaccented, GSM-7)."""
    return f"{n:,}".replace(",", ".") + "d"
