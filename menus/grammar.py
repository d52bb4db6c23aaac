"""The SMS command language (docs/SMS-COMMANDS.md): the one table of commands and a pure parse().

Each command is one row (a CommandSpec) in its family's module under menus/sms/, next to its
argument class and parser; this module joins the families into COMMANDS, derives the keywords,
the Args union and the alias index from them (an alias naming two commands fails at import), and
parses an SMS into Command values. parse() never raises on user text: every mistake is a
ParseError value carrying what the reply needs (keyword, member, offending value);
render_error() turns it into catalog text.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from functools import lru_cache, reduce
from typing import Any

from menus import i18n
from menus.dates import date_shape, named_day_words, parse_date
from menus.sms import health, ledger, meeting, members, queries, service
from menus.sms.reading import (
    CLUB_CODE,
    MAX_MEMBER,
    REF_ALPHABET,
    REF_LENGTH,
    CommandSpec,
    ErrorCode,
    Mistake,
    Reader,
    Token,
    folded_word,
    member_refs,
    shown,
    tokenize,
)
from menus.text import fold, nfc

# The table, parse() and the replies; each command's argument class is imported from its family
# (menus.sms.ledger.GopArgs, ...). The reference format and MAX_MEMBER are here for models.
__all__ = [
    "ARG_CLASSES", "COMMANDS", "KEYWORDS", "MAX_MEMBER", "MAX_PARSED_CHARS", "REF_ALPHABET",
    "REF_LENGTH", "WHOLE_SMS_ERRORS", "Args", "Command", "CommandSpec", "ErrorCode", "Keyword",
    "ParseError", "ParsedSMS", "alias_index", "command_for", "help_text", "parse",
    "render_error", "spec_for", "spec_named", "suggest_keyword", "usage_example",
]  # fmt: skip

# Ten SMS of commands (10 x 153 GSM-7 characters): longer texts are refused unparsed.
MAX_PARSED_CHARS = 1530

# ---------------------------------------------------------------------------------------------
# The table

# When a mistyped word is as near to two keywords, the one listed first is suggested; this is the
# language's order since its first table (and the order of KEYWORDS). Newer commands come after.
_PREFERENCE = (
    "DD", "VAY", "TRA", "HA", "CN", "THAM", "MANG", "GOP", "TV", "HUY", "HD", "BC", "NO", "SK",
    "LICH", "NHO", "QUY", "NN",
)  # fmt: skip
_FAMILIES = (meeting, ledger, health, members, service, queries)


def _joined(families: Iterable[Any]) -> tuple[CommandSpec, ...]:
    rows = [spec for family in families for spec in family.COMMANDS]
    rank = {keyword: i for i, keyword in enumerate(_PREFERENCE)}
    return tuple(sorted(rows, key=lambda spec: rank.get(spec.keyword, len(rank))))


def alias_index(commands: Iterable[CommandSpec]) -> dict[str, CommandSpec]:
    """Every word that names a command (keyword and aliases, folded) and the command it names.

    A word naming two commands, an argument class used twice or an alias not written folded is a
    mistake in the table: ValueError, so the table never loads with one silently overwritten.
    """
    index: dict[str, CommandSpec] = {}
    classes: dict[type, str] = {}
    for spec in commands:
        if classes.setdefault(spec.args, spec.keyword) != spec.keyword:
            raise ValueError(f"{spec.args.__name__} is the argument class of two commands")
        for word in (spec.keyword.lower(), *spec.aliases):
            if fold(word) != word:
                raise ValueError(f"alias {word!r} of {spec.keyword} is not written folded")
            other = index.setdefault(word, spec)
            if other is not spec:
                raise ValueError(f"{word!r} names both {other.keyword} and {spec.keyword}")
    return index


COMMANDS: tuple[CommandSpec, ...] = _joined(_FAMILIES)
KEYWORDS: tuple[str, ...] = tuple(spec.keyword for spec in COMMANDS)
# Canonical (Vietnamese) command keywords, one member per row of the table.
Keyword = StrEnum("Keyword", [(k, k) for k in KEYWORDS])  # type: ignore[misc]
ARG_CLASSES: tuple[type, ...] = tuple(spec.args for spec in COMMANDS)
# Any command's arguments: the union of every row's argument class.
Args: Any = reduce(operator.or_, ARG_CLASSES)
_ALIASES: dict[str, CommandSpec] = alias_index(COMMANDS)
_BY_KEYWORD: dict[str, CommandSpec] = {spec.keyword: spec for spec in COMMANDS}
# Single words a keyword may be mistyped from (suggestions), canonical keywords first.
_SUGGESTABLE: tuple[tuple[str, str], ...] = tuple(
    (spec.keyword.lower(), spec.keyword) for spec in COMMANDS
) + tuple((a, spec.keyword) for spec in COMMANDS for a in spec.aliases if a.isalpha())
_COURTESY = frozenset(
    {"cam on", "xin cam on", "cam on ban", "cam on nhieu", "thanks", "thank you", "tks", "ok"}
)
_CLUB_PREFIX = re.compile(r"clb[:.]?(?P<code>[a-z0-9][a-z0-9_\-]*)?")
_BULLETS = "-*•>·"

# Errors about the SMS as a whole: their catalog text is a full sentence, not "Loi: <cmd> - ...".
WHOLE_SMS_ERRORS = frozenset({ErrorCode.EMPTY, ErrorCode.UNKNOWN_KEYWORD, ErrorCode.BAD_CLUB})
# Errors whose reason quotes the offending text ({value}); the subject is what was understood
# before it ("Loi: TRA 12 450k - thua "12", khong hieu"), so the text is not shown as an argument.
_VALUE_IN_REASON = frozenset({ErrorCode.EXTRA_TEXT})


def spec_named(word: str) -> CommandSpec | None:
    """The command a folded word names exactly, or None."""
    return _ALIASES.get(word)


def spec_for(word: str) -> CommandSpec | None:
    """The command a keyword or alias names (any case or accents), or None."""
    return _ALIASES.get(fold(word).rstrip(":."))


def command_for(keyword: str) -> CommandSpec:
    """The row of a canonical keyword ("TRA")."""
    return _BY_KEYWORD[keyword]


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
            best, found = key, (candidate.upper(), Keyword(keyword))
    return found


# ---------------------------------------------------------------------------------------------
# Parsed values


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
# parse()


@dataclass
class _Segment:
    spec: CommandSpec
    date_toks: list[Token]
    tokens: list[Token]
    text: str
    raw: str
    head: str  # keyword and date as typed, repeated on continuation lines


def _split_keyword(toks: list[Token]) -> tuple[CommandSpec, list[Token]] | None:
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
    glued = Token(rest, folded_word(rest), first.start + k, first.end)
    return spec, [glued, *toks[1:]]


def _split_date(spec: CommandSpec, toks: list[Token]) -> tuple[list[Token], list[Token]]:
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
    if sep != "/" and not (1 <= day <= 31 and 1 <= month <= 12):
        return [], toks  # "52.5" is not a date
    if spec.reads_as_argument is not None and spec.reads_as_argument(day, month, year, sep):
        return [], toks
    return toks[: skip + 1], toks[skip + 1 :]


def _starts_continuation(tok: Token, spec: CommandSpec) -> bool:
    """A member ("15", "#15") or, for a merged list, a range ("20-25") opening a line."""
    pattern = r"(?:#|tv)?\d{1,4}" + (r"(?:-\d{1,4})?" if spec.continuation == "merge" else "")
    return re.fullmatch(pattern, tok.low) is not None and tok.text[-1:].isalnum()


def _club_prefix(toks: list[Token]) -> tuple[str | None, list[Token]] | None:
    """("K12", rest) for a line starting "CLB K12"; (None, rest) when the code is missing."""
    m = _CLUB_PREFIX.fullmatch(toks[0].low)
    if m is None:
        return None
    if m["code"]:
        return m["code"].upper(), toks[1:]
    if len(toks) > 1 and CLUB_CODE.fullmatch(toks[1].low) and toks[1].low not in _ALIASES:
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
        toks = tokenize(line)
        if not toks:
            continue
        prefix = _club_prefix(toks)
        if prefix is not None:
            code, toks = prefix
            if code is None or pieces or (club is not None and club != code):
                pieces.append(ParseError(None, ErrorCode.BAD_CLUB, {"value": shown(line)}, line))
                continue
            club = code
            if not toks:
                continue
            line = line[toks[0].start :]
            toks = tokenize(line)
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
    pieces: list[_Segment | ParseError], toks: list[Token], line: str
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
            moved = [Token(t.text, t.low, t.start + offset, t.end + offset) for t in toks]
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
    params: dict[str, object] = {"word": shown(word)}
    if near is not None:
        params |= {"suggestion": near[0], "suggestion_keyword": near[1]}
    return ParseError(None, ErrorCode.UNKNOWN_KEYWORD, params, line)


def _parse_segment(seg: _Segment, today: date) -> Command | ParseError:
    keyword = Keyword(seg.spec.keyword)
    day: date | None = None
    if seg.date_toks:
        words = (
            seg.date_toks[1:]
            if len(seg.date_toks) > 1 and seg.date_toks[0].low == "ngay"
            else seg.date_toks
        )
        day = parse_date(" ".join(t.low for t in words), today)
        if day is None:
            value = shown(" ".join(t.text for t in words))
            return ParseError(keyword, ErrorCode.BAD_DATE, {"value": value}, seg.raw)
    try:
        args = seg.spec.parse(Reader(member_refs(seg.tokens), seg.text, today))
    except Mistake as mistake:
        params = {k: v for k, v in mistake.params.items() if v is not None}
        return ParseError(keyword, mistake.code, params, seg.raw)
    return Command(keyword=keyword, date=day, raw=seg.raw, args=args)


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


def help_text(topic: str | None, lang: str) -> str:
    """The HD reply: the list of commands, or one command's usage."""
    if topic is None:
        return i18n.t(lang, "sms.help.index")
    return i18n.t(lang, _BY_KEYWORD[topic].usage_key)
