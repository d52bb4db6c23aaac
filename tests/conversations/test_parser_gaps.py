"""Inputs the parser (menus/grammar.py) once got wrong, end to end. A new gap is added marked
xfail (strict); when the grammar is fixed, the mark goes and the case stays as a regression test."""

from __future__ import annotations

import pytest

from tests.conversations.transcript import Conversation


def ok(frag: str) -> str:
    return "OK #{*}: " + frag + ". Sai? HUY {*}"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("GOP 12 2 trieu 5", ok("GOP TV12 2.500.000d")),
        ("GOP 12 1 tr 5 quy thang", ok("GOP TV12 1.500.000d")),
        ("TRA 12 2 triệu 5", ok("TRA TV12 2.500.000d, con no 7.500.000d")),
        ("VAY 13 2 trieu 5 12T", ok("VAY TV13 2.500.000d 12 thang")),
    ],
)
def test_spoken_million_fraction(
    conv: Conversation, loan_12: None, typed: str, expected: str
) -> None:
    conv.check([("SEC", typed, expected)])


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("TRA TV 12 200k", ok("TRA TV12 200.000d, con no 9.800.000d")),
        ("THAM TV 12", ok("THAM TV12")),
        ("HA TV 12 150/95", ok("HA TV12 150/95 cao do 1")),
    ],
)
def test_member_written_tv_space_number(
    conv: Conversation, loan_12: None, typed: str, expected: str
) -> None:
    conv.check([("SEC", typed, expected)])


def test_numbered_lines(conv: Conversation, loan_12: None) -> None:
    conv.check(
        [
            (
                "SEC",
                "1. TRA 12 200k\n2. HA 12 150/95",
                "OK 2/2 #{*}: TRA TV12 200.000d, con no 9.800.000d; HA TV12 150/95 cao do 1",
            )
        ]
    )
