"""Replies that used to confuse, end to end: a number left over blamed on the amount, "hom nay"
refused as a date, "(1 members)" and "(so TV>"."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.clubs import Club
from models.ledger import Repayment
from models.records import HealthReading, Meeting
from runtime.channels.africastalking import DEFAULT_REJECTED_CHARS
from tests.conversations.support import member
from tests.conversations.transcript import Conversation


def ok(frag: str) -> str:
    return "OK #{*}: " + frag + ". Sai? HUY {*}"


def ok_en(frag: str) -> str:
    return "OK #{*}: " + frag + ". Wrong? UNDO {*}"


@pytest.fixture
def english(session: Session, club: Club) -> None:
    """The secretary reads English."""
    member(session, club, 1).language = "en"
    session.flush()


def test_a_number_left_after_a_repayment_is_named(conv: Conversation, loan_12: None) -> None:
    conv.check(
        [
            ("SEC", "TRA 12 450k 12", 'Loi: TRA 12 450k - thua "12", khong hieu. VD: TRA 12 450k'),
            ("SEC", "tra12 450k 15", 'Loi: TRA 12 450k - thua "15", khong hieu. VD: TRA 12 450k'),
            (
                "SEC",
                "VAY 13 5tr 12T 4",
                'Loi: VAY 13 5tr 12T - thua "4", khong hieu. VD: VAY 12 5tr 12T',
            ),
            ("SEC", "CN 12 52 12", 'Loi: CN 12 52 - thua "12", khong hieu. VD: CN 12 52,5'),
            # a comma begins a new pair: that member's amount is what is missing
            (
                "SEC",
                "TRA 12 450k, 15",
                "Loi: TRA 15 - thieu so tien. VD: TRA 12 450k (ca lenh TRA chua luu)",
            ),
        ]
    )
    assert (conv.count("repayments"), conv.count("loans")) == (0, 1)  # loan_12 alone


def test_a_number_left_over_in_english(conv: Conversation, loan_12: None, english: None) -> None:
    conv.check(
        [
            (
                "SEC",
                "PAY 12 450k 12",
                'Error: PAY 12 450k - extra "12" not understood. E.g. PAY 12 450k',
            ),
        ]
    )


def test_today_and_yesterday_in_words(
    conv: Conversation, session: Session, club: Club, loan_12: None
) -> None:
    conv.check(
        [
            ("SEC", "DD hom nay 1-12", ok("DD 21/11 12 co mat")),
            ("SEC", "DD hôm qua 1-12 14", ok("DD 20/11 13 co mat")),
            ("SEC", "dd HÔM NAY vang 3 7", ok("DD 21/11 {*}")),
            ("SEC", "TRA Hom Qua 12 200k", ok("TRA TV12 200.000d, con no 9.800.000d")),
            ("SEC", "HA hôm nay 12 150/95", ok("HA TV12 150/95 cao do 1")),
        ]
    )
    assert set(session.scalars(select(Meeting.held_on))) == {date(2026, 11, 21), date(2026, 11, 20)}
    assert session.scalars(select(Repayment.paid_on)).one() == date(2026, 11, 20)
    assert session.scalars(select(HealthReading.taken_on)).one() == date(2026, 11, 21)


def test_english_counts_agree(conv: Conversation, english: None) -> None:
    conv.check(
        [
            ("SEC", "VAY 13 5tr 1T", ok_en("LOAN #13 5.000.000d 1 month")),
            ("SEC", "VAY 14 5tr 12T", ok_en("LOAN #14 5.000.000d 12 months")),
            ("SEC", "MANG 7 1", ok_en("AREA 7 1 person")),
            ("SEC", "MANG 6 30", ok_en("AREA 6 30 people")),
            ("SEC", "HA 12 185/115, 13 125/80", ok_en("BP 2 people (1 ALERT)")),
        ]
    )


def test_usage_through_a_channel_that_refuses_angle_brackets(conv: Conversation) -> None:
    conv.channel.rejected_chars = DEFAULT_REJECTED_CHARS
    conv.check(
        [
            (
                "SEC",
                "HD TRA",
                "TRA (ngay) (so TV) (so tien), nhieu nguoi cach nhau dau phay. "
                "VD: TRA 12 450k, 15 1tr5. Tien: 200k, 200.000, 1tr5, 2 trieu",
            ),
            ("SEC", "HD HA", "HA (ngay) (so TV) (tren)/(duoi) (M mach) (CN can) {*}"),
        ]
    )
