"""What a member or the board asks: NO (debt), SK (health), LICH (next meeting), QUY (fund),
BC (the month's report), and NHO (a request for a visit or help)."""

from __future__ import annotations

from dataclasses import dataclass

from menus.sms.reading import CLUB_CODE, CommandSpec, ErrorCode, Mistake, Reader, member_of


@dataclass(frozen=True)
class MemberQuery:
    """About one member; None means the sender's own member."""

    member: int | None = None


@dataclass(frozen=True)
class NoArgs(MemberQuery):
    """A member's loan: balance, next instalment, last repayment."""


@dataclass(frozen=True)
class SkArgs(MemberQuery):
    """A member's last health readings."""


@dataclass(frozen=True)
class QuyArgs(MemberQuery):
    """The club fund and a member's contributions."""


@dataclass(frozen=True)
class LichArgs:
    """The next meeting; takes nothing."""


@dataclass(frozen=True)
class BcArgs:
    """The month's report; club_code None means the sender's club (or the SMS's CLB prefix)."""

    club_code: str | None = None


@dataclass(frozen=True)
class NhoArgs:
    """A request for a visit or help, in the member's words."""

    note: str | None = None


def _member_query(reader: Reader) -> int | None:
    member = member_of(reader.peek())
    if member == 0:
        raise Mistake(ErrorCode.BAD_MEMBER, value="0")
    return member


def parse_no(reader: Reader) -> NoArgs:
    return NoArgs(member=_member_query(reader))


def parse_sk(reader: Reader) -> SkArgs:
    return SkArgs(member=_member_query(reader))


def parse_quy(reader: Reader) -> QuyArgs:
    return QuyArgs(member=_member_query(reader))


def parse_lich(reader: Reader) -> LichArgs:
    return LichArgs()


def parse_bc(reader: Reader) -> BcArgs:
    tok = reader.peek()
    if tok is None or not CLUB_CODE.fullmatch(tok.low):
        return BcArgs()
    return BcArgs(club_code=tok.low.upper())


def parse_nho(reader: Reader) -> NhoArgs:
    return NhoArgs(note=reader.rest_text())


COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec("BC", ("report", "bao cao"), BcArgs, parse_bc),
    CommandSpec("NO", ("debt",), NoArgs, parse_no),
    CommandSpec("SK", ("health", "suc khoe"), SkArgs, parse_sk),
    CommandSpec("LICH", ("next",), LichArgs, parse_lich),
    CommandSpec("NHO", ("request",), NhoArgs, parse_nho),
    CommandSpec("QUY", ("savings",), QuyArgs, parse_quy),
)
