"""Each recording command end to end, with the rows it leaves and the edge cases around it."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.clubs import Club, Member, MemberPhoneHistory
from models.enums import Role
from models.ledger import Loan, Repayment
from models.records import (
    Activity,
    AuditEntry,
    FundContribution,
    HealthReading,
    HomeVisit,
    Meeting,
)
from tests.conversations.support import give_loan, member
from tests.conversations.transcript import Conversation

RED = "CANH BAO HA K12: TV{n} Member {n} Thi Lan {bp} ngay {d}. Can den tham, dua di kham ngay. "


def test_attendance_lists_ranges_absent_and_replacement(
    conv: Conversation, session: Session, club: Club
) -> None:
    conv.play(
        """
        SEC > DD 1-12 14 20-25
        < OK #{A}: DD 21/11 19 co mat. Sai? HUY {A}
        = attendance 19
        # numbers that are not members: nothing recorded, the reply names them
        SEC > DD 21/11 30-45
        < Loi: DD - khong co TV 41 42 43 44 45
        = attendance 19
        # a later DD for the same date replaces the earlier list
        CHAIR > DD vang 3 7 9
        < OK #{B}: DD 21/11 37 co mat. Sai? HUY {B}
        = attendance 37
        = meetings 1
        # VANG with nobody: everyone came
        SEC > DD VANG
        < OK #{C}: DD 21/11 40 co mat. Sai? HUY {C}
        = attendance 40
        # another meeting day is another meeting
        SEC > DD 21/10 1-5
        < OK #{D}: DD 21/10 5 co mat. Sai? HUY {D}
        = meetings 2
        = attendance 45
        SEC > DD abc
        < Loi: DD abc - danh sach thanh vien khong dung. VD: DD 21/11 1-12 14 20-25
        SEC > DD
        < Loi: DD - thieu so thanh vien. VD: DD 21/11 1-12 14 20-25
        SEC > DD 1-600
        < Loi: DD 1-600 - danh sach thanh vien khong dung. VD: DD 21/11 1-12 14 20-25
        """
    )
    replaced = session.scalars(select(AuditEntry).where(AuditEntry.action == "replace")).all()
    assert [len(json.loads(a.detail)["present"]) for a in replaced] == [19, 37]
    october = session.scalars(select(Meeting).where(Meeting.held_on == date(2026, 10, 21))).one()
    assert sorted(a.member_id for a in october.attendance) == sorted(
        member(session, club, n).id for n in range(1, 6)
    )


def test_members_who_left_are_not_counted(conv: Conversation, session: Session, club: Club) -> None:
    gone = member(session, club, 40)
    gone.status = "left"
    session.flush()
    conv.play(
        """
        SEC > DD VANG 3
        < OK #{A}: DD 21/11 38 co mat. Sai? HUY {A}
        SEC > DD 38-40
        < Loi: DD - khong co TV 40
        SEC > THAM 40
        < Loi: THAM 40 - TV 40 da roi CLB
        """
    )


def test_loans_with_every_months_form(conv: Conversation, session: Session, club: Club) -> None:
    club.loan_default_term_months = 10
    session.flush()
    conv.play(
        """
        SEC > VAY 21/11 12 5tr 12T
        < OK #{A}: VAY TV12 5.000.000d 12 thang. Sai? HUY {A}
        SEC > VAY 13 5tr
        < OK #{B}: VAY TV13 5.000.000d 10 thang. Sai? HUY {B}
        SEC > vay 14 3tr 6
        < OK #{C}: VAY TV14 3.000.000d 6 thang. Sai? HUY {C}
        SEC > VAY 15 3tr 6th
        < OK #{D}: VAY TV15 3.000.000d 6 thang. Sai? HUY {D}
        SEC > VAY 16 2tr 1 nam
        < OK #{E}: VAY TV16 2.000.000d 12 thang. Sai? HUY {E}
        SEC > Vay 17 10 triệu 24 tháng
        < OK #{F}: VAY TV17 10.000.000d 24 thang. Sai? HUY {F}
        SEC > LOAN 18 5000000 18
        < OK #{G}: VAY TV18 5.000.000d 18 thang. Sai? HUY {G}
        SEC > VAY 20/11 19 4tr5 2nam
        < OK #{H}: VAY TV19 4.500.000d 24 thang. Sai? HUY {H}
        SEC > VAY 12 5tr 0T
        < Loi: VAY 12 0T - so thang khong dung. VD: VAY 12 5tr 12T
        SEC > VAY 12 5tr 200T
        < Loi: VAY 12 200T - so thang khong dung. VD: VAY 12 5tr 12T
        SEC > VAY 45 5tr
        < Loi: VAY 45 - khong co TV 45
        = loans 8
        """
    )
    loans = session.scalars(select(Loan).order_by(Loan.id)).all()
    got = [(loan.principal_vnd, loan.term_months, loan.disbursed_on.day) for loan in loans]
    assert got == [
        (5_000_000, 12, 21),
        (5_000_000, 10, 21),
        (3_000_000, 6, 21),
        (3_000_000, 6, 21),
        (2_000_000, 12, 21),
        (10_000_000, 24, 21),
        (5_000_000, 18, 21),
        (4_500_000, 24, 20),
    ]
    assert all(loan.report_id for loan in loans)


def test_repayments_go_to_the_oldest_open_loan_and_never_over_the_balance(
    conv: Conversation, session: Session, club: Club
) -> None:
    old = give_loan(session, club, 12, 1_000_000, date(2026, 8, 21))
    new = give_loan(session, club, 12, 3_000_000, date(2026, 10, 21))
    conv.play(
        """
        SEC > TRA 12 400k
        < OK #{A}: TRA TV12 400.000d, con no 600.000d. Sai? HUY {A}
        SEC > TRA 12 600k
        < OK #{B}: TRA TV12 600.000d, con no 0d. Sai? HUY {B}
        SEC > TRA 12 500k
        < OK #{C}: TRA TV12 500.000d, con no 2.500.000d. Sai? HUY {C}
        SEC > TRA 12 3tr
        < Loi: TRA 12 - 3.000.000d nhieu hon so con no 2.500.000d
        SEC > TRA 13 200k
        < Loi: TRA 13 - TV 13 khong co khoan vay nao con no
        SEC > TRA 45 200k
        < Loi: TRA 45 - khong co TV 45
        # several pairs: a refused pair leaves the others recorded
        SEC > TRA 12 200k, 13 200k, 45 100k
        < OK 1/3 #{D}: TRA TV12 200.000d, con no 2.300.000d. Loi: TRA 13 - TV 13 khong co khoan vay nao con no; TRA 45 - khong co TV 45
        SEC > TRA 13 200k, 45 100k
        < Loi: TRA 13 - TV 13 khong co khoan vay nao con no\\nLoi: TRA 45 - khong co TV 45
        # the same member twice in one SMS: the second pair sees the first
        SEC > TRA 12 2tr, 12 300k, 12 1k
        < OK 1/2 #{E}: TRA 2 khoan 2.300.000d. Loi: TRA 12 - TV 12 khong co khoan vay nao con no
        = repayments 6
        """  # noqa: E501
    )
    pays = session.scalars(select(Repayment).order_by(Repayment.id)).all()
    assert [(p.loan_id, p.amount_vnd) for p in pays] == [
        (old.id, 400_000),
        (old.id, 600_000),
        (new.id, 500_000),
        (new.id, 200_000),
        (new.id, 2_000_000),
        (new.id, 300_000),
    ]


def test_partial_failure_first_then_success_keeps_one_report(
    conv: Conversation, session: Session, club: Club
) -> None:
    """A refused command before a recorded one must not leave a dangling report behind."""
    give_loan(session, club, 12)
    conv.play(
        """
        SEC > TRA 13 200k\\nTHAM 12 mang gao\\nHA 45 150/90\\nGOP 0 100k
        < OK 2/4 #{A}: THAM TV12; GOP ngoai 100.000d. Loi: TRA 13 - TV 13 khong co khoan vay nao con no; HA 45 - khong co TV 45
        = reports 1
        = home_visits 1
        = fund_contributions 1
        = health_readings 0
        = repayments 0
        """  # noqa: E501
    )


def test_health_readings_pulse_weight_glucose_and_grades(
    conv: Conversation, session: Session, club: Club
) -> None:
    conv.play(
        """
        SEC > HA 12 150/95 M80 CN52 DH7,2
        < OK #{A}: HA TV12 150/95 cao do 1. Sai? HUY {A}
        SEC > HA 13 118/76
        < OK #{B}: HA TV13 118/76 toi uu. Sai? HUY {B}
        SEC > HA 14 125/82
        < OK #{C}: HA TV14 125/82 binh thuong. Sai? HUY {C}
        SEC > HA 15 135/85
        < OK #{D}: HA TV15 135/85 binh thuong cao. Sai? HUY {D}
        SEC > HA 16 165/95
        < OK #{E}: HA TV16 165/95 cao do 2 (CANH BAO). Sai? HUY {E}
        SEC > HA 17 150/95 DH 120
        < OK #{F}: HA TV17 150/95 cao do 1. Sai? HUY {F}
        SEC > HA 12 150/95 M250
        < Loi: HA 12 250 - mach ngoai khoang 30-200. Do lai va gui lai
        SEC > HA 12 150/95 CN200
        < Loi: HA 12 cn200 - can nang ngoai khoang 20-150 kg. Can lai va gui lai
        SEC > HA 12 150/170
        < Loi: HA 12 150/170 - so duoi ngoai khoang 30-160. Do lai va gui lai
        SEC > HA 12 95/150
        < Loi: HA 12 95/150 - so tren phai lon hon so duoi. Do lai va gui lai
        SEC > HA 12
        < Loi: HA 12 - thieu huyet ap. VD: HA 12 150/95 M80
        SEC > HA 12 150/95, 13 125/80, 45 130/80
        < OK 1/2 #{G}: HA 2 nguoi. Loi: HA 45 - khong co TV 45
        = health_readings 8
        """
    )
    first = session.scalars(select(HealthReading).order_by(HealthReading.id)).first()
    assert first is not None
    assert (first.pulse, first.weight_kg, first.glucose_mmol) == (80, Decimal("52"), Decimal("7.2"))
    amber = session.scalars(select(HealthReading).where(HealthReading.systolic == 165)).one()
    assert (amber.grade, amber.alert) == ("grade_2", "amber")
    mg = session.scalars(select(HealthReading).where(HealthReading.glucose_mmol.is_not(None)))
    assert sorted(r.glucose_mmol for r in mg) == [Decimal("6.7"), Decimal("7.2")]


def test_red_alerts_reach_health_volunteers_and_chair_once_per_member_per_day(
    conv: Conversation, session: Session, club: Club
) -> None:
    bp = "Bao: TV1"
    conv.play(
        f"""
        SEC > HA 14 185/100
        < OK #{{A}}: HA TV14 185/100 cao do 3 (CANH BAO). Sai? HUY {{A}}
        HEALTH < {RED.format(n=14, bp="185/100", d="21/11")}{bp}. Xong? XONG {{A}}
        CHAIR < {RED.format(n=14, bp="185/100", d="21/11")}{bp}. Xong? XONG {{A}}
        # the same member again that day: the reply warns, nobody is told twice
        SEC > HA 14 190/100
        < OK #{{B}}: HA TV14 190/100 cao do 3 (CANH BAO). Sai? HUY {{B}}
        # low pressure is red too
        SEC > HA 15 85/55
        < OK #{{C}}: HA TV15 85/55 thap (CANH BAO). Sai? HUY {{C}}
        HEALTH < {RED.format(n=15, bp="85/55", d="21/11")}{bp}. Xong? XONG {{C}}
        CHAIR < {RED.format(n=15, bp="85/55", d="21/11")}{bp}. Xong? XONG {{C}}
        # two red readings in one SMS: one alert each
        SEC > HA 16 200/120, 17 182/90, 18 120/80
        < OK #{{D}}: HA 3 nguoi (2 CANH BAO). Sai? HUY {{D}}
        HEALTH < {RED.format(n=16, bp="200/120", d="21/11")}{bp}. Xong? XONG {{D}}
        CHAIR < {RED.format(n=16, bp="200/120", d="21/11")}{bp}. Xong? XONG {{D}}
        HEALTH < {RED.format(n=17, bp="182/90", d="21/11")}{bp}. Xong? XONG {{D}}
        CHAIR < {RED.format(n=17, bp="182/90", d="21/11")}{bp}. Xong? XONG {{D}}
        # the volunteer who measured is not alerted about her own reading
        HEALTH > HA 19 181/100
        < OK #{{E}}: HA TV19 181/100 cao do 3 (CANH BAO). Sai? HUY {{E}}
        CHAIR < {RED.format(n=19, bp="181/100", d="21/11")}Bao: TV3. Xong? XONG {{E}}
        # the next day the same member alerts again
        @ +1d
        SEC > HA 14 186/100
        < OK #{{F}}: HA TV14 186/100 cao do 3 (CANH BAO). Sai? HUY {{F}}
        HEALTH < {RED.format(n=14, bp="186/100", d="22/11")}{bp}. Xong? XONG {{F}}
        CHAIR < {RED.format(n=14, bp="186/100", d="22/11")}{bp}. Xong? XONG {{F}}
        = health_readings 8
        """
    )
    assert conv.count("outbound_messages") == 6 + 11  # replies and alerts


def test_red_alert_in_the_recipients_language_and_to_every_health_volunteer(
    conv: Conversation, session: Session, club: Club
) -> None:
    from models.admin import set_roles

    set_roles(session, member(session, club, 12), [Role.HEALTH_VOLUNTEER])
    member(session, club, 2).language = "en"
    session.flush()
    conv.play(
        """
        SEC > HA 15 180/100 M90
        < OK #{A}: HA TV15 180/100 cao do 3 (CANH BAO). Sai? HUY {A}
        HEALTH < CANH BAO HA K12: TV15 Member 15 Thi Lan 180/100 ngay 21/11. {*}
        MEMBER < CANH BAO HA K12: TV15 Member 15 Thi Lan 180/100 ngay 21/11. {*}
        CHAIR < BP ALERT K12: #15 Member 15 Thi Lan 180/100 on 21/11. Visit and take to a clinic now. From: TV1. Done? DONE {A}
        """  # noqa: E501
    )


def test_own_phone_readings(conv: Conversation, session: Session, club: Club) -> None:
    conv.play(
        """
        MEMBER > ha 150/95
        < OK #{A}: HA TV12 150/95 cao do 1. Sai? HUY {A}
        MEMBER > HA 12 145/90 m72
        < OK #{B}: HA TV12 145/90 cao do 1. Sai? HUY {B}
        MEMBER > HA 21/11 140/88
        < OK #{C}: HA TV12 140/88 cao do 1. Sai? HUY {C}
        MEMBER > HA 13 150/95
        < Loi: HA - ban khong co quyen gui lenh nay
        SHARED > ha 150/95
        < Loi: HA - so nay dung chung cho TV 20, 21, ghi ro so the
        SHARED > HA 21 150/95
        < OK #{D}: HA TV21 150/95 cao do 1. Sai? HUY {D}
        MEMBER > ha 185/110
        < OK #{E}: HA TV12 185/110 cao do 3 (CANH BAO). Sai? HUY {E}
        HEALTH < CANH BAO HA K12: TV12 Member 12 Thi Lan 185/110 ngay 21/11. {*} Bao: TV12. Xong? XONG {E}
        CHAIR < CANH BAO HA K12: TV12 Member 12 Thi Lan 185/110 ngay 21/11. {*} Bao: TV12. Xong? XONG {E}
        = health_readings 5
        """  # noqa: E501
    )
    shared = session.scalars(select(HealthReading).where(HealthReading.systolic == 150)).all()
    assert {r.member_id for r in shared} == {member(session, club, n).id for n in (12, 21)}


def test_weights(conv: Conversation, session: Session, club: Club) -> None:
    conv.play(
        """
        HEALTH > CN 12 52,5
        < OK #{A}: CN TV12 52,5kg. Sai? HUY {A}
        HEALTH > CN 13 60kg
        < OK #{B}: CN TV13 60kg. Sai? HUY {B}
        HEALTH > can nang 14 48.5
        < OK #{C}: CN TV14 48,5kg. Sai? HUY {C}
        HEALTH > CN 12 52, 13 60, 14 48 kg
        < OK #{D}: CN 3 nguoi. Sai? HUY {D}
        HEALTH > CN 12 52, 45 60
        < OK 1/2 #{E}: CN TV12 52kg. Loi: CN 45 - khong co TV 45
        HEALTH > CN 12 300
        < Loi: CN 12 300 - can nang ngoai khoang 20-150 kg. Can lai va gui lai
        HEALTH > CN 52
        < Loi: CN 52 - thieu can nang. VD: CN 12 52,5
        = health_readings 7
        """
    )
    rows = session.scalars(select(HealthReading).order_by(HealthReading.id)).all()
    kg = ["52.5", "60", "48.5", "52", "60", "48", "52"]
    assert [r.weight_kg for r in rows] == [Decimal(x) for x in kg]
    assert all(r.systolic is None for r in rows)


def test_home_visits_activities_and_fund(conv: Conversation, session: Session, club: Club) -> None:
    conv.play(
        """
        HOMECARE > THAM 12 don nha, do HA 140/90
        < OK #{A}: THAM TV12. Sai? HUY {A}
        HOMECARE > tham 20/11 13 mang gao
        < OK #{B}: THAM TV13. Sai? HUY {B}
        HOMECARE > VISIT 14
        < OK #{C}: THAM TV14. Sai? HUY {C}
        HOMECARE > THAM
        < Loi: THAM - thieu so thanh vien. VD: THAM 12 do HA
        SEC > MANG 1 12 tap huan nuoi bo
        < OK #{D}: MANG 1 12 nguoi. Sai? HUY {D}
        SEC > MANG 2 40 kham suc khoe
        < OK #{E}: MANG 2 40 nguoi. Sai? HUY {E}
        SEC > mang 3 5
        < OK #{F}: MANG 3 5 nguoi. Sai? HUY {F}
        SEC > MANG 4 8 nguoi giup nha ba Hoa
        < OK #{G}: MANG 4 8 nguoi. Sai? HUY {G}
        SEC > MANG 5 20 noi chuyen BHYT
        < OK #{H}: MANG 5 20 nguoi. Sai? HUY {H}
        SEC > MANG m6 25
        < OK #{J}: MANG 6 25 nguoi. Sai? HUY {J}
        SEC > mảng 7 30 văn nghệ
        < OK #{K}: MANG 7 30 nguoi. Sai? HUY {K}
        SEC > AREA 8 3 van dong
        < OK #{L}: MANG 8 3 nguoi. Sai? HUY {L}
        SEC > MANG 9 30
        < Loi: MANG 9 - mang phai tu 1 den 8. VD: MANG 7 30 van nghe
        SEC > MANG 0 30
        < Loi: MANG 0 - mang phai tu 1 den 8. VD: MANG 7 30 van nghe
        SEC > MANG 7
        < Loi: MANG 7 - thieu so nguoi. VD: MANG 7 30 van nghe
        SEC > GOP 12 100k quy thang 11
        < OK #{M}: GOP TV12 100.000d. Sai? HUY {M}
        SEC > GOP 0 2tr UBND xa
        < OK #{N}: GOP ngoai 2.000.000d. Sai? HUY {N}
        SEC > GOP 45 100k
        < Loi: GOP 45 - khong co TV 45
        = home_visits 3
        = activities 8
        = fund_contributions 2
        """
    )
    visits = session.scalars(select(HomeVisit).order_by(HomeVisit.id)).all()
    assert [(v.visited_on.day, v.note) for v in visits] == [
        (21, "don nha, do HA 140/90"),
        (20, "mang gao"),
        (21, None),
    ]
    assert {v.volunteer_member_id for v in visits} == {member(session, club, 4).id}
    areas = session.scalars(select(Activity).order_by(Activity.id)).all()
    assert [a.area for a in areas] == list(range(1, 9))
    assert areas[0].note == "tap huan nuoi bo" and areas[6].note == "văn nghệ"
    funds = session.scalars(select(FundContribution).order_by(FundContribution.id)).all()
    assert [(f.member_id, f.amount_vnd, f.note) for f in funds] == [
        (member(session, club, 12).id, 100_000, "quy thang 11"),
        (None, 2_000_000, "UBND xa"),
    ]


def test_new_members_and_phone_changes(conv: Conversation, session: Session, club: Club) -> None:
    conv.play(
        """
        SEC > TV 61 0168 234 5678 Rơ Châm H'Yéo 1952 nu
        < OK #{A}: TV61 Ro Cham H'Yeo. Sai? HUY {A}
        SEC > TV 62 01234567890 Nguyen Van Nam 1950 nam
        < OK #{B}: TV62 Nguyen Van Nam. Sai? HUY {B}
        SEC > thanh vien 63 0912 345 678 Lò Thị Mai
        < OK #{C}: TV63 Lo Thi Mai. Sai? HUY {C}
        SEC > TV 64 +84 199 123 4567 Ksor H'Bia 48 NU
        < OK #{D}: TV64 Ksor H'Bia. Sai? HUY {D}
        SEC > TV 12 0987 654 321
        < OK #{E}: TV12 doi so 0987654321. Sai? HUY {E}
        SEC > TV 12 0987654321 Tran Van Ba
        < Loi: TV 12 - TV 12 da co (Member 12 Thi Lan)
        SEC > TV 65 0912345679
        < Loi: TV 65 - TV 65 moi can ho ten, VD: TV 65 0912345678 Nguyen Thi Lan 1955 nu
        SEC > TV 65 Lo Thi Mai
        < Loi: TV 65 - thieu so dien thoai. VD: TV 61 0912345678 Lo Thi Mai 1952 nu
        SEC > TV 65 0912345678 Lo Thi Mai 2030
        < Loi: TV 65 2030 - nam sinh khong dung. VD: TV 61 0912345678 Lo Thi Mai 1952 nu
        # the new phone is member 12's now; the old one is a stranger
        +84987654321 > ha 150/95
        < OK #{F}: HA TV12 150/95 cao do 1. Sai? HUY {F}
        MEMBER > ha 150/95
        < So nay chua dang ky voi CLB nao. {*}
        # a new member can report from their phone at once
        +84382345678 > ha 130/85
        < OK #{G}: HA TV61 130/85 binh thuong cao. Sai? HUY {G}
        """
    )
    new = {m.number: m for m in session.scalars(select(Member).where(Member.number > 60))}
    assert {n: (m.phone, m.birth_year, m.sex) for n, m in new.items()} == {
        61: ("+84382345678", 1952, "F"),
        62: ("+84834567890", 1950, "M"),  # 0123 -> 083
        63: ("+84912345678", None, None),
        64: ("+84591234567", 1948, "F"),  # 0199 -> 059
    }
    assert new[61].full_name == "Rơ Châm H'Yéo" and new[61].club_id == club.id
    m12 = member(session, club, 12)
    assert m12.phone == "+84987654321"
    history = session.scalars(
        select(MemberPhoneHistory).where(MemberPhoneHistory.member_id == m12.id)
    ).all()
    assert sorted((h.phone, h.valid_to is None) for h in history) == [
        ("+84912000012", False),
        ("+84987654321", True),
    ]
    change = session.scalars(select(AuditEntry).where(AuditEntry.action == "change_phone")).one()
    assert change.detail == "+84912000012 -> +84987654321" and change.actor_phone == conv.phone(
        "SEC"
    )
    assert len(session.scalars(select(AuditEntry).where(AuditEntry.action == "add")).all()) == 4


def test_cancelling_a_replacing_dd_brings_the_earlier_list_back(
    conv: Conversation, session: Session
) -> None:
    """DD 1-12, then DD 1-5 by mistake, then HUY of the second: the first list stands again."""
    conv.play(
        """
        SEC > DD 1-12
        < OK #{A}: DD 21/11 12 co mat. Sai? HUY {A}
        SEC > DD 1-5
        < OK #{B}: DD 21/11 5 co mat. Sai? HUY {B}
        SEC > HUY {B}
        < {*}
        """
    )
    meeting = session.scalars(select(Meeting).where(Meeting.held_on == date(2026, 11, 21))).one()
    session.refresh(meeting)
    assert meeting.voided_at is None and len(meeting.attendance) == 12
