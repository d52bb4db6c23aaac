"""Replies fit one 160-character GSM-7 SMS in unaccented Vietnamese (and English) wherever the
content allows; nothing ever takes more than two (checked on every SMS by Conversation.send)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from menus.encoding import count_segments
from menus.grammar import KEYWORDS
from models.admin import add_member, add_supervisor
from models.clubs import Club
from tests.conversations.support import give_loan
from tests.conversations.transcript import Conversation
from tests.factories import make_board_club

# One of every kind of reply: recorded, refused, not understood, answers, and the whole-SMS ones.
MESSAGES = [
    ("SEC", "DD 21/11 1-12 14 15 20-31"),
    ("SEC", "VAY 21/11 13 15tr 24T"),
    ("SEC", "TRA 12 1tr5"),
    ("SEC", "TRA 12 200k, 13 300k, 14 1tr"),
    ("SEC", "HA 12 185/115 M110 CN52,5 DH20"),
    ("SEC", "HA 12 150/95, 13 125/80, 14 130/85"),
    ("SEC", "CN 12 52,5"),
    ("SEC", "THAM 12 don nha, do HA 140/90, nau com, mua thuoc, hoi tham gia dinh"),
    ("SEC", "MANG 7 30 van nghe mung 20/11"),
    ("SEC", "GOP 0 2.000.000 UBND xa ho tro"),
    ("SEC", "TV 61 0168 234 5678 Rơ Châm H'Yéo Siu Nay Ksor 1952 nu"),
    ("SEC", "TV 12 0987654321 Nguyen Thi Hoa Lan Anh"),
    ("SEC", "TV 65 0912345679"),
    ("SEC", "TRA 12 99tr"),
    ("SEC", "TRA 15 200k"),
    ("SEC", "TRA 22/11 12 200k"),
    ("SEC", "TRA 19/09 12 200k"),
    ("SEC", "TRA 12"),
    ("SEC", "HA 12 300/95"),
    ("SEC", "HA 12 150/95 M250"),
    ("SEC", "DD 41-45"),
    ("SEC", "TRAA 12 200k"),
    ("SEC", "Xin chao cac ban toi la thu ky moi cua CLB"),
    ("SEC", "HUY ZZZZ"),
    ("SEC", "NN JRAI"),
    ("SEC", "NO 12"),
    ("SEC", "SK 12"),
    ("SEC", "QUY 12"),
    ("SEC", "LICH"),
    ("MEMBER", "TRA 12 200k"),
    ("MEMBER", "NO 13"),
    ("MEMBER", "nho chan dau, can nguoi den nha"),
    ("SHARED", "NO"),
    ("SHARED", "ha 150/95"),
    ("STRANGER", "TRA 12 200k"),
    ("SUPERVISOR", "TRA 12 200k"),
    ("TWOCLUBS", "TRA 5 200k"),
    ("TWOCLUBS", "CLB K99 BC"),
] + [("SEC", f"HD {kw}") for kw in ("", *KEYWORDS)]


@pytest.fixture
def busy_club(conv: Conversation, session: Session, club: Club) -> Conversation:
    give_loan(session, club, 12, 20_000_000)
    give_loan(session, club, 13, 20_000_000)
    give_loan(session, club, 14, 20_000_000)
    add_supervisor(session, name="Ksor Y Ben", phone="+84977000001", club_ids=[club.id])
    k13 = make_board_club(session, "K13", members=12)
    add_member(session, k13, number=13, full_name="Ro Cham Anh", phone="+84977000002")
    add_member(session, club, number=41, full_name="Ro Cham Anh", phone="+84977000002")
    return conv


def _fits_one(text: str) -> bool:
    encoding, segments, _ = count_segments(text)
    return encoding == "GSM-7" and segments == 1


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_kind_of_reply_fits_one_gsm7_sms(
    busy_club: Conversation, session: Session, club: Club, lang: str
) -> None:
    conv = busy_club
    for m in club.members:
        m.language = lang
    session.flush()
    phones = {"SUPERVISOR": "+84977000001", "TWOCLUBS": "+84977000002"}
    too_long = []
    for who, text in MESSAGES:
        for out in conv.send(phones.get(who, who), text.strip()):
            if not _fits_one(out.text):
                too_long.append(f"{who} > {text!r}\n    {out.to} < {out.text!r} ({len(out.text)})")
        conv.travel("+11m")  # "HD" for the loop guard is not the point here
    assert not too_long, "over one SMS:\n" + "\n".join(too_long)


def test_the_monthly_report_takes_two_sms_at_most(busy_club: Conversation) -> None:
    """BC carries a whole month; a busy one may need the second part (never a third)."""
    busy_club.play(
        r"""
        SEC > DD 1-30
        < OK #{*}: DD 21/11 30 co mat. Sai? HUY {*}
        SEC > TRA 12 1tr, 13 1tr, 14 1tr
        < OK #{*}: TRA 3 khoan 3.000.000d. Sai? HUY {*}
        SEC > HA 12 185/115, 13 150/95, 14 120/80
        < OK #{*}: HA 3 nguoi (1 CANH BAO). Sai? HUY {*}
        HEALTH < CANH BAO HA K12: TV12 {*}
        CHAIR < CANH BAO HA K12: TV12 {*}
        SEC > MANG 1 5\nMANG 2 40\nMANG 3 4\nMANG 7 30\nTHAM 12
        < OK 5/5 #{*}: MANG 1 5 nguoi; MANG 2 40 nguoi; MANG 3 4 nguoi; MANG 7 30 nguoi; THAM TV12
        SEC > BC
        < BC K12 01/11-21/11: {*}
        +84977000001 > BC
        < {*}K12{*}
        """
    )
