"""The table of SMS commands: each command one row, typed end to end, in its family's module, and
no word naming two commands in any language. A piece forgotten when adding a command fails here
(or at import, for a clash), never silently."""

from __future__ import annotations

import dataclasses
import inspect
from typing import get_args, get_type_hints

import pytest

from menus import i18n
from menus.grammar import ARG_CLASSES, COMMANDS, KEYWORDS, Args, alias_index, spec_for
from menus.sms import health, ledger, meeting, members, queries, service
from menus.sms.reading import CommandSpec
from menus.text import fold

FAMILIES = (ledger, health, meeting, members, service, queries)
SHIPPED = ("vi", "vi_dau", "en")


def test_the_table_is_the_families_rows() -> None:
    rows = [spec for family in FAMILIES for spec in family.COMMANDS]
    assert sorted(rows, key=id) == sorted(COMMANDS, key=id)
    assert len(set(KEYWORDS)) == len(KEYWORDS) == len(COMMANDS)


def test_args_is_every_rows_argument_class() -> None:
    assert set(get_args(Args)) == set(ARG_CLASSES)
    assert len(set(ARG_CLASSES)) == len(ARG_CLASSES), "an argument class names one command"


@pytest.mark.parametrize("spec", COMMANDS, ids=lambda spec: spec.keyword)
def test_a_row_keeps_its_class_and_parser_together_and_typed(spec: CommandSpec) -> None:
    family = inspect.getmodule(spec.parse)
    assert family in FAMILIES and spec in family.COMMANDS
    assert spec.args.__module__ == family.__name__, "the argument class lives with its parser"
    assert dataclasses.is_dataclass(spec.args) and spec.args.__dataclass_params__.frozen
    assert get_type_hints(spec.parse)["return"] is spec.args, "the parser makes the row's class"


def test_every_word_names_one_command() -> None:
    index = alias_index(COMMANDS)
    words = [w for spec in COMMANDS for w in (spec.keyword.lower(), *spec.aliases)]
    assert len(index) == len(words)
    assert all(fold(w) == w for w in words)


def test_an_alias_that_clashes_fails_loudly() -> None:
    quy = spec_for("savings")
    assert quy is not None and quy.keyword == "QUY"
    gop = spec_for("GOP")
    assert gop is not None
    clash = dataclasses.replace(gop, aliases=(*gop.aliases, "savings"))
    rows = [clash if spec is gop else spec for spec in COMMANDS]
    with pytest.raises(ValueError, match="'savings' names both"):
        alias_index(rows)
    again = dataclasses.replace(gop, keyword="NEW")  # the same argument class for two commands
    with pytest.raises(ValueError, match="GopArgs is the argument class of two commands"):
        alias_index([*COMMANDS, dataclasses.replace(again, aliases=())])


@pytest.mark.parametrize("lang", SHIPPED)
def test_the_keyword_a_reply_shows_names_its_command(lang: str) -> None:
    """Replies name commands in the sender's language ("PAY" in English); typed back, each names
    the same command, and no two commands share one in any language."""
    shown = {}
    for spec in COMMANDS:
        word = i18n.t(lang, f"sms.kw.{spec.keyword.lower()}")
        assert spec_for(word) is spec, f"{lang}: {word!r} does not name {spec.keyword}"
        assert shown.setdefault(fold(word), spec.keyword) == spec.keyword, word
