"""Money as people type it in SMS ("200k", "1tr5", "2 triệu rưỡi", "200 000 VND") and as replies
show it ("200.000d").

The grammar tokenizes a command and asks `money_at(tokens, i)` how much money starts at token i
and how many tokens it takes; `parse_money` is the same for a whole string.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

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


def money_at(tokens: Sequence[str], i: int) -> tuple[int, int] | None:
    """The amount in VND starting at folded token i, and how many tokens it takes, or None."""
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
    if cur is None and j < len(tokens) and tokens[j] in _CURRENCY:
        j += 1
    amount = _amount(num, unit, frac, sub, half)
    return None if amount is None else (amount, j - i)


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
