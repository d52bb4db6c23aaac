"""Reading a command's arguments: tokens, the reader, user mistakes, the readers every family of
commands shares (members, money, references) and CommandSpec, the row each command is.

A parser reads from a Reader and raises Mistake for a user mistake; menus.grammar.parse() turns
the Mistake into a ParseError value, so nothing a user types ever raises out of parse().
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Generic, Literal, TypeVar

from menus.money import SpokenFraction, money_at
from menus.text import fold

MAX_MEMBER = 9999
MAX_RANGE_SIZE = 500
# Report references: 4 characters without 0/O/1/I. The one definition: models.refs issues them
# from this alphabet, the parser reads them with it.
REF_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
REF_LENGTH = 4
SHOWN_VALUE_MAX = 24
# A club code as typed after CLB or BC: "K12", "gl01".
CLUB_CODE = re.compile(r"[a-z0-9][a-z0-9_\-]{0,15}")
PUNCT = re.compile(r"[.,:;!?=\-]+")


class ErrorCode(StrEnum):
    """Why a command was not understood; each has reply text in the catalogs."""

    EMPTY = "empty"
    UNKNOWN_KEYWORD = "unknown_keyword"
    BAD_CLUB = "bad_club"
    BAD_DATE = "bad_date"
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


class Mistake(Exception):
    """Internal unwinding for a user mistake; parse() turns it into a ParseError value."""

    def __init__(self, code: ErrorCode, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


# ---------------------------------------------------------------------------------------------
# Tokens


@dataclass(frozen=True)
class Token:
    text: str  # as typed (NFC), for notes and names
    low: str  # folded, for matching
    start: int
    end: int


def folded_word(text: str) -> str:
    """A token as matched: folded, trailing ".", ":" and "!" dropped (unless that is all)."""
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


def tokenize(text: str) -> list[Token]:
    """Whitespace-separated tokens, with list commas as tokens of their own."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        if text[i] == ",":
            tokens.append(Token(",", ",", i, i + 1))
            i += 1
            continue
        start = i
        while i < n and not text[i].isspace() and (text[i] != "," or _comma_kept(text, i)):
            i += 1
        word = text[start:i]
        tokens.append(Token(word, folded_word(word), start, i))
    return tokens


@dataclass
class Reader:
    """A command's argument tokens (after keyword and date) and a read position."""

    tokens: list[Token]
    text: str
    today: date
    pos: int = 0
    _lows: list[str] | None = field(default=None, repr=False)

    def at_end(self) -> bool:
        return self.pos >= len(self.tokens)

    def peek(self, ahead: int = 0) -> Token | None:
        i = self.pos + ahead
        return self.tokens[i] if i < len(self.tokens) else None

    def take(self) -> Token:
        tok = self.tokens[self.pos]
        self.pos += 1
        return tok

    def skip_punct(self, commas: bool = True) -> None:
        """Step over lone punctuation (" : ", " = "), list commas too unless told not to."""
        while not self.at_end() and PUNCT.fullmatch(low := self.tokens[self.pos].low):
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
            value = shown(self.rest_text() or "")
            raise Mistake(
                ErrorCode.EXTRA_TEXT, value=value, understood=shown_tail(understood), **params
            )


def shown(text: str) -> str:
    """User text echoed in a reply, cut short so the reply still fits one SMS."""
    text = " ".join(text.split())
    return text if len(text) <= SHOWN_VALUE_MAX else text[: SHOWN_VALUE_MAX - 2] + ".."


def shown_tail(text: str) -> str:
    """Like shown, keeping the last whole words: what was understood just before a mistake."""
    words = text.strip(" ,;:-").split()
    kept: list[str] = []
    while words and len(" ".join([words[-1], *kept])) <= SHOWN_VALUE_MAX - 2:
        kept.insert(0, words.pop())
    if not words:
        return " ".join(kept)
    return ".." + (" ".join(kept) if kept else words[-1][2 - SHOWN_VALUE_MAX :])


# ---------------------------------------------------------------------------------------------
# Readers shared by several commands

_MEMBER = re.compile(r"(?:#|tv#?)?(\d{1,4})")
_REF_WORD = re.compile(r"(tv|#)[.:#\-]*")
_REF_GLUED = re.compile(r"(tv|#)[.:#\-]*(\d{1,4})")
_REF_NUMBER = re.compile(r"#?(\d{1,4})")


def member_refs(tokens: Sequence[Token]) -> list[Token]:
    """Argument tokens with member references made one token "tv12": replies print "TV12" and
    people copy it as "TV 12", "TV12", "tv.12", "TV: 12", "# 12". Only inside a command's
    arguments: at the start of a line "TV" is the add-member keyword ("TV 12 0912345678 ...")."""
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if (word := _REF_WORD.fullmatch(tok.low)) and nxt and (m := _REF_NUMBER.fullmatch(nxt.low)):
            out.append(Token(f"{tok.text} {nxt.text}", word[1] + m[1], tok.start, nxt.end))
            i += 2
            continue
        if (m := _REF_GLUED.fullmatch(tok.low)) is not None:
            tok = Token(tok.text, m[1] + m[2], tok.start, tok.end)
        out.append(tok)
        i += 1
    return out


def member_of(tok: Token | None) -> int | None:
    """The card number a token names ("12", "#12", "tv12"), or None."""
    if tok is None:
        return None
    m = _MEMBER.fullmatch(tok.low)
    return int(m[1]) if m else None


def need_member(reader: Reader, allow_zero: bool = False) -> int:
    """The member number at the read position (missing_member / bad_member otherwise)."""
    reader.skip_punct()
    tok = reader.peek()
    if tok is None:
        raise Mistake(ErrorCode.MISSING_MEMBER)
    member = member_of(tok)
    if member is None:
        if re.fullmatch(r"#?\d+", tok.low) is None and money_at([tok.low], 0) is not None:
            raise Mistake(ErrorCode.MISSING_MEMBER, value=shown(tok.text))
        raise Mistake(ErrorCode.BAD_MEMBER, value=shown(tok.text))
    if member == 0 and not allow_zero:
        raise Mistake(ErrorCode.BAD_MEMBER, value=tok.text)
    reader.take()
    return member


def extra_number(reader: Reader, at: int) -> Mistake | None:
    """A number left at the end of an item that was already complete ("TRA 12 450k 12",
    "CN 12 52 12") is extra text, not a member missing its amount: the mistake that names it, with
    what was understood before it. After a comma ("TRA 12 200k, 15") a new item was begun, so
    the caller's missing_amount / missing_weight stands (None)."""
    tokens = reader.tokens
    before = at - 1
    while before >= 0 and tokens[before].low != "," and PUNCT.fullmatch(tokens[before].low):
        before -= 1  # "TRA 12 450k: 12"
    if before < 0 or tokens[before].low == ",":
        return None
    start = before
    while start > 0 and tokens[start - 1].low != ",":
        start -= 1
    understood = reader.text[tokens[start].start : tokens[before].end]
    return Mistake(
        ErrorCode.EXTRA_TEXT, value=shown(tokens[at].text), understood=shown_tail(understood)
    )


def need_money(reader: Reader, spoken_fraction: SpokenFraction = "auto", **params: object) -> int:
    """The amount at the read position, right after the member (missing_amount / bad_amount
    otherwise); spoken_fraction as in money_at ("2 trieu 5")."""
    member_at = reader.pos - 1
    reader.skip_punct(commas=False)
    tok = reader.peek()
    if tok is None or tok.low == ",":
        raise extra_number(reader, member_at) or Mistake(ErrorCode.MISSING_AMOUNT, **params)
    found = money_at(reader.lows(), reader.pos, spoken_fraction)
    if found is None:
        raise Mistake(ErrorCode.BAD_AMOUNT, value=shown(tok.text), **params)
    amount, used = found
    reader.pos += used
    return amount


def member_list(tokens: Sequence[Token]) -> tuple[int, ...]:
    """Members as "1-12 14 #15 20 den 25", sorted and unique."""
    text = " ".join(t.low for t in tokens)
    text = re.sub(r"(\d)\s*(?:->|-+|~|\bden\b|\btoi\b)\s*(?=(?:#|tv)?\d)", r"\1-", text)
    found: set[int] = set()
    for piece in re.split(r"[\s,;.:+&]+", text):
        if piece in ("", "va") or PUNCT.fullmatch(piece):
            continue
        m = re.fullmatch(r"(?:#|tv)?(\d{1,4})(?:-(?:#|tv)?(\d{1,4}))?", piece)
        if m is None:
            raise Mistake(ErrorCode.BAD_MEMBER_LIST, value=shown(piece))
        first = int(m[1])
        last = int(m[2]) if m[2] else first
        if first == 0 or last < first or last - first >= MAX_RANGE_SIZE:
            raise Mistake(ErrorCode.BAD_MEMBER_LIST, value=shown(piece))
        found.update(range(first, last + 1))
    return tuple(sorted(found))


def need_ref(reader: Reader) -> str:
    """A report reference as a reply printed it ("K7QA", "#K7QA"), upper case (missing_ref /
    bad_ref otherwise)."""
    tok = reader.peek()
    if tok is None:
        raise Mistake(ErrorCode.MISSING_REF)
    ref = tok.low.lstrip("#").upper()
    if len(ref) != REF_LENGTH or any(ch not in REF_ALPHABET for ch in ref):
        raise Mistake(ErrorCode.BAD_REF, value=shown(tok.text))
    reader.take()
    return ref


# ---------------------------------------------------------------------------------------------
# The row a command is

A = TypeVar("A")


@dataclass(frozen=True)
class CommandSpec(Generic[A]):
    """One command of the language: its keyword and aliases, its argument class and the parser
    that makes one, and how it is written. Its texts (keyword as shown, usage, example) are the
    catalog keys sms.kw.<keyword>, sms.help.<keyword> and sms.example.<keyword>.

    continuation: what a following line starting with a member number means ("merge": more
    arguments of this command; "repeat": the same command again). items: the arguments are a
    comma-separated list of items, one bad item refusing them all (TRA, HA, CN). reads_as_argument:
    a date-shaped first argument ("90/60" in HA, "1-12" in DD) that is not the date.
    """

    keyword: str  # canonical (Vietnamese), upper case
    aliases: tuple[str, ...]  # folded; the English alias first
    args: type[A]
    parse: Callable[[Reader], A]
    dated: bool = False
    continuation: Literal["merge", "repeat"] | None = None
    items: bool = False
    reads_as_argument: Callable[[int, int, int | None, str], bool] | None = None

    @property
    def usage_key(self) -> str:
        return f"sms.help.{self.keyword.lower()}"

    @property
    def example_key(self) -> str:
        return f"sms.example.{self.keyword.lower()}"
