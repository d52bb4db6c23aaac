"""Money commands: VAY (a loan), TRA (repayments), GOP (money into the club fund)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from menus.money import SpokenFraction, money_at
from menus.sms.reading import (
    CommandSpec,
    ErrorCode,
    Mistake,
    Reader,
    need_member,
    need_money,
    shown,
)

MONTHS_RANGE = (1, 120)
# Club loans are 2-20 million; "VAY 12 5" (5,000d) means the amount was mistyped.
MIN_LOAN = 100_000


@dataclass(frozen=True)
class VayArgs:
    """A new loan; months None means the club's default term."""

    member: int
    amount: int
    months: int | None = None


@dataclass(frozen=True)
class Payment:
    """One repayment pair of a TRA command."""

    member: int
    amount: int


@dataclass(frozen=True)
class TraArgs:
    """Repayments, in the order written."""

    payments: tuple[Payment, ...]


@dataclass(frozen=True)
class GopArgs:
    """Money into the club fund; member 0 is from outside the club."""

    member: int
    amount: int
    note: str | None = None


_MONTHS = re.compile(r"(\d{1,3})(t|th|thang)?")
_YEARS = re.compile(r"(\d{1,2})(nam)?")


def _months(reader: Reader, member: int) -> int | None:
    """Loan months as "12", "12T", "12th", "12 thang", "1 nam" (a year), or None."""
    reader.skip_punct()
    tok = reader.peek()
    if tok is None:
        return None
    nxt = reader.peek(1)
    months: int | None = None
    if (m := _MONTHS.fullmatch(tok.low)) is not None:
        months = int(m[1])
        reader.take()
        if not m[2] and nxt is not None and nxt.low in ("t", "th", "thang"):
            reader.take()
        elif not m[2] and nxt is not None and nxt.low == "nam":
            months *= 12
            reader.take()
    elif (y := _YEARS.fullmatch(tok.low)) is not None and y[2]:
        months = int(y[1]) * 12
        reader.take()
    if months is None:
        return None
    if not MONTHS_RANGE[0] <= months <= MONTHS_RANGE[1]:
        raise Mistake(ErrorCode.BAD_MONTHS, member=member, value=shown(tok.text))
    return months


def parse_vay(reader: Reader) -> VayArgs:
    """Digits after a spaced million word are the months when that reads the whole command ("VAY
    12 5 trieu 12" is 5,000,000 for 12 months, as "VAY 12 5tr 12" always was), otherwise the
    fraction ("VAY 13 2 trieu 5 12T" is 2,500,000 for 12 months). The reply echoes both."""
    member = need_member(reader)
    start = reader.pos
    try:
        return _vay_rest(reader, member, "never")
    except Mistake as months_first:
        reader.pos = start
        try:
            return _vay_rest(reader, member, "always")
        except Mistake:
            raise months_first from None


def _vay_rest(reader: Reader, member: int, spoken_fraction: SpokenFraction) -> VayArgs:
    start = reader.peek()
    amount = need_money(reader, spoken_fraction, member=member)
    if amount < MIN_LOAN:
        raise Mistake(ErrorCode.BAD_AMOUNT, member=member, value=shown(start.text if start else ""))
    months = _months(reader, member)
    reader.expect_end(member=member)
    return VayArgs(member=member, amount=amount, months=months)


# What the pairs from a token position on read as: (the pair there, where the next one starts),
# None at the end, or the first mistake from there on.
_PairsFrom = dict[int, tuple[Payment, int] | None | Mistake]


def parse_tra(reader: Reader) -> TraArgs:
    """Pairs of member and amount. Digits after a spaced million word are read by money_at's rule
    ("TRA 12 2 trieu 5" is 2,500,000; "TRA 12 2 trieu 5 200k" is 12: 2,000,000 and 5: 200,000;
    "TRA 12 2 trieu, 15 300k" is two pairs). Only when that reading leaves the rest of the command
    unreadable and the fraction reading does not is the fraction taken ("TRA 12 2 trieu 5 15 300k":
    12 pays 2,500,000 and 15 pays 300,000). Errors are those of the first reading."""
    # Read right to left: each position is read once, without recursion, so a long SMS costs no
    # stack and little time.
    first = reader.pos
    pairs_from: _PairsFrom = {}
    for pos in range(len(reader.tokens), first - 1, -1):
        try:
            pairs_from[pos] = _tra_pair(reader, pos, pairs_from)
        except Mistake as mistake:
            pairs_from[pos] = mistake
    payments: list[Payment] = []
    pos = first
    while (step := pairs_from[pos]) is not None:
        if isinstance(step, Mistake):
            raise step
        payment, pos = step
        payments.append(payment)
    reader.pos = len(reader.tokens)
    if not payments:
        raise Mistake(ErrorCode.MISSING_MEMBER)
    return TraArgs(payments=tuple(payments))


def _tra_pair(reader: Reader, pos: int, pairs_from: _PairsFrom) -> tuple[Payment, int] | None:
    """The pair at token pos and where the next starts (None at the end), or the first mistake
    from pos on; pairs_from holds what every later position reads."""
    reader.pos = pos
    reader.skip_punct()
    if reader.at_end():
        return None
    member = need_member(reader)
    start = reader.pos
    amount = need_money(reader, member=member)
    after = reader.pos
    later = pairs_from[after]
    if isinstance(later, Mistake):
        reader.pos = start
        reader.skip_punct(commas=False)
        fraction = money_at(reader.lows(), reader.pos, "always")
        if fraction is not None:
            amount, used = fraction
            nxt = reader.pos + used
            if nxt != after and not isinstance(pairs_from[nxt], Mistake):
                return Payment(member, amount), nxt
        raise later
    return Payment(member, amount), after


def parse_gop(reader: Reader) -> GopArgs:
    member = need_member(reader, allow_zero=True)
    amount = need_money(reader, member=member)
    return GopArgs(member=member, amount=amount, note=reader.rest_text())


COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec("VAY", ("loan", "vay von"), VayArgs, parse_vay, dated=True, continuation="repeat"),
    CommandSpec(
        "TRA", ("pay", "tra no"), TraArgs, parse_tra, dated=True, continuation="repeat", items=True
    ),
    CommandSpec("GOP", ("fund", "gop quy"), GopArgs, parse_gop, dated=True, continuation="repeat"),
)
