"""Members: TV (add a member or change a member's phone), NN (the language of later messages)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from menus.phones import is_vn_mobile, normalize_phone
from menus.sms.reading import CommandSpec, ErrorCode, Mistake, Reader, Token, need_member, shown


class Sex(StrEnum):
    """Sex as stored for members."""

    MALE = "M"
    FEMALE = "F"


@dataclass(frozen=True)
class TvArgs:
    """Add a member or change a member's phone; full_name None means a phone change only."""

    member: int
    phone: str
    full_name: str | None = None
    birth_year: int | None = None
    sex: Sex | None = None


@dataclass(frozen=True)
class NnArgs:
    """Language for later messages: "vi", "vi_dau", "en" or another code (worker checks it)."""

    lang: str


_PHONEISH = re.compile(r"[+(]?\d[\d.\-()/]*")
_SEX = {"nam": Sex.MALE, "nu": Sex.FEMALE, "male": Sex.MALE, "female": Sex.FEMALE}


def parse_tv(reader: Reader) -> TvArgs:
    member = need_member(reader)
    rest = [t for t in reader.tokens[reader.pos :] if t.low != ","]
    phone, span = _find_phone(rest)
    if phone is None:
        if span is not None:
            bad = " ".join(t.text for t in rest[span[0] : span[1]])
            raise Mistake(ErrorCode.BAD_PHONE, member=member, value=shown(bad))
        raise Mistake(ErrorCode.MISSING_PHONE, member=member)
    assert span is not None
    words = rest[: span[0]] + rest[span[1] :]
    birth_year, sex = None, None
    while words:
        last = words[-1]
        if birth_year is None and re.fullmatch(r"\d{2}|\d{4}", last.low):
            birth_year = _birth_year(last, reader.today, member)
        elif sex is None and last.low in _SEX and not _name_part(last, words):
            sex = _SEX[last.low]
        else:
            break
        words.pop()
    for word in words:
        if any(ch.isdigit() for ch in word.low):
            raise Mistake(ErrorCode.EXTRA_TEXT, member=member, value=shown(word.text))
    name = " ".join(w.text for w in words).strip(" ,.:;-") or None
    reader.pos = len(reader.tokens)
    return TvArgs(member=member, phone=phone, full_name=name, birth_year=birth_year, sex=sex)


def _name_part(word: Token, words: list[Token]) -> bool:
    """A capitalised "Nam" right after a capitalised name is the name itself ("Nguyen Van Nam
    1950"); the sex is written after the year or in another case ("nam", "NAM")."""
    return word.text.istitle() and len(words) >= 2 and words[-2].text[:1].isupper()


def _birth_year(tok: Token, today: date, member: int) -> int:
    year = int(tok.low)
    if len(tok.low) == 2:
        year += 2000 if year <= today.year % 100 else 1900
    if not 1900 <= year <= today.year:
        raise Mistake(ErrorCode.BAD_YEAR, member=member, value=tok.text)
    return year


def _find_phone(tokens: list[Token]) -> tuple[str | None, tuple[int, int] | None]:
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


_LANG_WORDS = {
    "vi": "vi", "viet": "vi", "tieng viet": "vi", "khong dau": "vi", "vi khong dau": "vi",
    "vi dau": "vi_dau", "vidau": "vi_dau", "vi_dau": "vi_dau", "co dau": "vi_dau",
    "vi co dau": "vi_dau", "dau": "vi_dau", "tieng viet co dau": "vi_dau",
    "en": "en", "eng": "en", "english": "en", "anh": "en", "tieng anh": "en",
}  # fmt: skip
_LANG_CODE = re.compile(r"[a-z][a-z0-9_]{1,15}")


def parse_nn(reader: Reader) -> NnArgs:
    words = " ".join(t.low for t in reader.tokens if t.low != ",")
    if not words:
        raise Mistake(ErrorCode.MISSING_LANG)
    if words in _LANG_WORDS:
        return NnArgs(lang=_LANG_WORDS[words])
    if _LANG_CODE.fullmatch(words):
        return NnArgs(lang=words)
    raise Mistake(ErrorCode.BAD_LANG, value=shown(" ".join(t.text for t in reader.tokens)))


COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec("TV", ("member", "thanh vien"), TvArgs, parse_tv, continuation="repeat"),
    CommandSpec("NN", ("lang", "ngon ngu"), NnArgs, parse_nn),
)
