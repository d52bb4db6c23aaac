"""Who is writing: strangers, short codes, robots in a loop, phones in two clubs, supervisors,
and the language each phone asked for."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.admin import add_member, add_supervisor
from models.clubs import Club
from models.enums import InboundStatus, Role
from models.messages import InboundMessage
from tests.conversations.support import give_loan, member
from tests.conversations.transcript import Conversation
from tests.factories import SECRETARY_PHONE, make_board_club

UNREGISTERED = (
    "So nay chua dang ky voi CLB nao. Nho thu ky CLB soan TV <so the> <so dien thoai> <ho ten>"
    " de dang ky."
)
HD_INDEX = (
    "Lenh: DD diem danh, VAY, TRA tra no, HA huyet ap, CN can, THAM, MANG, GOP, TV thanh vien,"
    " HUY, BC, NO, SK, LICH, NHO, QUY, NN. Soan HD TRA de xem cach viet"
)
HD_TRA = (
    "TRA [ngay] <so TV> <so tien>, nhieu nguoi cach nhau dau phay. VD: TRA 12 450k, 15 1tr5."
    " Tien: 200k, 200.000, 1tr5, 2 trieu"
)


def inbound(session: Session, sender: str) -> list[InboundMessage]:
    return list(
        session.scalars(
            select(InboundMessage)
            .where(InboundMessage.sender == sender)
            .order_by(InboundMessage.id)
        )
    )


def test_a_stranger_gets_one_polite_reply_a_day_and_nothing_is_recorded(
    conv: Conversation, session: Session
) -> None:
    conv.play(
        f"""
        STRANGER > TRA 12 200k
        < {UNREGISTERED}
        STRANGER > HA 12 150/95
        < -
        STRANGER > HD
        < -
        @ +1d
        STRANGER > alo, cho hoi
        < {UNREGISTERED}
        = reports 0
        = repayments 0
        = health_readings 0
        """
    )
    kept = inbound(session, conv.phone("STRANGER"))
    assert [(m.text, m.status, m.note) for m in kept] == [
        ("TRA 12 200k", "processed", "unregistered"),
        ("HA 12 150/95", "processed", "unregistered"),
        ("HD", "processed", "unregistered"),
        ("alo, cho hoi", "processed", "unregistered"),
    ]


@pytest.mark.parametrize(
    "sender", ["8085", "195", "9029", "Viettel", "VNPT-KM", "MobiFone", "+84 12"]
)
def test_short_codes_and_alphanumeric_senders_get_no_reply(
    conv: Conversation, session: Session, sender: str
) -> None:
    assert conv.send(sender, "Chuc mung! Ban nhan duoc 50k. Soan TRA de nhan") == []
    assert conv.send(sender, "HD") == []
    assert [m.status for m in inbound(session, sender)] == [InboundStatus.IGNORED] * 2
    assert conv.count("outbound_messages") == 0


def test_the_same_text_three_times_in_ten_minutes_gets_no_third_reply(
    conv: Conversation, session: Session
) -> None:
    conv.play(
        f"""
        SEC > HD
        < {HD_INDEX}
        SEC > HD
        < {HD_INDEX}
        SEC > HD
        < -
        SEC > HD TRA
        < {HD_TRA}
        @ +15m
        SEC > HD
        < {HD_INDEX}
        # an auto-responder: the stranger's robot answers our polite reply
        STRANGER > Tin nhan tu dong: thue bao dang ban
        < {UNREGISTERED}
        STRANGER > Tin nhan tu dong: thue bao dang ban
        < -
        STRANGER > Tin nhan tu dong: thue bao dang ban
        < -
        """
    )
    assert [m.status for m in inbound(session, conv.phone("SEC"))] == [
        "processed",
        "processed",
        "ignored",
        "processed",
        "processed",
    ]
    assert inbound(session, conv.phone("STRANGER"))[-1].status == InboundStatus.IGNORED


def test_a_repeated_report_is_recorded_twice_then_taken_for_a_loop(conv: Conversation) -> None:
    conv.play(
        """
        SEC > GOP 12 100k
        < OK #{A}: GOP TV12 100.000d. Sai? HUY {A}
        SEC > GOP 12 100k
        < OK #{B}: GOP TV12 100.000d. Sai? HUY {B}
        SEC > GOP 12 100k
        < -
        = fund_contributions 2
        """
    )


@pytest.fixture
def two_clubs(session: Session, club: Club) -> Club:
    """The secretary of K12 is also the secretary of K13 (member 13 there)."""
    k13 = make_board_club(session, "K13", members=12)
    add_member(
        session, k13, number=13, full_name="Nguyen Van Thanh", phone=SECRETARY_PHONE,
        roles=[Role.SECRETARY],
    )  # fmt: skip
    give_loan(session, k13, 5, 1_000_000)
    give_loan(session, club, 5, 1_000_000)
    return k13


def test_a_phone_in_two_clubs_names_the_club(
    conv: Conversation, session: Session, club: Club, two_clubs: Club
) -> None:
    conv.play(
        r"""
        SEC > TRA 5 200k
        < So nay thuoc nhieu CLB: K12, K13. Soan CLB <ma> truoc lenh, VD: CLB K12 BC
        = repayments 0
        SEC > CLB K13 TRA 5 200k
        < OK #{A}: TRA TV5 200.000d, con no 800.000d. Sai? HUY {A}
        SEC > clb k12 tra 5 300k
        < OK #{B}: TRA TV5 300.000d, con no 700.000d. Sai? HUY {B}
        SEC > CLB K12\nTRA 5 100k\nHA 12 150/95
        < OK 2/2 #{C}: TRA TV5 100.000d, con no 600.000d; HA TV12 150/95 cao do 1
        SEC > CLB K99 BC
        < Khong co CLB K99 cho so nay. CLB cua ban: K12, K13
        SEC > TRA 5 100k\nCLB K12
        < So nay thuoc nhieu CLB: K12, K13. Soan CLB <ma> truoc lenh, VD: CLB K12 BC
        # help and language need no club
        SEC > HD TRA
        < TRA [ngay] {*}
        SEC > HUY {A}
        < So nay thuoc nhieu CLB: K12, K13. Soan CLB <ma> truoc lenh, VD: CLB K12 BC
        SEC > CLB K12 HUY {A}
        < Loi: HUY - khong co ma {A}
        SEC > CLB K13 HUY {A}
        < OK: da huy #{A} (TRA TV5 200.000d, con no 800.000d).
        = repayments 3
        """
    )
    k13_pay = session.scalars(
        select(InboundMessage.club_id).where(InboundMessage.text == "CLB K13 TRA 5 200k")
    ).one()
    assert k13_pay == two_clubs.id


def test_a_one_club_phone_naming_another_club_is_refused(
    conv: Conversation, session: Session, two_clubs: Club
) -> None:
    conv.play(
        """
        CHAIR > CLB K13 TRA 5 200k
        < Khong co CLB K13 cho so nay. CLB cua ban: K12
        CHAIR > CLB K12 TRA 5 200k
        < OK #{A}: TRA TV5 200.000d, con no 800.000d. Sai? HUY {A}
        CHAIR > BC K13
        < Loi: BC - ban khong co quyen gui lenh nay
        K13CHAIR > TRA 5 100k
        < OK #{B}: TRA TV5 100.000d, con no 900.000d. Sai? HUY {B}
        """
    )


def test_supervisors_ask_for_reports_only(
    conv: Conversation, session: Session, club: Club, two_clubs: Club
) -> None:
    add_supervisor(session, name="Ksor Y Ben", phone="+84977000001", club_ids=[club.id])
    conv.play(
        """
        +84977000001 > BC
        < {*}K12{*}
        +84977000001 > CLB K12 BC
        < BC K12 {*}
        +84977000001 > BC K12
        < BC K12 {*}
        +84977000001 > CLB K13 BC
        < Khong co CLB K13 cho so nay. CLB cua ban: -
        +84977000001 > BC K13
        < Loi: BC - ban khong co quyen gui lenh nay
        +84977000001 > TRA 5 200k
        < Loi: TRA - giam sat vien chi dung lenh BC
        +84977000001 > CLB K12 HA 12 150/95
        < Loi: HA - giam sat vien chi dung lenh BC
        +84977000001 > HD BC
        < BC [ma CLB]: {*}
        = repayments 0
        = health_readings 0
        """
    )


def test_languages_stick_to_the_phone(conv: Conversation, session: Session, club: Club) -> None:
    conv.channel.accents_allowed = True  # a channel that carries Vietnamese letters
    conv.play(
        """
        MEMBER > NN EN
        < OK: messages will now be in English.
        MEMBER > ha 150/95
        < OK #{A}: BP #12 150/95 high grade 1. Wrong? UNDO {A}
        MEMBER > TRA 12 200k
        < Error: PAY - you may not send this command
        MEMBER > HUY {A}
        < OK: cancelled #{A} (BP #12 150/95 high grade 1).
        MEMBER > HA 300/95
        < Error: BP 300/95 - {*}
        MEMBER > NN JRAI
        < Error: LANG - no language jrai. Available: en, vi, vi_dau
        MEMBER > NN VI DAU
        < OK: từ nay tin nhắn bằng tiếng Việt có dấu.
        MEMBER > ha 150/95
        < OK #{B}: HA TV12 150/95 cao độ 1. Sai? HUY {B}
        MEMBER > GOP 12 100k
        < Lỗi: GOP 12 - bạn không có quyền gửi lệnh này
        MEMBER > NN VI
        < OK: tu nay tin nhan bang tieng Viet khong dau.
        MEMBER > ha 145/95
        < OK #{C}: HA TV12 145/95 cao do 1. Sai? HUY {C}
        # the board's replies stay in the club's language
        SEC > ha 12 150/95
        < OK #{D}: HA TV12 150/95 cao do 1. Sai? HUY {D}
        """
    )
    assert member(session, club, 12).language == "vi"


def test_a_shared_phone_sets_the_language_of_everyone_on_it(
    conv: Conversation, session: Session, club: Club
) -> None:
    conv.play(
        """
        SHARED > lang en
        < OK: messages will now be in English.
        SHARED > NO
        < This phone is shared: 20 Lan, 21 Lan. Send DEBT <card no>, e.g. DEBT 20
        """
    )
    assert {member(session, club, n).language for n in (20, 21)} == {"en"}


def test_help(conv: Conversation) -> None:
    conv.check(
        [
            ("SEC", "HD", HD_INDEX),
            ("SEC", "HD TRA", HD_TRA),
            ("SEC", "hd tra", HD_TRA),
            ("SEC", "HELP PAY", HD_TRA),
            ("SEC", "huong dan", HD_INDEX),
            ("SEC", "?", HD_INDEX),
            ("SEC", "HD VAYY", "VAY [ngay] <so TV> <so tien> [so thang]: {*}"),
            ("SEC", "HD ZZZ", HD_INDEX),
            ("MEMBER", "HD HA", "HA [ngay] <so TV> <tren>/<duoi> {*}"),
            ("MEMBER", "HD NHO", "NHO [noi dung]: {*}"),
            ("HEALTH", "HD DD", "DD [ngay] <so TV co mat>, {*}"),
            ("HOMECARE", "HD THAM", "THAM [ngay] <so TV> [ghi chu]: {*}"),
            ("SHARED", "HD NO", "NO [so TV]: {*}"),
        ]
    )
    assert conv.count("reports") == 0
