"""What tired secretaries type: accents or not, NFD, glued keywords, ":" and ".", typos, every
money and date form, several commands in one SMS. Each table row is one real SMS end to end."""

from __future__ import annotations

import unicodedata
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from menus.money import format_vnd
from models.clubs import Club
from models.ledger import Repayment
from models.records import Activity, FundContribution, HealthReading
from tests.conversations.support import give_loan, member
from tests.conversations.transcript import Conversation


def ok(frag: str) -> str:
    """The reply to one recorded command."""
    return "OK #{*}: " + frag + ". Sai? HUY {*}"


MONEY = [
    ("200k", 200_000),
    ("200K", 200_000),
    ("200n", 200_000),
    ("200 nghin", 200_000),
    ("200 nghìn", 200_000),
    ("200 ngàn", 200_000),
    ("500 ngan dong", 500_000),
    ("2tr", 2_000_000),
    ("2TR", 2_000_000),
    ("2 trieu", 2_000_000),
    ("2 triệu", 2_000_000),
    ("2 cu", 2_000_000),
    ("2 củ", 2_000_000),
    ("1tr5", 1_500_000),
    ("4tr8", 4_800_000),
    ("5tr873", 5_873_000),
    ("2tr500", 2_500_000),
    ("1,5tr", 1_500_000),
    ("1.5tr", 1_500_000),
    ("0,5tr", 500_000),
    ("1 trieu ruoi", 1_500_000),
    ("1 triệu rưỡi", 1_500_000),
    ("1tr200k", 1_200_000),
    ("1tr 200k", 1_200_000),
    ("1 trieu 200 nghin", 1_200_000),
    ("200.000đ", 200_000),
    ("200.000d", 200_000),
    ("200,000", 200_000),
    ("200 000 VND", 200_000),
    ("200.000 VNĐ", 200_000),
    ("200000", 200_000),
    ("200000 dong", 200_000),
    ("200", 200_000),  # a bare number under 1,000 is thousands
    ("2.000.000", 2_000_000),
    ("1 250 000 dong", 1_250_000),
    ("1.500k", 1_500_000),
    ("15tr", 15_000_000),
    ("450K.", 450_000),
]


def test_every_money_form(conv: Conversation, session: Session, club: Club) -> None:
    conv.check(
        ("SEC", f"GOP 12 {typed}", ok(f"GOP TV12 {format_vnd(amount)}")) for typed, amount in MONEY
    )
    stored = session.scalars(select(FundContribution).order_by(FundContribution.id)).all()
    assert [(g.amount_vnd, g.member_id) for g in stored] == [
        (amount, member(session, club, 12).id) for _, amount in MONEY
    ]


def test_money_mistakes_store_nothing(conv: Conversation) -> None:
    conv.check(
        [
            ("SEC", "GOP 12 abc", "Loi: GOP 12 abc - so tien khong dung. VD: GOP 0 2tr UBND xa"),
            ("SEC", "GOP 12", "Loi: GOP 12 - thieu so tien. VD: GOP 0 2tr UBND xa"),
            ("SEC", "TRA 12 0", "Loi: TRA 12 0 - so tien khong dung. VD: TRA 12 450k"),
            ("SEC", "TRA 12 -200k", "Loi: TRA 12 -200k - so tien khong dung. VD: TRA 12 450k"),
            ("SEC", "TRA 12 99999tr", "Loi: TRA 12 99999tr - so tien khong dung. VD: TRA 12 450k"),
            ("SEC", "TRA 200k", "Loi: TRA 200k - thieu so thanh vien. VD: TRA 12 450k"),
            ("SEC", "VAY 12 5", "Loi: VAY 12 5 - so tien khong dung. VD: VAY 12 5tr 12T"),
        ]
    )
    assert conv.count("fund_contributions") + conv.count("repayments") == 0
    assert conv.count("reports") == conv.count("loans") == 0


# Dates, today being Saturday 21/11/2026 in Vietnam; the club's window is 62 days.
DATES = [
    ("20/11", date(2026, 11, 20)),
    ("20-11", date(2026, 11, 20)),
    ("20.11", date(2026, 11, 20)),
    ("20/11/26", date(2026, 11, 20)),
    ("20/11/2026", date(2026, 11, 20)),
    ("ngay 19/11", date(2026, 11, 19)),
    ("1/11", date(2026, 11, 1)),
    ("02/11", date(2026, 11, 2)),
    ("21/11", date(2026, 11, 21)),
    ("21/9", date(2026, 9, 21)),  # 61 days ago
    ("20/09", date(2026, 9, 20)),  # 62 days ago: the last day the window takes
]


def test_every_date_form(conv: Conversation, session: Session) -> None:
    conv.check(
        ("SEC", f"MANG {typed} 2 {n + 10}", ok(f"MANG 2 {n + 10} nguoi"))
        for n, (typed, _) in enumerate(DATES)
    )
    held = session.scalars(select(Activity.held_on).order_by(Activity.id)).all()
    assert held == [d for _, d in DATES]


def test_dates_outside_the_window_are_refused_with_the_reason(
    conv: Conversation, session: Session, club: Club
) -> None:
    conv.check(
        [
            ("SEC", "MANG 22/11 2 10", "Loi: MANG - ngay 22/11/2026 chua toi"),
            ("SEC", "MANG 21/12 2 10", "Loi: MANG - ngay 21/12/2026 chua toi"),
            ("SEC", "MANG 19/09 2 10", "Loi: MANG - ngay 19/09/2026 qua 62 ngay, khong nhan"),
            ("SEC", "MANG 20/11/2025 2 10", "Loi: MANG - ngay 20/11/2025 qua 62 ngay, khong nhan"),
            ("SEC", "TRA 22/11 12 200k", "Loi: TRA - ngay 22/11/2026 chua toi"),
            ("SEC", "DD 1/1/2027 1-5", "Loi: DD - ngay 01/01/2027 chua toi"),
            (
                "SEC",
                "HA 31/02 12 150/95",
                "Loi: HA 31/02 - ngay khong dung. Ngay viet nhu 21/11",
            ),
        ]
    )
    club.backdate_days = 7
    session.flush()
    conv.check(
        [
            ("SEC", "MANG 14/11 2 10", ok("MANG 2 10 nguoi")),
            ("SEC", "MANG 13/11 2 10", "Loi: MANG - ngay 13/11/2026 qua 7 ngay, khong nhan"),
        ]
    )
    assert conv.count("activities") == 1


def test_a_date_without_a_year_across_new_year(conv: Conversation, session: Session) -> None:
    conv.travel("2027-01-05 08:00")
    conv.check([("SEC", "MANG 28/12 4 6 tham hoi", ok("MANG 4 6 nguoi"))])
    assert session.scalars(select(Activity.held_on)).one() == date(2026, 12, 28)


KEYWORD_FORMS = [
    "TRA 12 200k",
    "tra 12 200k",
    "Tra 12 200k",
    "Trả 12 200k",
    "trả 12 200k",
    "TRẢ 12 200K",
    unicodedata.normalize("NFD", "Trả 12 200k"),  # some phones send decomposed accents
    unicodedata.normalize("NFD", "TRẢ NỢ 12 200k"),
    "tra12 200k",
    "TRA12 200k",
    "trả12 200k",
    "TRA: 12 200k",
    "TRA. 12 200k",
    "Tra:12 200k",
    "TRA:12 200k",
    "TRA 12: 200k",
    "TRA #12 200k",
    "TRA tv12 200k",
    "Trả nợ 12 200k",
    "tra no 12 200k",
    "PAY 12 200k",
    "pay: 12 200k",
    "  TRA   12    200k  ",
    "TRA 12 200k.",
    "\uff34\uff32\uff21 12 200k",  # full-width letters from a Chinese-made keyboard
]


def test_keyword_forms(conv: Conversation, session: Session, club: Club) -> None:
    give_loan(session, club, 12, 50_000_000)
    rows = []
    for n, text in enumerate(KEYWORD_FORMS, start=1):
        balance = format_vnd(50_000_000 - n * 200_000)
        rows.append(("SEC", text, ok(f"TRA TV12 200.000d, con no {balance}")))
    conv.check(rows)
    assert conv.count("repayments") == len(KEYWORD_FORMS)


DD_FORMS = [
    "DD 1-5",
    "dd 1 - 5",
    "DD: 1-5",
    "DD. 1-5",
    "DD21/11 1-5",
    "DD 21/11: 1-5",
    "Điểm danh 1-5",
    unicodedata.normalize("NFD", "Điểm danh 1 2 3 4 5"),
    "diem danh 1-5",
    "ATT 1-5",
    "DD 1,2,3,4,5",
    "DD 1.2.3.4.5",
    "DD #1-#5",
    "DD 1 den 5",
    "DD 1->5",
    "DD 1-3 + 4 va 5",
    "DD co mat 1-5",
    "đđ 1-5",
    "DĐ 1-5",
]


def test_attendance_forms_each_replace_the_days_list(conv: Conversation, session: Session) -> None:
    conv.check(("SEC", text, ok("DD 21/11 5 co mat")) for text in DD_FORMS)
    assert conv.count("meetings") == 1 and conv.count("attendance") == 5
    # every DD after the first replaced the list, and the audit log says so
    assert conv.count("audit_log") == len(DD_FORMS) - 1


HA_FORMS: list[tuple[str, tuple[int | None, Decimal | None, Decimal | None]]] = [
    ("HA 12 150/95", (None, None, None)),
    ("ha 12 150-95", (None, None, None)),
    ("HA 12 150 / 95", (None, None, None)),
    ("HA 12 150 95", (None, None, None)),
    ("HA12 150/95", (None, None, None)),
    ("HA: 12 150/95", (None, None, None)),
    ("HA. 12 150/95", (None, None, None)),
    ("HA #12 150/95", (None, None, None)),
    ("huyết áp 12 150/95", (None, None, None)),
    ("huyet ap 12 150/95", (None, None, None)),
    ("BP 12 150/95", (None, None, None)),
    ("HA 12 150/95 M80", (80, None, None)),
    ("HA 12 150/95 m 80", (80, None, None)),
    ("HA 12 150/95 mach 80", (80, None, None)),
    ("HA 12 150/95 mạch 80", (80, None, None)),
    ("HA 12 150/95 80", (80, None, None)),
    ("HA 12 150/95/80", (80, None, None)),
    ("HA 12 150 95 80", (80, None, None)),
    ("HA 12 150/95 CN52", (None, Decimal("52"), None)),
    ("HA 12 150/95 52kg", (None, Decimal("52"), None)),
    ("HA 12 150/95 CN 52,5", (None, Decimal("52.5"), None)),
    ("HA 12 150/95 cân 52", (None, Decimal("52"), None)),
    ("HA 12 150/95 DH7", (None, None, Decimal("7"))),
    ("HA 12 150/95 DH 7,2", (None, None, Decimal("7.2"))),
    ("HA 12 150/95 DH120", (None, None, Decimal("6.7"))),  # mg/dL, divided by 18
    ("HA 12 150/95 DH 120mg", (None, None, Decimal("6.7"))),
    ("HA 12 150/95 M80 CN52 DH7", (80, Decimal("52"), Decimal("7"))),
]


def test_blood_pressure_forms(conv: Conversation, session: Session, club: Club) -> None:
    conv.check(("SEC", text, ok("HA TV12 150/95 cao do 1")) for text, _ in HA_FORMS)
    rows = session.scalars(select(HealthReading).order_by(HealthReading.id)).all()
    assert [(r.systolic, r.diastolic, r.grade, r.alert) for r in rows] == [
        (150, 95, "grade_1", "none")
    ] * len(HA_FORMS)
    assert [(r.pulse, r.weight_kg, r.glucose_mmol) for r in rows] == [x for _, x in HA_FORMS]
    assert {r.member_id for r in rows} == {member(session, club, 12).id}


def test_typos_get_the_nearest_keyword_and_store_nothing(conv: Conversation) -> None:
    conv.check(
        [
            ("SEC", "TRAA 12 200k", 'Khong hieu "TRAA". Co phai TRA? Soan HD de xem huong dan'),
            ("SEC", "TAR 12 200k", 'Khong hieu "TAR". Co phai TRA? Soan HD de xem huong dan'),
            ("SEC", "TRS 12 200k", 'Khong hieu "TRS". Co phai TRA? Soan HD de xem huong dan'),
            ("SEC", "TRANO 12 200k", 'Khong hieu "TRANO". Co phai TRA? Soan HD de xem huong dan'),
            ("SEC", "HAA 12 150/95", 'Khong hieu "HAA". Co phai HA? Soan HD de xem huong dan'),
            ("SEC", "VAYY 12 5tr", 'Khong hieu "VAYY". Co phai VAY? Soan HD de xem huong dan'),
            ("SEC", "THAMM 12", 'Khong hieu "THAMM". Co phai THAM? Soan HD de xem huong dan'),
            ("SEC", "MNAG 7 30", 'Khong hieu "MNAG". Co phai MANG? Soan HD de xem huong dan'),
            ("SEC", "GPO 0 2tr", 'Khong hieu "GPO". Co phai GOP? Soan HD de xem huong dan'),
            ("SEC", "HYU K7QA", 'Khong hieu "HYU". Co phai HUY? Soan HD de xem huong dan'),
            ("SEC", "XYZ 12", 'Khong hieu "XYZ". Soan HD de xem huong dan'),
            ("SEC", "alo alo", 'Khong hieu "alo". Soan HD de xem huong dan'),
        ]
    )
    assert conv.count("reports") == 0


def test_several_commands_in_one_sms_with_any_separator(
    conv: Conversation, session: Session, club: Club
) -> None:
    give_loan(session, club, 12, 50_000_000)
    give_loan(session, club, 15, 50_000_000)

    def two(second: str) -> str:
        return "OK 2/2 #{*}: TRA TV12 200.000d, con no {*}; " + second

    conv.check(
        [
            ("SEC", "TRA 12 200k; HA 12 150/95", two("HA TV12 150/95 cao do 1")),
            ("SEC", "TRA 12 200k\nHA 13 125/80", two("HA TV13 125/80 binh thuong")),
            ("SEC", "TRA 12 200k\r\nTHAM 12", two("THAM TV12")),
            ("SEC", "- TRA 12 200k\n- CN 12 52", two("CN TV12 52kg")),
            ("SEC", "TRA 12 200k;15 300k", "OK 2/2 #{*}: TRA TV12 {*}; TRA TV15 {*}"),
            ("SEC", "TRA 12 200k,15 300k", ok("TRA 2 khoan 500.000d")),
            ("SEC", "TRA 12 200 15 300", ok("TRA 2 khoan 500.000d")),
            ("SEC", "TRA 12 200k - 15 300k", ok("TRA 2 khoan 500.000d")),
            ("SEC", "TRA\n12 200k\n15 300k", "OK 2/2 #{*}: TRA TV12 {*}; TRA TV15 {*}"),
            ("SEC", "TRA 20/11\n12 100k\n15 100k", "OK 2/2 #{*}: TRA TV12 {*}; TRA TV15 {*}"),
            ("SEC", "HA 12 150/95\n13 125/80", "OK 2/2 #{*}: HA TV12 {*}; HA TV13 {*}"),
            ("SEC", "HA 12 150/95 13 125/80", ok("HA 2 nguoi")),
            ("SEC", "DD 1-5\n6-10", ok("DD 21/11 10 co mat")),
            ("SEC", "TRA 12 200k\nHD TRA", "OK 2/2 #{*}: TRA TV12 {*}\nTRA [ngay] {*}"),
        ]
    )
    paid = session.scalars(select(Repayment.paid_on).order_by(Repayment.id)).all()
    assert len(paid) == 17 and paid.count(date(2026, 11, 20)) == 2


def test_courtesy_gets_no_reply(conv: Conversation) -> None:
    conv.play(
        """
        SEC > cam on
        < -
        SEC > Cảm ơn!
        < -
        SEC > ok
        < -
        SEC > thanks
        < -
        = reports 0
        = outbound_messages 0
        """
    )
    conv.check([("SEC", "  \n ", "Tin nhan trong. Soan HD de xem huong dan")])


def test_keyword_glued_by_colon_or_dot_to_a_word(conv: Conversation, session: Session) -> None:
    conv.play(
        """
        SEC > THAM 12
        < OK #{A}: THAM TV12. Sai? HUY {A}
        SEC > HUY:{A}
        < OK: da huy #{A} (THAM TV12).
        SEC > THAM 13
        < OK #{B}: THAM TV13. Sai? HUY {B}
        SEC > Huy.{B}
        < OK: da huy #{B} (THAM TV13).
        """
    )
    conv.check(
        [
            ("SEC", "HD:TRA", "TRA [ngay] <so TV> <so tien>, {*}"),
            ("SEC", "HD.HA", "HA [ngay] <so TV> <tren>/<duoi> {*}"),
            ("SEC", "DD.VANG 3", ok("DD 21/11 39 co mat")),
            ("SEC", "DD:vang 3 7", ok("DD 21/11 38 co mat")),
            ("SEC", "BC:K12", "BC K12 {*}"),
            ("MEMBER", "NHO:om qua", "Da bao tinh nguyen vien {*}"),
            ("MEMBER", "NN.EN", "OK: messages will now be in English."),
            ("MEMBER", "NN:VI", "OK: tu nay tin nhan bang tieng Viet khong dau."),
        ]
    )
