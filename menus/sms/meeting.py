"""Club life: DD (meeting attendance), MANG (an activity in one of the 8 areas), THAM (a home-care
visit)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from menus.sms.reading import (
    CommandSpec,
    ErrorCode,
    Mistake,
    Reader,
    member_list,
    need_member,
    shown,
)

AREA_RANGE = (1, 8)
MAX_PEOPLE = 100_000


@dataclass(frozen=True)
class DDArgs:
    """Attendance: members present, or (absent=True) the members absent; () absent = all came."""

    members: tuple[int, ...]
    absent: bool = False


@dataclass(frozen=True)
class MangArgs:
    """An activity in one of the 8 areas."""

    area: int
    people: int
    note: str | None = None


@dataclass(frozen=True)
class ThamArgs:
    """A home-care visit by the sender to a member; the note keeps the sender's accents."""

    member: int
    note: str | None = None


def parse_dd(reader: Reader) -> DDArgs:
    absent = False
    lows = reader.lows()
    if lows[:1] in (["vang"], ["v"], ["absent"]):
        absent, reader.pos = True, 1
    elif lows[:2] == ["co", "mat"]:
        reader.pos = 2
    members = member_list(reader.tokens[reader.pos :])
    if not members and not absent:
        raise Mistake(ErrorCode.MISSING_MEMBER)
    return DDArgs(members=members, absent=absent)


def _a_range(day: int, month: int, year: int | None, sep: str) -> bool:
    """ "DD 1-12" is a range of members, not the 1st of December."""
    return sep == "-" and year is None and day <= month


_PEOPLE = re.compile(r"(\d{1,6})(nguoi|ng|n)?")


def parse_mang(reader: Reader) -> MangArgs:
    tok = reader.peek()
    if tok is None:
        raise Mistake(ErrorCode.MISSING_AREA)
    area_text = re.sub(r"^(?:mang|m)(?=\d)", "", tok.low)
    if not area_text.isdigit() or not AREA_RANGE[0] <= int(area_text) <= AREA_RANGE[1]:
        lo, hi = AREA_RANGE
        raise Mistake(ErrorCode.BAD_AREA, value=shown(tok.text), lo=lo, hi=hi)
    area = int(area_text)
    reader.take()
    reader.skip_punct()
    tok = reader.peek()
    m = _PEOPLE.fullmatch(tok.low) if tok is not None else None
    if tok is None or m is None:
        raise Mistake(ErrorCode.MISSING_PEOPLE, value=str(area))
    people = int(m[1])
    if not 1 <= people <= MAX_PEOPLE:
        raise Mistake(ErrorCode.BAD_PEOPLE, value=f"{area} {tok.text}")
    reader.take()
    unit = reader.peek()
    if not m[2] and unit is not None and unit.low == "nguoi":
        reader.take()
    return MangArgs(area=area, people=people, note=reader.rest_text())


def parse_tham(reader: Reader) -> ThamArgs:
    member = need_member(reader)
    return ThamArgs(member=member, note=reader.rest_text())


COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec(
        "DD", ("att", "diem danh"), DDArgs, parse_dd,
        dated=True, continuation="merge", reads_as_argument=_a_range,
    ),
    CommandSpec("MANG", ("area",), MangArgs, parse_mang, dated=True, continuation="repeat"),
    CommandSpec(
        "THAM", ("visit", "tham hoi"), ThamArgs, parse_tham, dated=True, continuation="repeat"
    ),
)  # fmt: skip
