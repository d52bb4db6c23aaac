"""Service commands about earlier messages and the language itself: HUY (cancel a report by its
reference), HD (help), XONG (close the red alert or help request an alert SMS named by its
reference)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from menus.sms.reading import CommandSpec, Reader, member_of, need_ref


@dataclass(frozen=True)
class HuyArgs:
    """Cancel an earlier report by its reference (upper case)."""

    ref: str


@dataclass(frozen=True)
class HdArgs:
    """Help, on one command (its canonical keyword) or (topic None) the list of commands."""

    topic: str | None = None


@dataclass(frozen=True)
class XongArgs:
    """Close the red alert or help request whose alert SMS carried this reference. note_member:
    the card number the note starts with ("XONG K7QA 12 da den"), which picks one member when
    the reference alerted about several; the note is kept whole."""

    ref: str
    note_member: int | None = None
    note: str | None = None


def parse_huy(reader: Reader) -> HuyArgs:
    return HuyArgs(ref=need_ref(reader))


def parse_hd(reader: Reader) -> HdArgs:
    # The table of every command is built from this module too, so it is looked up at run time.
    from menus.grammar import Keyword, spec_named, suggest_keyword

    tok = reader.peek()
    if tok is None:
        return HdArgs()
    word = re.match(r"[a-z]*", tok.low)
    letters = word[0] if word else ""
    spec = spec_named(letters)
    if spec is not None:
        return HdArgs(topic=Keyword(spec.keyword))
    near = suggest_keyword(letters) if letters else None
    return HdArgs(topic=near[1] if near else None)


def parse_xong(reader: Reader) -> XongArgs:
    ref = need_ref(reader)
    reader.skip_punct()
    return XongArgs(ref=ref, note_member=member_of(reader.peek()) or None, note=reader.rest_text())


COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec("HUY", ("undo",), HuyArgs, parse_huy),
    CommandSpec("HD", ("help", "?", "huong dan"), HdArgs, parse_hd),
    CommandSpec("XONG", ("done",), XongArgs, parse_xong),
)
