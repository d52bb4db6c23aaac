"""The SMS command language (docs/SMS-COMMANDS.md): a table of commands and a pure parse().

parse() never raises on user text: every mistake is a ParseError value carrying what the reply
needs (keyword, member, offending value); render_error() turns it into catalog text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from typing import Literal

from menus import i18n
from menus.dates import DEFAULT_WINDOW_DAYS, date_error, date_shape, named_day_words, parse_date
from menus.money import SpokenFraction, money_at
from menus.phones import is_vn_mobile, normalize_phone
from menus.text import fold, nfc

# Plausible ranges (docs/DOMAIN.md); a value outside is a typo or a broken meter, never stored.
SYS_RANGE = (60, 260)
DIA_RANGE = (30, 160)
PULSE_RANGE = (30, 200)
WEIGHT_RANGE = (20, 150)
GLUCOSE_RANGE = (Decimal("1.0"), Decimal("35"))
GLUCOSE_MG_PER_MMOL = 18
AREA_RANGE = (1, 8)
MONTHS_RANGE = (1, 120)
MAX_MEMBER = 9999
MAX_RANGE_SIZE = 500
MAX_PEOPLE = 100_000
# Ten SMS of commands (10 x 153 GSM-7 characters): longer texts are refused unparsed.
MAX_PARSED_CHARS = 1530
# Club loans are 2-20 million; "VAY 12 5" (5,000d) means the amount was mistyped.
MIN_LOAN = 100_000
# Report references: 4 characters without 0/O/1/I (models must issue them from this alphabet).
REF_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
REF_LENGTH = 4
_SHOWN_VALUE_MAX = 24


class Keyword(StrEnum):
    """Canonical (Vietnamese) command keywords."""

    DD = "DD"
    VAY = "VAY"
    TRA = "TRA"
    HA = "HA"
    CN = "CN"
    THAM = "THAM"
    MANG = "MANG"
    GOP = "GOP"
    TV = "TV"
    HUY = "HUY"
    HD = "HD"
    BC = "BC"
    NO = "NO"
    SK = "SK"
    LICH = "LICH"
    NHO = "NHO"
    QUY = "QUY"
    NN = "NN"


class ErrorCode(StrEnum):
    """Why a command was not understood; each has reply text in the catalogs."""

    EMPTY = "empty"
    UNKNOWN_KEYWORD = "unknown_keyword"
    BAD_CLUB = "bad_club"
    BAD_DATE = "bad_date"
    DATE_FUTURE = "date_future"
    DATE_TOO_OLD = "date_too_old"
    MISSING_MEMBER = "missing_member"
    BAD_MEMBER = "bad_member"
    BAD_MEMBER_LIST = "bad_member_list"
    MISSING_AMOUNT = "missing_amount"
    BAD_AMOUNT = "bad_amount"
    BAD_MONTHS = "bad_months"
    MISSING_BP = "missing_bp"
    BAD_READING = "bad_reading"
    BP_OUT_OF_RANGE = "bp_out_of_range"
    PULSE_OUT_OF_RANGE = "pulse_out_of_range"
    WEIGHT_OUT_OF_RANGE = "weight_out_of_range"
    GLUCOSE_OUT_OF_RANGE = "glucose_out_of_range"
    MISSING_WEIGHT = "missing_weight"
    BAD_WEIGHT = "bad_weight"
    MISSING_AREA = "missing_area"
    BAD_AREA = "bad_area"
    MISSING_PEOPLE = "missing_people"
    BAD_PEOPLE = "bad_people"
    MISSING_PHONE = "missing_phone"
    BAD_PHONE = "bad_phone"
    BAD_YEAR = "bad_year"
    MISSING_REF = "missing_ref"
    BAD_REF = "bad_ref"
    MISSING_LANG = "missing_lang"
    BAD_LANG = "bad_lang"
    EXTRA_TEXT = "extra_text"


# Errors about the SMS as a whole: their catalog text is a full sentence, not "Loi: <cmd> - ...".
WHOLE_SMS_ERRORS = frozenset({ErrorCode.EMPTY, ErrorCode.UNKNOWN_KEYWORD, ErrorCode.BAD_CLUB})
# Errors whose reason quotes the offending text ({value}); the subject is what was understood
# before it ("Loi: TRA 12 450k - thua "12", khong hieu"), so the text is not shown as an argument.
_VALUE_IN_REASON = frozenset({ErrorCode.EXTRA_TEXT})


class Sex(StrEnum):
    """Sex as stored for members."""

    MALE = "M"
    FEMALE = "F"


# ---------------------------------------------------------------------------------------------
# Parsed values


@dataclass(frozen=True)
class DDArgs:
    """Attendance: members present, or (absent=True) the members absent; () absent = all came."""

    members: tuple[int, ...]
    absent: bool = False


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
class Reading:
    """One health reading; member None means the sender's own member."""

    member: int | None
    systolic: int
    diastolic: int
    pulse: int | None = None
    weight_kg: Decimal | None = None
    glucose_mmol: Decimal | None = None


@dataclass(frozen=True)
class HaArgs:
    """Health readings, one per member."""

    readings: tuple[Reading, ...]


@dataclass(frozen=True)
class Weight:
    """One weight of a CN command."""

    member: int
    kg: Decimal


@dataclass(frozen=True)
class CnArgs:
    """Weights only."""

    weights: tuple[Weight, ...]


@dataclass(frozen=True)
class ThamArgs:
    """A home-care visit by the sender to a member; the note keeps the sender's accents."""

    member: int
    note: str | None = None


@dataclass(frozen=True)
class MangArgs:
    """An activity in one of the 8 areas."""

    area: int
    people: int
    note: str | None = None


@dataclass(frozen=True)
class GopArgs:
    """Money into the club fund; member 0 is from outside the club."""

    member: int
    amount: int
    note: str | None = None


@dataclass(frozen=True)
class TvArgs:
    """Add a member or change a member's phone; full_name None means a phone change only."""

    member: int
    phone: str
    full_name: str | None = None
    birth_year: int | None = None
    sex: Sex | None = None


@dataclass(frozen=True)
class HuyArgs:
    """Cancel an earlier report by its reference (upper case)."""

    ref: str


@dataclass(frozen=True)
class HdArgs:
    """Help, on one command or (topic None) the list of commands."""

    topic: Keyword | None = None


@dataclass(frozen=True)
class BcArgs:
    """The month's report; club_code None means the sender's club (or the SMS's CLB prefix)."""

    club_code: str | None = None


@dataclass(frozen=True)
class MemberArgs:
    """NO, SK, QUY: about one member; None means the sender's own member."""

    member: int | None = None


@dataclass(frozen=True)
class NoArgs:
    """LICH takes nothing."""


@dataclass(frozen=True)
class NhoArgs:
    """A request for a visit or help, in the member's words."""

    note: str | None = None


@dataclass(frozen=True)
class NnArgs:
    """Language for later messages: "vi", "vi_dau", "en" or another code (worker checks it)."""

    lang: str


Args = (
    DDArgs
    | VayArgs
    | TraArgs
    | HaArgs
    | CnArgs
    | ThamArgs
    | MangArgs
    | GopArgs
    | TvArgs
    | HuyArgs
    | HdArgs
    | BcArgs
    | MemberArgs
    | NoArgs
    | NhoArgs
    | NnArgs
)


@dataclass(frozen=True)
class Command:
    """One understood command; date None means today (Vietnam time)."""

    keyword: Keyword
    date: date | None
    raw: str
    args: Args


@dataclass(frozen=True)
class ParseError:
    """One command not understood. params: member, value (the offending text), understood (what
    was read before extra text) and code-specific values used by the catalog text."""

    keyword: Keyword | None
    code: ErrorCode
    params: dict[str, object] = field(default_factory=dict)
    raw: str = ""

    @property
    def member(self) -> int | None:
        """The member the failed command was about, when known."""
        member = self.params.get("member")
        return member if isinstance(member, int) else None


@dataclass(frozen=True)
class ParsedSMS:
    """Everything in one SMS, in order. No items at all means a courtesy text: send no reply."""

    club_code: str | None
    items: list[Command | ParseError]

    @property
    def commands(self) -> list[Command]:
        """The understood commands."""
        return [i for i in self.items if isinstance(i, Command)]

    @property
    def errors(self) -> list[ParseError]:
        """The commands not understood."""
        return [i for i in self.items if isinstance(i, ParseError)]


# ---------------------------------------------------------------------------------------------
# Tokens


@dataclass(frozen=True)
class _Tok:
    text: str  # as typed (NFC), for notes and names
    low: str  # folded, for matching
    start: int
    end: int


def _low(text: str) -> str:
    folded = fold(text)
    return folded.rstrip(".:!") or folded


def _comma_kept(text: str, i: int) -> bool:
    """A comma between digits stays in the number ("200,000", "52,5", "1,25tr") unless it reads as
    a list separator ("200,15 300": two digits then a space)."""
    if i == 0 or i + 1 >= len(text) or not text[i - 1].isdigit() or not text[i + 1].isdigit():
        return False
    j = i + 1
    while j < len(text) and text[j].isdigit():
        j += 1
    run = j - i - 1
    return run in (1, 3) or (j < len(text) and text[j].isalpha())


def _tokenize(text: str) -> list[_Tok]:
    """Whitespace-separated tokens, with list commas as tokens of their own."""
    tokens: list[_Tok] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        if text[i] == ",":
            tokens.append(_Tok(",", ",", i, i + 1))
            i += 1
            continue
        start = i
        while i < n and not text[i].isspace() and (text[i] != "," or _comma_kept(text, i)):
            i += 1
        word = text[start:i]
        tokens.append(_Tok(word, _low(word), start, i))
    return tokens


class _Mistake(Exception):
    """Internal unwinding for a user mistake; parse() turns it into a ParseError value."""

    def __init__(self, code: ErrorCode, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass
class _Ctx:
    """A command's argument tokens (after keyword and date) and a read position."""

    tokens: list[_Tok]
    text: str
    today: date
    pos: int = 0
    _lows: list[str] | None = field(default=None, repr=False)

    def at_end(self) -> bool:
        return self.pos >= len(self.tokens)

    def peek(self, ahead: int = 0) -> _Tok | None:
        i = self.pos + ahead
        return self.tokens[i] if i < len(self.tokens) else None

    def take(self) -> _Tok:
        tok = self.tokens[self.pos]
        self.pos += 1
        return tok

    def skip_punct(self, commas: bool = True) -> None:
        """Step over lone punctuation (" : ", " = "), list commas too unless told not to."""
        while not self.at_end() and _PUNCT.fullmatch(low := self.tokens[self.pos].low):
            if low == "," and not commas:
                return
            self.pos += 1

    def lows(self) -> list[str]:
        if self._lows is None or len(self._lows) != len(self.tokens):
            self._lows = [t.low for t in self.tokens]
        return self._lows

    def rest_text(self) -> str | None:
        """The remaining text exactly as typed (a note), or None."""
        if self.at_end():
            return None
        note = self.text[self.tokens[self.pos].start :].strip().lstrip(",:;-. ").strip()
        self.pos = len(self.tokens)
        return note or None

    def expect_end(self, **params: object) -> None:
        self.skip_punct()
        if not self.at_end():
            understood = self.text[self.tokens[0].start : self.tokens[self.pos].start]
            value = _shown(self.rest_text() or "")
            raise _Mistake(
                ErrorCode.EXTRA_TEXT, value=value, understood=_shown_tail(understood), **params
            )


def _shown(text: str) -> str:
    """User text echoed in a reply, cut short so the reply still fits one SMS."""
    text = " ".join(text.split())
    return text if len(text) <= _SHOWN_VALUE_MAX else text[: _SHOWN_VALUE_MAX - 2] + ".."


def _shown_tail(text: str) -> str:
    """Like _shown, keeping the last whole words: what was understood just before a mistake."""
    words = text.strip(" ,;:-").split()
    kept: list[str] = []
    while words and len(" ".join([words[-1], *kept])) <= _SHOWN_VALUE_MAX - 2:
        kept.insert(0, words.pop())
    if not words:
        return " ".join(kept)
    return ".." + (" ".join(kept) if kept else words[-1][2 - _SHOWN_VALUE_MAX :])


# ---------------------------------------------------------------------------------------------
# Shared argument readers

_MEMBER = re.compile(r"(?:#|tv#?)?(\d{1,4})")
_PUNCT = re.compile(r"[.,:;!?=\-]+")


_REF_WORD = re.compile(r"(tv|#)[.:#\-]*")
_REF_GLUED = re.compile(r"(tv|#)[.:#\-]*(\d{1,4})")
_REF_NUMBER = re.compile(r"#?(\d{1,4})")


def _member_refs(tokens: Sequence[_Tok]) -> list[_Tok]:
    """Argument tokens with member references made one token "tv12": replies print "TV12" and
    people copy it as "TV 12", "TV12", "tv.12", "TV: 12", "# 12". Only inside a command's
    arguments: at the start of a line "TV" is the add-member keyword ("TV 12 0912345678 ...")."""
    out: list[_Tok] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if (word := _REF_WORD.fullmatch(tok.low)) and nxt and (m := _REF_NUMBER.fullmatch(nxt.low)):
            out.append(_Tok(f"{tok.text} {nxt.text}", word[1] + m[1], tok.start, nxt.end))
            i += 2
            continue
        if (m := _REF_GLUED.fullmatch(tok.low)) is not None:
            tok = _Tok(tok.text, m[1] + m[2], tok.start, tok.end)
        out.append(tok)
        i += 1
    return out


def _member_of(tok: _Tok | None) -> int | None:
    if tok is None:
        return None
    m = _MEMBER.fullmatch(tok.low)
    return int(m[1]) if m else None


def _need_member(ctx: _Ctx, allow_zero: bool = False) -> int:
    """The member number at the read position (missing_member / bad_member otherwise)."""
    ctx.skip_punct()
    tok = ctx.peek()
    if tok is None:
        raise _Mistake(ErrorCode.MISSING_MEMBER)
    member = _member_of(tok)
    if member is None:
        if re.fullmatch(r"#?\d+", tok.low) is None and money_at([tok.low], 0) is not None:
            raise _Mistake(ErrorCode.MISSING_MEMBER, value=_shown(tok.text))
        raise _Mistake(ErrorCode.BAD_MEMBER, value=_shown(tok.text))
    if member == 0 and not allow_zero:
        raise _Mistake(ErrorCode.BAD_MEMBER, value=tok.text)
    ctx.take()
    return member


def _extra_number(ctx: _Ctx, at: int) -> _Mistake | None:
    """A number left at the end of an item that was already complete ("TRA 12 450k 12",
    "CN 12 52 12") is extra text, not a member missing its amount: the mistake that names it, with
    what was understood before it. After a comma ("TRA 12 200k, 15") a new item was begun, so
    the caller's missing_amount / missing_weight stands (None)."""
    before = at - 1
    while (
        before >= 0 and ctx.tokens[before].low != "," and _PUNCT.fullmatch(ctx.tokens[before].low)
    ):
        before -= 1  # "TRA 12 450k: 12"
    if before < 0 or ctx.tokens[before].low == ",":
        return None
    start = before
    while start > 0 and ctx.tokens[start - 1].low != ",":
        start -= 1
    understood = ctx.text[ctx.tokens[start].start : ctx.tokens[before].end]
    value = _shown(ctx.tokens[at].text)
    return _Mistake(ErrorCode.EXTRA_TEXT, value=value, understood=_shown_tail(understood))


def _need_money(ctx: _Ctx, spoken_fraction: SpokenFraction = "auto", **params: object) -> int:
    """The amount at the read position, right after the member (missing_amount / bad_amount
    otherwise); spoken_fraction as in money_at ("2 trieu 5")."""
    member_at = ctx.pos - 1
    ctx.skip_punct(commas=False)
    tok = ctx.peek()
    if tok is None or tok.low == ",":
        raise _extra_number(ctx, member_at) or _Mistake(ErrorCode.MISSING_AMOUNT, **params)
    found = money_at(ctx.lows(), ctx.pos, spoken_fraction)
    if found is None:
        raise _Mistake(ErrorCode.BAD_AMOUNT, value=_shown(tok.text), **params)
    amount, used = found
    ctx.pos += used
    return amount


def _member_list(tokens: Sequence[_Tok]) -> tuple[int, ...]:
    """Members as "1-12 14 #15 20 den 25", sorted and unique."""
    text = " ".join(t.low for t in tokens)
    text = re.sub(r"(\d)\s*(?:->|-+|~|\bden\b|\btoi\b)\s*(?=(?:#|tv)?\d)", r"\1-", text)
    found: set[int] = set()
    for piece in re.split(r"[\s,;.:+&]+", text):
        if piece in ("", "va") or _PUNCT.fullmatch(piece):
            continue
        m = re.fullmatch(r"(?:#|tv)?(\d{1,4})(?:-(?:#|tv)?(\d{1,4}))?", piece)
        if m is None:
            raise _Mistake(ErrorCode.BAD_MEMBER_LIST, value=_shown(piece))
        first = int(m[1])
        last = int(m[2]) if m[2] else first
        if first == 0 or last < first or last - first >= MAX_RANGE_SIZE:
            raise _Mistake(ErrorCode.BAD_MEMBER_LIST, value=_shown(piece))
        found.update(range(first, last + 1))
    return tuple(sorted(found))


# ---------------------------------------------------------------------------------------------
# Commands


def _parse_dd(ctx: _Ctx) -> DDArgs:
    absent = False
    lows = ctx.lows()
    if lows[:1] in (["vang"], ["v"], ["absent"]):
        absent, ctx.pos = True, 1
    elif lows[:2] == ["co", "mat"]:
        ctx.pos = 2
    members = _member_list(ctx.tokens[ctx.pos :])
    if not members and not absent:
        raise _Mistake(ErrorCode.MISSING_MEMBER)
    return DDArgs(members=members, absent=absent)


_MONTHS = re.compile(r"(\d{1,3})(t|th|thang)?")
_YEARS = re.compile(r"(\d{1,2})(nam)?")


def _months(ctx: _Ctx, member: int) -> int | None:
    """Loan months as "12", "12T", "12th", "12 thang", "1 nam" (a year), or None."""
    ctx.skip_punct()
    tok = ctx.peek()
    if tok is None:
        return None
    nxt = ctx.peek(1)
    months: int | None = None
    if (m := _MONTHS.fullmatch(tok.low)) is not None:
        months = int(m[1])
        ctx.take()
        if not m[2] and nxt is not None and nxt.low in ("t", "th", "thang"):
            ctx.take()
        elif not m[2] and nxt is not None and nxt.low == "nam":
            months *= 12
            ctx.take()
    elif (y := _YEARS.fullmatch(tok.low)) is not None and y[2]:
        months = int(y[1]) * 12
        ctx.take()
    if months is None:
        return None
    if not MONTHS_RANGE[0] <= months <= MONTHS_RANGE[1]:
        raise _Mistake(ErrorCode.BAD_MONTHS, member=member, value=_shown(tok.text))
    return months


def _parse_vay(ctx: _Ctx) -> VayArgs:
    """Digits after a spaced million word are the months when that reads the whole command ("VAY
    12 5 trieu 12" is 5,000,000 for 12 months, as "VAY 12 5tr 12" always was), otherwise the
    fraction ("VAY 13 2 trieu 5 12T" is 2,500,000 for 12 months). The reply echoes both."""
    member = _need_member(ctx)
    start = ctx.pos
    try:
        return _vay_rest(ctx, member, "never")
    except _Mistake as months_first:
        ctx.pos = start
        try:
            return _vay_rest(ctx, member, "always")
        except _Mistake:
            raise months_first from None


def _vay_rest(ctx: _Ctx, member: int, spoken_fraction: SpokenFraction) -> VayArgs:
    start = ctx.peek()
    amount = _need_money(ctx, spoken_fraction, member=member)
    if amount < MIN_LOAN:
        shown = _shown(start.text if start else "")
        raise _Mistake(ErrorCode.BAD_AMOUNT, member=member, value=shown)
    months = _months(ctx, member)
    ctx.expect_end(member=member)
    return VayArgs(member=member, amount=amount, months=months)


def _parse_tra(ctx: _Ctx) -> TraArgs:
    """Pairs of member and amount. Digits after a spaced million word are read by money_at's rule
    ("TRA 12 2 trieu 5" is 2,500,000; "TRA 12 2 trieu 5 200k" is 12: 2,000,000 and 5: 200,000;
    "TRA 12 2 trieu, 15 300k" is two pairs). Only when that reading leaves the rest of the command
    unreadable and the fraction reading does not is the fraction taken ("TRA 12 2 trieu 5 15 300k":
    12 pays 2,500,000 and 15 pays 300,000). Errors are those of the first reading."""
    # Read right to left: rest[pos] is the pair read at token pos and where the next one starts
    # (None at the end), or the first mistake from pos on. Each position is read once, without
    # recursion, so a long SMS costs no stack and little time.
    first = ctx.pos
    rest: dict[int, tuple[Payment, int] | None | _Mistake] = {}
    for pos in range(len(ctx.tokens), first - 1, -1):
        try:
            rest[pos] = _tra_pair(ctx, pos, rest)
        except _Mistake as mistake:
            rest[pos] = mistake
    payments: list[Payment] = []
    pos = first
    while (step := rest[pos]) is not None:
        if isinstance(step, _Mistake):
            raise step
        payment, pos = step
        payments.append(payment)
    ctx.pos = len(ctx.tokens)
    if not payments:
        raise _Mistake(ErrorCode.MISSING_MEMBER)
    return TraArgs(payments=tuple(payments))


def _tra_pair(
    ctx: _Ctx, pos: int, rest: dict[int, tuple[Payment, int] | None | _Mistake]
) -> tuple[Payment, int] | None:
    """The pair at token pos and where the next starts (None at the end), or the first mistake
    from pos on; rest holds what every later position reads."""
    ctx.pos = pos
    ctx.skip_punct()
    if ctx.at_end():
        return None
    member = _need_member(ctx)
    start = ctx.pos
    amount = _need_money(ctx, member=member)
    after = ctx.pos
    later = rest[after]
    if isinstance(later, _Mistake):
        ctx.pos = start
        ctx.skip_punct(commas=False)
        fraction = money_at(ctx.lows(), ctx.pos, "always")
        if fraction is not None:
            amount, used = fraction
            nxt = ctx.pos + used
            if nxt != after and not isinstance(rest[nxt], _Mistake):
                return Payment(member, amount), nxt
        raise later
    return Payment(member, amount), after


_PREFIX_FIELD = {
    "m": "pulse", "mach": "pulse", "p": "pulse", "hr": "pulse", "nhip": "pulse",
    "cn": "weight", "can": "weight", "w": "weight", "kg": "weight",
    "dh": "glucose", "duong": "glucose", "g": "glucose", "glu": "glucose",
}  # fmt: skip
_SUFFIX_FIELD = {
    "kg": "weight", "bpm": "pulse", "mmol": "glucose", "mmol/l": "glucose", "mg": "glucose_mg",
    "mg/dl": "glucose_mg",
}  # fmt: skip
_NUM = r"\d{1,4}(?:[.,]\d{1,2})?"
_UNITS = "|".join(sorted(_SUFFIX_FIELD, key=len, reverse=True))
_PREFIXED = re.compile(
    rf"(?P<f>{'|'.join(sorted(_PREFIX_FIELD, key=len, reverse=True))})[:=]?(?P<v>{_NUM})"
    rf"(?P<u>{_UNITS})?"
)
_SUFFIXED = re.compile(rf"(?P<v>{_NUM})(?P<u>{_UNITS})")
_VALUE = re.compile(rf"(?P<v>{_NUM})(?P<u>{_UNITS})?")
_BP = re.compile(r"(\d{2,3})[/-](\d{2,3})(?:[/-](\d{2,3}))?(?:mmhg)?")


@dataclass
class _RawReading:
    pre: list[tuple[int, str]] = field(default_factory=list)  # bare numbers before the BP
    member: int | None = None  # "#12" / "tv12": a member for certain
    bp: tuple[int, int, str] | None = None
    post: list[tuple[int, str]] = field(default_factory=list)
    fields: dict[str, tuple[Decimal, str]] = field(default_factory=dict)

    def empty(self) -> bool:
        return not (self.pre or self.member is not None or self.bp or self.post or self.fields)


def _ha_tokens(ctx: _Ctx) -> list[str]:
    """Folded HA tokens, "150 / 95" joined and "M 80" / "52 kg" kept as pairs."""
    text = " ".join(ctx.lows())
    text = re.sub(r"(\d)\s*([/-])\s*(?=\d)", r"\1\2", text)
    return text.split()


def _ha_field(words: list[str], i: int) -> tuple[str, Decimal, str, int] | None:
    """A prefixed or suffixed measurement at words[i]: (field, value, text, words used)."""
    w = words[i]
    nxt = words[i + 1] if i + 1 < len(words) else ""
    if (m := _PREFIXED.fullmatch(w)) is not None:
        name = _SUFFIX_FIELD.get(m["u"] or "", _PREFIX_FIELD[m["f"]])
        return name, _decimal(m["v"]), w, 1
    prefix = w.rstrip(":=")
    if prefix in _PREFIX_FIELD and (v := _VALUE.fullmatch(nxt)) is not None:
        unit, used = v["u"], 2
        after = words[i + 2] if i + 2 < len(words) else ""
        if unit is None and after in _SUFFIX_FIELD:
            unit, used = after, 3
        name = _SUFFIX_FIELD[unit] if unit else _PREFIX_FIELD[prefix]
        return name, _decimal(v["v"]), f"{w}{nxt}", used
    if (m := _SUFFIXED.fullmatch(w)) is not None:
        return _SUFFIX_FIELD[m["u"]], _decimal(m["v"]), w, 1
    if re.fullmatch(_NUM, w) and nxt in _SUFFIX_FIELD and nxt != "bpm":
        return _SUFFIX_FIELD[nxt], _decimal(w), f"{w}{nxt}", 2
    return None


def _decimal(text: str) -> Decimal:
    return Decimal(text.replace(",", "."))


def _collect_readings(words: list[str]) -> list[_RawReading]:
    readings: list[_RawReading] = []
    cur = _RawReading()

    def close() -> _RawReading:
        if not cur.empty():
            readings.append(cur)
        return _RawReading()

    def member() -> int | None:
        return cur.member if cur.member is not None or len(cur.pre) != 1 else cur.pre[0][0]

    i = 0
    while i < len(words):
        w = words[i]
        nxt = words[i + 1] if i + 1 < len(words) else ""
        if w == ",":
            cur = close()
            i += 1
            continue
        if w == "mmhg" or _PUNCT.fullmatch(w):
            i += 1
            continue
        if (bp := _BP.fullmatch(w)) is not None:
            if cur.bp is not None:
                cur = close()
            cur.bp = (int(bp[1]), int(bp[2]), w)
            if bp[3]:
                cur.post.append((int(bp[3]), bp[3]))
            i += 1
            continue
        if (found := _ha_field(words, i)) is not None:
            name, value, shown, used = found
            if name in cur.fields:
                raise _Mistake(ErrorCode.BAD_READING, member=member(), value=_shown(shown))
            cur.fields[name] = (value, shown)
            i += used
            continue
        if re.fullmatch(r"(?:#|tv)\d{1,4}", w):
            if not cur.empty():
                cur = close()
            cur.member = int(w.lstrip("#tv"))
            i += 1
            continue
        if re.fullmatch(r"\d{1,4}", w):
            if cur.bp is not None and (_BP.fullmatch(nxt) or nxt.startswith("#")):
                cur = close()  # "150/95 13 125/80": 13 starts the next reading
            (cur.post if cur.bp is not None else cur.pre).append((int(w), w))
            i += 1
            continue
        raise _Mistake(ErrorCode.BAD_READING, member=member(), value=_shown(w))
    close()
    return readings


def _resolve_reading(raw: _RawReading) -> Reading:
    member = raw.member
    pulse: int | None = None
    if raw.bp is not None:
        systolic, diastolic, shown = raw.bp
        if raw.pre:
            if len(raw.pre) > 1 or member is not None:
                raise _Mistake(ErrorCode.BAD_READING, value=_shown(" ".join(t for _, t in raw.pre)))
            member = raw.pre[0][0]
        if len(raw.post) > 1:
            raise _Mistake(ErrorCode.BAD_READING, member=member, value=raw.post[1][1])
        if raw.post:
            pulse = raw.post[0][0]
    else:
        # Without a slash: "12 150 95 [80]" or "150 95 [80]".
        numbers = [n for n, _ in raw.pre]
        if member is None and len(numbers) >= 3 and not _looks_bp(numbers[0], numbers[1]):
            member, numbers = numbers[0], numbers[1:]
        if len(numbers) not in (2, 3) or not _looks_bp(numbers[0], numbers[1]):
            if member is None and numbers:
                member = numbers[0]
            raise _Mistake(ErrorCode.MISSING_BP, member=member)
        systolic, diastolic = numbers[0], numbers[1]
        pulse = numbers[2] if len(numbers) == 3 else None
        shown = f"{systolic}/{diastolic}"
    if "pulse" in raw.fields:
        if pulse is not None:
            raise _Mistake(ErrorCode.BAD_READING, member=member, value=raw.fields["pulse"][1])
        value, text = raw.fields["pulse"]
        if value != int(value):
            raise _Mistake(ErrorCode.BAD_READING, member=member, value=_shown(text))
        pulse = int(value)
    if member == 0 or (member is not None and member > MAX_MEMBER):
        raise _Mistake(ErrorCode.BAD_MEMBER, value=str(member))
    if not SYS_RANGE[0] <= systolic <= SYS_RANGE[1]:
        raise _Mistake(
            ErrorCode.BP_OUT_OF_RANGE, member=member, value=shown, lo=SYS_RANGE[0], hi=SYS_RANGE[1]
        )
    if not DIA_RANGE[0] <= diastolic <= DIA_RANGE[1]:
        raise _Mistake(
            ErrorCode.BP_OUT_OF_RANGE, member=member, value=shown, variant="dia",
            lo=DIA_RANGE[0], hi=DIA_RANGE[1],
        )  # fmt: skip
    if diastolic >= systolic:
        raise _Mistake(ErrorCode.BP_OUT_OF_RANGE, member=member, value=shown, variant="order")
    if pulse is not None and not PULSE_RANGE[0] <= pulse <= PULSE_RANGE[1]:
        raise _Mistake(
            ErrorCode.PULSE_OUT_OF_RANGE, member=member, value=str(pulse),
            lo=PULSE_RANGE[0], hi=PULSE_RANGE[1],
        )  # fmt: skip
    weight = None
    if "weight" in raw.fields:
        weight = _check_weight(raw.fields["weight"][0], raw.fields["weight"][1], member)
    glucose = None
    for name in ("glucose", "glucose_mg"):
        if name in raw.fields:
            if glucose is not None:
                raise _Mistake(ErrorCode.BAD_READING, member=member, value=raw.fields[name][1])
            glucose = _check_glucose(*raw.fields[name], member, mg=name == "glucose_mg")
    return Reading(member, systolic, diastolic, pulse, weight, glucose)


def _looks_bp(first: int, second: int) -> bool:
    return first >= SYS_RANGE[0] and DIA_RANGE[0] <= second < first


def _check_weight(kg: Decimal, shown: str, member: int | None) -> Decimal:
    if not WEIGHT_RANGE[0] <= kg <= WEIGHT_RANGE[1]:
        raise _Mistake(
            ErrorCode.WEIGHT_OUT_OF_RANGE, member=member, value=_shown(shown),
            lo=WEIGHT_RANGE[0], hi=WEIGHT_RANGE[1],
        )  # fmt: skip
    return kg


def _check_glucose(value: Decimal, shown: str, member: int | None, mg: bool) -> Decimal:
    """mmol/L; a value above the mmol range (or marked mg) is mg/dL and is converted."""
    if mg or value > GLUCOSE_RANGE[1]:
        value = (value / GLUCOSE_MG_PER_MMOL).quantize(Decimal("0.1"))
    if not GLUCOSE_RANGE[0] <= value <= GLUCOSE_RANGE[1]:
        raise _Mistake(
            ErrorCode.GLUCOSE_OUT_OF_RANGE, member=member, value=_shown(shown),
            lo=GLUCOSE_RANGE[0], hi=GLUCOSE_RANGE[1],
        )  # fmt: skip
    return value


def _parse_ha(ctx: _Ctx) -> HaArgs:
    raws = _collect_readings(_ha_tokens(ctx))
    if not raws:
        raise _Mistake(ErrorCode.MISSING_BP)
    readings = tuple(_resolve_reading(r) for r in raws)
    if len(readings) > 1:
        for reading, raw in zip(readings, raws, strict=True):
            if reading.member is None:
                shown = raw.bp[2] if raw.bp else ""
                raise _Mistake(ErrorCode.MISSING_MEMBER, value=shown)
    return HaArgs(readings=readings)


_WEIGHT = re.compile(r"(\d{1,3}(?:[.,]\d{1,2})?)(kg)?")


def _parse_cn(ctx: _Ctx) -> CnArgs:
    weights: list[Weight] = []
    while True:
        ctx.skip_punct()
        tok = ctx.peek()
        if tok is None:
            break
        if _member_of(tok) is None and _WEIGHT.fullmatch(tok.low):
            raise _Mistake(ErrorCode.MISSING_MEMBER, value=_shown(tok.text))
        member = _need_member(ctx)
        tok = ctx.peek()
        if tok is None or tok.low == ",":
            missing = _Mistake(ErrorCode.MISSING_WEIGHT, member=member)
            raise _extra_number(ctx, ctx.pos - 1) or missing
        m = _WEIGHT.fullmatch(tok.low)
        if m is None:
            raise _Mistake(ErrorCode.BAD_WEIGHT, member=member, value=_shown(tok.text))
        ctx.take()
        unit = ctx.peek()
        if not m[2] and unit is not None and unit.low == "kg":
            ctx.take()
        weights.append(Weight(member, _check_weight(_decimal(m[1]), tok.text, member)))
    if not weights:
        raise _Mistake(ErrorCode.MISSING_MEMBER)
    return CnArgs(weights=tuple(weights))


def _parse_tham(ctx: _Ctx) -> ThamArgs:
    member = _need_member(ctx)
    return ThamArgs(member=member, note=ctx.rest_text())


_PEOPLE = re.compile(r"(\d{1,6})(nguoi|ng|n)?")


def _parse_mang(ctx: _Ctx) -> MangArgs:
    tok = ctx.peek()
    if tok is None:
        raise _Mistake(ErrorCode.MISSING_AREA)
    area_text = re.sub(r"^(?:mang|m)(?=\d)", "", tok.low)
    if not area_text.isdigit() or not AREA_RANGE[0] <= int(area_text) <= AREA_RANGE[1]:
        lo, hi = AREA_RANGE
        raise _Mistake(ErrorCode.BAD_AREA, value=_shown(tok.text), lo=lo, hi=hi)
    area = int(area_text)
    ctx.take()
    ctx.skip_punct()
    tok = ctx.peek()
    m = _PEOPLE.fullmatch(tok.low) if tok is not None else None
    if tok is None or m is None:
        raise _Mistake(ErrorCode.MISSING_PEOPLE, value=str(area))
    people = int(m[1])
    if not 1 <= people <= MAX_PEOPLE:
        raise _Mistake(ErrorCode.BAD_PEOPLE, value=f"{area} {tok.text}")
    ctx.take()
    unit = ctx.peek()
    if not m[2] and unit is not None and unit.low == "nguoi":
        ctx.take()
    return MangArgs(area=area, people=people, note=ctx.rest_text())


def _parse_gop(ctx: _Ctx) -> GopArgs:
    member = _need_member(ctx, allow_zero=True)
    amount = _need_money(ctx, member=member)
    return GopArgs(member=member, amount=amount, note=ctx.rest_text())


_PHONEISH = re.compile(r"[+(]?\d[\d.\-()/]*")
_SEX = {"nam": Sex.MALE, "nu": Sex.FEMALE, "male": Sex.MALE, "female": Sex.FEMALE}


def _parse_tv(ctx: _Ctx) -> TvArgs:
    member = _need_member(ctx)
    rest = [t for t in ctx.tokens[ctx.pos :] if t.low != ","]
    phone, span = _find_phone(rest)
    if phone is None:
        if span is not None:
            bad = " ".join(t.text for t in rest[span[0] : span[1]])
            raise _Mistake(ErrorCode.BAD_PHONE, member=member, value=_shown(bad))
        raise _Mistake(ErrorCode.MISSING_PHONE, member=member)
    assert span is not None
    words = rest[: span[0]] + rest[span[1] :]
    birth_year, sex = None, None
    while words:
        last = words[-1]
        if birth_year is None and re.fullmatch(r"\d{2}|\d{4}", last.low):
            birth_year = _birth_year(last, ctx.today, member)
        elif sex is None and last.low in _SEX and not _name_part(last, words):
            sex = _SEX[last.low]
        else:
            break
        words.pop()
    for word in words:
        if any(ch.isdigit() for ch in word.low):
            raise _Mistake(ErrorCode.EXTRA_TEXT, member=member, value=_shown(word.text))
    name = " ".join(w.text for w in words).strip(" ,.:;-") or None
    ctx.pos = len(ctx.tokens)
    return TvArgs(member=member, phone=phone, full_name=name, birth_year=birth_year, sex=sex)


def _name_part(word: _Tok, words: list[_Tok]) -> bool:
    """A capitalised "Nam" right after a capitalised name is the name itself ("Nguyen Van Nam
    1950"); the sex is written after the year or in another case ("nam", "NAM")."""
    return word.text.istitle() and len(words) >= 2 and words[-2].text[:1].isupper()


def _birth_year(tok: _Tok, today: date, member: int) -> int:
    year = int(tok.low)
    if len(tok.low) == 2:
        year += 2000 if year <= today.year % 100 else 1900
    if not 1900 <= year <= today.year:
        raise _Mistake(ErrorCode.BAD_YEAR, member=member, value=tok.text)
    return year


def _find_phone(tokens: list[_Tok]) -> tuple[str | None, tuple[int, int] | None]:
    """The first run of up to 4 tokens that makes a Vietnamese mobile number ("0168 234 5678"):
    (E.164, span); (None, span) for a long digit run that is not one; (None, None) when absent."""
    bad: tuple[int, int] | None = None
    for i, tok in enumerate(tokens):
        if not _PHONEISH.fullmatch(tok.low):
            continue
        run = i
        while run < len(tokens) and run - i < 4 and _PHONEISH.fullmatch(tokens[run].low):
            run += 1
        for end in range(run, i, -1):
            e164 = normalize_phone("".join(t.low for t in tokens[i:end]))
            if e164 is not None and is_vn_mobile(e164):
                return e164, (i, end)
        digits = sum(ch.isdigit() for t in tokens[i:run] for ch in t.low)
        if bad is None and digits >= 7:
            bad = (i, run)
    return None, bad


def _parse_huy(ctx: _Ctx) -> HuyArgs:
    tok = ctx.peek()
    if tok is None:
        raise _Mistake(ErrorCode.MISSING_REF)
    ref = tok.low.lstrip("#").upper()
    if len(ref) != REF_LENGTH or any(ch not in REF_ALPHABET for ch in ref):
        raise _Mistake(ErrorCode.BAD_REF, value=_shown(tok.text))
    return HuyArgs(ref=ref)


def _parse_hd(ctx: _Ctx) -> HdArgs:
    tok = ctx.peek()
    if tok is None:
        return HdArgs()
    word = re.match(r"[a-z]*", tok.low)
    letters = word[0] if word else ""
    spec = _ALIASES.get(letters)
    if spec is None and letters:
        near = suggest_keyword(letters)
        spec = _BY_KEYWORD[near[1]] if near else None
    return HdArgs(topic=spec.keyword if spec else None)


_CLUB_CODE = re.compile(r"[a-z0-9][a-z0-9_\-]{0,15}")


def _parse_bc(ctx: _Ctx) -> BcArgs:
    tok = ctx.peek()
    if tok is None or not _CLUB_CODE.fullmatch(tok.low):
        return BcArgs()
    return BcArgs(club_code=tok.low.upper())


def _parse_member_query(ctx: _Ctx) -> MemberArgs:
    tok = ctx.peek()
    member = _member_of(tok)
    if member == 0:
        raise _Mistake(ErrorCode.BAD_MEMBER, value="0")
    return MemberArgs(member=member)


def _parse_lich(ctx: _Ctx) -> NoArgs:
    return NoArgs()


def _parse_nho(ctx: _Ctx) -> NhoArgs:
    return NhoArgs(note=ctx.rest_text())


_LANG_WORDS = {
    "vi": "vi", "viet": "vi", "tieng viet": "vi", "khong dau": "vi", "vi khong dau": "vi",
    "vi dau": "vi_dau", "vidau": "vi_dau", "vi_dau": "vi_dau", "co dau": "vi_dau",
    "vi co dau": "vi_dau", "dau": "vi_dau", "tieng viet co dau": "vi_dau",
    "en": "en", "eng": "en", "english": "en", "anh": "en", "tieng anh": "en",
}  # fmt: skip
_LANG_CODE = re.compile(r"[a-z][a-z0-9_]{1,15}")


def _parse_nn(ctx: _Ctx) -> NnArgs:
    words = " ".join(t.low for t in ctx.tokens if t.low != ",")
    if not words:
        raise _Mistake(ErrorCode.MISSING_LANG)
    if words in _LANG_WORDS:
        return NnArgs(lang=_LANG_WORDS[words])
    if _LANG_CODE.fullmatch(words):
        return NnArgs(lang=words)
    raise _Mistake(ErrorCode.BAD_LANG, value=_shown(" ".join(t.text for t in ctx.tokens)))


# ---------------------------------------------------------------------------------------------
# The table


@dataclass(frozen=True)
class CommandSpec:
    """One row of the language. continuation: what a following line starting with a member number
    means ("merge": more arguments of this command; "repeat": the same command again)."""

    keyword: Keyword
    aliases: tuple[str, ...]
    parse: Callable[[_Ctx], Args]
    usage_key: str
    example_key: str
    dated: bool = False
    continuation: Literal["merge", "repeat"] | None = None


def _row(
    keyword: Keyword,
    aliases: tuple[str, ...],
    parser: Callable[[_Ctx], Args],
    dated: bool = False,
    continuation: Literal["merge", "repeat"] | None = None,
) -> CommandSpec:
    name = keyword.lower()
    return CommandSpec(
        keyword, aliases, parser, f"sms.help.{name}", f"sms.example.{name}", dated, continuation
    )


COMMANDS: tuple[CommandSpec, ...] = (
    _row(Keyword.DD, ("att", "diem danh"), _parse_dd, dated=True, continuation="merge"),
    _row(Keyword.VAY, ("loan", "vay von"), _parse_vay, dated=True, continuation="repeat"),
    _row(Keyword.TRA, ("pay", "tra no"), _parse_tra, dated=True, continuation="repeat"),
    _row(Keyword.HA, ("bp", "huyet ap"), _parse_ha, dated=True, continuation="repeat"),
    _row(Keyword.CN, ("kg", "can nang"), _parse_cn, dated=True, continuation="repeat"),
    _row(Keyword.THAM, ("visit", "tham hoi"), _parse_tham, dated=True, continuation="repeat"),
    _row(Keyword.MANG, ("area",), _parse_mang, dated=True, continuation="repeat"),
    _row(Keyword.GOP, ("fund", "gop quy"), _parse_gop, dated=True, continuation="repeat"),
    _row(Keyword.TV, ("member", "thanh vien"), _parse_tv, continuation="repeat"),
    _row(Keyword.HUY, ("undo",), _parse_huy),
    _row(Keyword.HD, ("help", "?", "huong dan"), _parse_hd),
    _row(Keyword.BC, ("report", "bao cao"), _parse_bc),
    _row(Keyword.NO, ("debt",), _parse_member_query),
    _row(Keyword.SK, ("health", "suc khoe"), _parse_member_query),
    _row(Keyword.LICH, ("next",), _parse_lich),
    _row(Keyword.NHO, ("request",), _parse_nho),
    _row(Keyword.QUY, ("savings",), _parse_member_query),
    _row(Keyword.NN, ("lang", "ngon ngu"), _parse_nn),
)
KEYWORDS: tuple[str, ...] = tuple(spec.keyword.value for spec in COMMANDS)
_BY_KEYWORD: dict[Keyword, CommandSpec] = {spec.keyword: spec for spec in COMMANDS}
_ALIASES: dict[str, CommandSpec] = {
    word: spec for spec in COMMANDS for word in (spec.keyword.lower(), *spec.aliases)
}
# Single words a keyword may be mistyped from (suggestions), canonical keywords first.
_SUGGESTABLE: tuple[tuple[str, Keyword], ...] = tuple(
    (spec.keyword.lower(), spec.keyword) for spec in COMMANDS
) + tuple((a, spec.keyword) for spec in COMMANDS for a in spec.aliases if a.isalpha())
_COURTESY = frozenset(
    {"cam on", "xin cam on", "cam on ban", "cam on nhieu", "thanks", "thank you", "tks", "ok"}
)
_CLUB_PREFIX = re.compile(r"clb[:.]?(?P<code>[a-z0-9][a-z0-9_\-]*)?")
_BULLETS = "-*•>·"


def spec_for(word: str) -> CommandSpec | None:
    """The command a keyword or alias names (any case or accents), or None."""
    return _ALIASES.get(fold(word).rstrip(":."))


def usage_example(keyword: str, lang: str = i18n.DEFAULT_LANG) -> str:
    """A short example of a command for error replies: "TRA 12 450k"."""
    spec = spec_for(keyword)
    if spec is None:
        raise KeyError(keyword)
    return i18n.t(lang, spec.example_key)


def _distance(a: str, b: str) -> int:
    """Edit distance with adjacent transpositions ("tarr" -> "tra" is 2)."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


@lru_cache(maxsize=1024)
def suggest_keyword(word: str) -> tuple[str, Keyword] | None:
    """The nearest keyword or English alias to a mistyped word: (as written, canonical)."""
    folded = fold(word)
    if not folded:
        return None
    limit = 1 if len(folded) <= 3 else 2
    best: tuple[int, int, int] | None = None
    found: tuple[str, Keyword] | None = None
    for rank, (candidate, keyword) in enumerate(_SUGGESTABLE):
        d = _distance(folded, candidate)
        if d > limit or d >= len(candidate) or (d > 1 and candidate[0] != folded[0]):
            continue  # two slips are a typo only when the first letter is right
        key = (d, candidate[0] != folded[0], rank)
        if best is None or key < best:
            best, found = key, (candidate.upper(), keyword)
    return found


# ---------------------------------------------------------------------------------------------
# parse()


@dataclass
class _Segment:
    spec: CommandSpec
    date_toks: list[_Tok]
    tokens: list[_Tok]
    text: str
    raw: str
    head: str  # keyword and date as typed, repeated on continuation lines


def _split_keyword(toks: list[_Tok]) -> tuple[CommandSpec, list[_Tok]] | None:
    """The command named at the start of a line, and the tokens after its keyword."""
    if len(toks) >= 2 and (spec := _ALIASES.get(f"{toks[0].low} {toks[1].low}")):
        return spec, toks[2:]
    first = toks[0]
    m = re.match(r"([a-z]+|\?)[:.?]*", first.low)
    if m is None or (spec := _ALIASES.get(m[1])) is None:
        return None
    if m.end() == len(first.low):
        return spec, toks[1:]
    # Glued to the first argument: "TRA12", "Trả:12", "DD21/11", "?tra"
    k = next(
        (k for k in range(1, len(first.text)) if fold(first.text[:k]) == first.low[: m.end()]),
        None,
    )
    if k is None:
        return None
    rest = first.text[k:]
    glued = _Tok(rest, _low(rest), first.start + k, first.end)
    return spec, [glued, *toks[1:]]


def _split_date(spec: CommandSpec, toks: list[_Tok]) -> tuple[list[_Tok], list[_Tok]]:
    """The optional date right after the keyword ("ngay 21/11", "hom nay" too), and the tokens
    after it."""
    if not spec.dated or not toks:
        return [], toks
    skip = 1 if toks[0].low == "ngay" and len(toks) > 1 else 0
    named = named_day_words([t.low for t in toks[skip:]])
    if named:
        return toks[: skip + named], toks[skip + named :]
    shape = date_shape(toks[skip].low)
    if shape is None:
        return [], toks
    day, month, year, sep = shape
    plausible = 1 <= day <= 31 and 1 <= month <= 12
    if not plausible and (sep != "/" or spec.keyword == Keyword.HA):
        return [], toks  # "90/60" in HA, "52.5" are not dates
    if spec.keyword == Keyword.DD and sep == "-" and year is None and day <= month:
        return [], toks  # "DD 1-12": a range of members
    return toks[: skip + 1], toks[skip + 1 :]


def _starts_continuation(tok: _Tok, spec: CommandSpec) -> bool:
    """A member ("15", "#15") or, for a merged list, a range ("20-25") opening a line."""
    pattern = r"(?:#|tv)?\d{1,4}" + (r"(?:-\d{1,4})?" if spec.continuation == "merge" else "")
    return re.fullmatch(pattern, tok.low) is not None and tok.text[-1:].isalnum()


def _club_prefix(toks: list[_Tok]) -> tuple[str | None, list[_Tok]] | None:
    """("K12", rest) for a line starting "CLB K12"; (None, rest) when the code is missing."""
    m = _CLUB_PREFIX.fullmatch(toks[0].low)
    if m is None:
        return None
    if m["code"]:
        return m["code"].upper(), toks[1:]
    if len(toks) > 1 and _CLUB_CODE.fullmatch(toks[1].low) and toks[1].low not in _ALIASES:
        return toks[1].low.upper(), toks[2:]
    return None, toks[1:]


# A list number or letter opening a line: "1. ", "2) ", "a. ", "(3) ", "1 . ", "1.TRA". Not
# "12.5tr" or "21.11" (a digit follows), nor a word ("tv.12", "HA."): one letter or one or two
# digits, then "." or ")", then a space or a letter.
_LIST_MARK = re.compile(r"\(?(?:\d{1,2}|[^\W\d_]) ?[.)](?:\s+|(?=[^\W\d_]))")


def _lines(text: str) -> list[str]:
    out = []
    for line in re.split(r"[\n\r;]+", text):
        line = line.strip().lstrip(_BULLETS).strip()
        if (mark := _LIST_MARK.match(line)) is not None:
            line = line[mark.end() :].lstrip(_BULLETS).strip()
        if line:
            out.append(line)
    return out


def parse(text: str, today: date) -> ParsedSMS:
    """Every command in an SMS, understood or not, in order."""
    club: str | None = None
    pieces: list[_Segment | ParseError] = []
    courtesy = False
    for line in _lines(nfc(text)):
        if fold(line).strip(" .!") in _COURTESY:
            courtesy = True
            continue
        toks = _tokenize(line)
        if not toks:
            continue
        prefix = _club_prefix(toks)
        if prefix is not None:
            code, toks = prefix
            if code is None or pieces or (club is not None and club != code):
                pieces.append(ParseError(None, ErrorCode.BAD_CLUB, {"value": _shown(line)}, line))
                continue
            club = code
            if not toks:
                continue
            line = line[toks[0].start :]
            toks = _tokenize(line)
        found = _split_keyword(toks)
        if found is None:
            pieces.append(_continue_or_unknown(pieces, toks, line))
            continue
        spec, rest = found
        date_toks, args = _split_date(spec, rest)
        head = line[: args[0].start].strip() if args else line
        pieces.append(_Segment(spec, date_toks, args, line, line, head))
    items = [p if isinstance(p, ParseError) else _parse_segment(p, today) for p in pieces]
    if not items and not courtesy:
        items = [ParseError(None, ErrorCode.EMPTY, {}, text.strip())]
    return ParsedSMS(club_code=club, items=items)


def _continue_or_unknown(
    pieces: list[_Segment | ParseError], toks: list[_Tok], line: str
) -> _Segment | ParseError:
    """A line without a keyword continues the previous command when it starts with a member
    ("TRA 12 200k" then "15 300k"); otherwise it is an unknown keyword."""
    prev = pieces[-1] if pieces else None
    if (
        isinstance(prev, _Segment)
        and prev.spec.continuation
        and _starts_continuation(toks[0], prev.spec)
    ):
        if prev.spec.continuation == "merge":
            offset = len(prev.text) + 1
            moved = [_Tok(t.text, t.low, t.start + offset, t.end + offset) for t in toks]
            pieces.pop()
            text = f"{prev.text}\n{line}"
            return _Segment(prev.spec, prev.date_toks, prev.tokens + moved, text, text, prev.head)
        if not prev.tokens:
            pieces.pop()  # a header line "TRA 21/11" followed by its pairs
        return _Segment(prev.spec, prev.date_toks, toks, line, f"{prev.head} {line}", prev.head)
    first = toks[0]
    letters = re.match(r"[^\W\d_]+", first.text)
    word = letters[0] if letters else first.text
    near = suggest_keyword(word) if letters else None
    params: dict[str, object] = {"word": _shown(word)}
    if near is not None:
        params |= {"suggestion": near[0], "suggestion_keyword": near[1]}
    return ParseError(None, ErrorCode.UNKNOWN_KEYWORD, params, line)


def _parse_segment(seg: _Segment, today: date) -> Command | ParseError:
    day: date | None = None
    if seg.date_toks:
        words = (
            seg.date_toks[1:]
            if len(seg.date_toks) > 1 and seg.date_toks[0].low == "ngay"
            else seg.date_toks
        )
        day = parse_date(" ".join(t.low for t in words), today)
        if day is None:
            value = _shown(" ".join(t.text for t in words))
            return ParseError(seg.spec.keyword, ErrorCode.BAD_DATE, {"value": value}, seg.raw)
    try:
        args = seg.spec.parse(_Ctx(_member_refs(seg.tokens), seg.text, today))
    except _Mistake as mistake:
        params = {k: v for k, v in mistake.params.items() if v is not None}
        return ParseError(seg.spec.keyword, mistake.code, params, seg.raw)
    return Command(keyword=seg.spec.keyword, date=day, raw=seg.raw, args=args)


def check_date(
    item: Command | ParseError, today: date, window_days: int = DEFAULT_WINDOW_DAYS
) -> Command | ParseError:
    """The item, or a date_future / date_too_old error when its date is outside the club's
    back-dating window (the worker knows the window)."""
    if not isinstance(item, Command) or item.date is None:
        return item
    problem = date_error(item.date, today, window_days)
    if problem is None:
        return item
    code = ErrorCode.DATE_FUTURE if problem == "future" else ErrorCode.DATE_TOO_OLD
    params: dict[str, object] = {"value": f"{item.date.day:02d}/{item.date.month:02d}"}
    params["window"] = window_days
    return ParseError(item.keyword, code, params, item.raw)


# ---------------------------------------------------------------------------------------------
# Replies


def render_error(err: ParseError, lang: str) -> str:
    """The reply line for one mistake: "Loi: TRA 12 - thieu so tien. VD: TRA 12 450k"."""
    params = dict(err.params)
    if err.code in WHOLE_SMS_ERRORS or err.keyword is None:
        key = f"sms.err.{err.code}"
        if err.code == ErrorCode.UNKNOWN_KEYWORD and "suggestion" not in params:
            key = "sms.err.unknown_keyword_nosuggest"
        params.setdefault("word", "")
        params.setdefault("value", "")
        return i18n.t(lang, key, **params)
    name = err.keyword.lower()
    subject = [i18n.t(lang, f"sms.kw.{name}")]
    if params.get("understood"):
        subject.append(str(params["understood"]))
    elif err.member is not None:
        subject.append(str(err.member))
    if params.get("value") and err.code not in _VALUE_IN_REASON:
        subject.append(str(params["value"]))
    variant = params.get("variant")
    reason_key = f"sms.reason.{err.code}" + (f"_{variant}" if variant else "")
    reason = i18n.t(lang, reason_key, **params)
    hint_key = f"sms.hint.{err.code}"
    if i18n.has_key(lang, hint_key):
        hint = i18n.t(lang, hint_key, **params)
    else:
        hint = i18n.t(lang, "sms.hint.example", example=usage_example(name, lang))
    return i18n.t(lang, "sms.err.line", subject=" ".join(subject), reason=reason, hint=hint)


def help_text(topic: Keyword | None, lang: str) -> str:
    """The HD reply: the list of commands, or one command's usage."""
    if topic is None:
        return i18n.t(lang, "sms.help.index")
    return i18n.t(lang, _BY_KEYWORD[topic].usage_key)
