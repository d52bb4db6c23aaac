"""Board and volunteer forms (menu 7): each ends on a confirmation, is enqueued as the same SMS
command, and records through the SMS path with its reply and reference."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from gateway.ussd import form_key
from menus.i18n import t
from models.ledger import Repayment
from models.messages import InboundMessage, OutboundMessage
from models.records import HealthReading, HomeVisit, Meeting
from tests.factories import HEALTH_PHONE, HOMECARE_PHONE, MEMBER_PHONE, SECRETARY_PHONE
from tests.ussd.conftest import TODAY, add_loan, jobs, member, set_language

LANGS = ("vi", "vi_dau", "en")


def test_repayment_form_transcript_vi(club, session, phone, rt):
    add_loan(session, club)
    ph = phone(SECRETARY_PHONE)
    ph.talk("""
        >
        < @home_vi
        < 7 Nhap so lieu
        > 7
        < CON Nhap so lieu:
        < 1 Diem danh
        < 2 Tra no
        < 3 Huyet ap
        < 4 Tham nha
        < 0 Quay lai, 00 Menu
        > 2
        < @ask_member_vi
        > 99
        < CON Khong co TV 99.
        < So the thanh vien:
        < 0 Quay lai, 00 Menu
        > abc
        < CON Nhap so the, VD: 12.
        < So the thanh vien:
        < 0 Quay lai, 00 Menu
        > 12
        < @pay_ask_vi
        > nhieu
        < CON Khong hieu so tien. VD: 450000 hoac 450k.
        < TV12 Lan tra bao nhieu? (VD: 450k)
        < 0 Quay lai, 00 Menu
        > 0
        < @ask_member_vi
        > 12
        < @pay_ask_vi
        > 450k
        < @pay_confirm_vi 450.000
        > 3
        < CON Chon lai:
        < TV12 Lan tra 450.000d.
        < 1 Gui
        < 2 Huy
        < 0 Quay lai, 00 Menu
        > 1
        < END Da gui. Ket qua va ma so se den bang SMS.
    """)
    assert jobs(rt) == [
        (
            SECRETARY_PHONE,
            member(club, 1).id,
            "TRA 12 450000",
            form_key(ph.number, ph.session_id, 1),
        )
    ]


@pytest.mark.parametrize("lang", LANGS)
def test_repayment_records_through_the_sms_path_with_reply_and_reference(
    club, session, phone, rt, channel, run_jobs, lang
):
    set_language(session, club, lang, 1)
    add_loan(session, club)
    ph = phone(SECRETARY_PHONE)
    home = ph.dial()
    assert home.endswith(f"7 {t(lang, 'ussd.home.forms')}") or t(lang, "ussd.more") in home
    forms = ph.press("7")
    assert forms.startswith(f"CON {t(lang, 'ussd.forms.title')}\n1 {t(lang, 'ussd.forms.att')}")
    assert ph.press("2").startswith(f"CON {t(lang, 'ussd.ask.member')}")
    assert ph.press("12").startswith("CON " + t(lang, "ussd.pay.amount", member=12, name="Lan"))
    confirm = ph.press("450k")
    money = "450.000đ" if lang == "vi_dau" else "450.000d"
    assert confirm.startswith(
        "CON " + t(lang, "ussd.pay.confirm", member=12, name="Lan", amount=money)
    )
    assert ph.press("1") == "END " + t(lang, "ussd.sent")
    # A provider retrying the last hop records nothing twice.
    assert ph.post("*".join(ph.inputs)).get_data(as_text=True) == "END " + t(lang, "ussd.sent")
    assert [j[2] for j in jobs(rt)] == ["TRA 12 450000"]

    run_jobs()
    rep = session.scalars(select(Repayment).where(Repayment.report_id.is_not(None))).one()
    assert (rep.member_id, rep.amount_vnd, rep.paid_on) == (member(club, 12).id, 450_000, TODAY)
    msg = session.scalars(select(InboundMessage)).one()
    assert (msg.provider, msg.channel, msg.text) == ("ussd", "ussd", "TRA 12 450000")
    reply = session.scalars(select(OutboundMessage).where(OutboundMessage.to == SECRETARY_PHONE))
    assert "#" in reply.one().text  # the reference to cancel it by


@pytest.mark.parametrize("lang", LANGS)
def test_attendance_with_absent_members(club, session, phone, rt, channel, run_jobs, lang):
    set_language(session, club, lang, 1)
    ph = phone(SECRETARY_PHONE).dialled()
    ph.press("7", "1")
    assert ph.press("1").startswith("CON " + t(lang, "ussd.att.ask"))
    assert ph.press("3*99").startswith("CON " + t(lang, "ussd.err.members", members="99"))
    # A list typed with "*" arrives as several parts of the cumulative text: one answer here.
    confirm = ph.press("3*7*9")
    assert confirm.startswith(
        "CON " + t(lang, "ussd.att.confirm_absent", count=3, absent="3 7 9", present=37)
    )
    assert ph.press("1") == "END " + t(lang, "ussd.sent")
    assert [j[2:] for j in jobs(rt)] == [("DD VANG 3 7 9", form_key(ph.number, ph.session_id, 1))]
    run_jobs()
    meeting = session.scalars(select(Meeting)).one()
    assert meeting.held_on == TODAY and len(meeting.attendance) == 37


def test_attendance_everyone_present_and_ranges(club, session, phone, rt):
    ph = phone(SECRETARY_PHONE).dialled()
    ph.press("7", "1")
    assert ph.press("2") == (
        "CON Diem danh hom nay: ca 40 nguoi co mat.\n1 Gui\n2 Huy\n0 Quay lai, 00 Menu"
    )
    ph.press("1")
    ph.dial()
    ph.press("7", "1", "1")
    assert "vang 4 (10 11 12 30)" in ph.press("10-12 30")
    ph.press("1")
    assert [j[2] for j in jobs(rt)] == ["DD VANG", "DD VANG 10 11 12 30"]


@pytest.mark.parametrize("lang", LANGS)
def test_health_volunteer_enters_a_reading(club, session, phone, rt, channel, run_jobs, lang):
    set_language(session, club, lang, 3)
    ph = phone(HEALTH_PHONE).dialled()
    forms = ph.press("7")
    assert f"3 {t(lang, 'ussd.forms.bp')}" in forms
    assert t(lang, "ussd.forms.pay") not in forms and t(lang, "ussd.forms.visit") not in forms
    assert ph.press("2").startswith(f"CON {t(lang, 'ussd.again')}")
    ph.press("3", "12")
    assert ph.press("300").startswith("CON " + t(lang, "ussd.err.sys"))
    assert ph.press("150").startswith("CON " + t(lang, "ussd.bp.dia", member=12, name="Lan"))
    assert ph.press("160").startswith("CON " + t(lang, "ussd.err.dia"))
    assert ph.press("95").startswith(
        "CON " + t(lang, "ussd.bp.confirm", member=12, name="Lan", sys=150, dia=95)
    )
    assert ph.press("1") == "END " + t(lang, "ussd.sent")
    assert [j[2] for j in jobs(rt)] == ["HA 12 150/95"]
    run_jobs()
    r = session.scalars(select(HealthReading)).one()
    assert (r.member_id, r.systolic, r.diastolic, r.grade) == (
        member(club, 12).id,
        150,
        95,
        "grade_1",
    )


@pytest.mark.parametrize("lang", LANGS)
def test_homecare_volunteer_records_a_visit(club, session, phone, channel, run_jobs, lang):
    set_language(session, club, lang, 4)
    ph = phone(HOMECARE_PHONE).dialled()
    assert ph.press("7").startswith(f"CON {t(lang, 'ussd.forms.title')}\n4 ")
    ph.press("4")
    assert ph.press("12").startswith("CON " + t(lang, "ussd.visit.confirm", member=12, name="Lan"))
    assert ph.press("1") == "END " + t(lang, "ussd.sent")
    run_jobs()
    visit = session.scalars(select(HomeVisit)).one()
    assert (visit.member_id, visit.volunteer_member_id, visit.visited_on) == (
        member(club, 12).id,
        member(club, 4).id,
        TODAY,
    )


def test_plain_members_have_no_forms_menu(club, phone):
    ph = phone(MEMBER_PHONE)
    assert "7 " not in ph.dial()
    assert ph.press("7").startswith("CON Chon lai:")


def test_two_forms_in_one_session_get_their_own_keys(club, session, phone, rt):
    add_loan(session, club)
    ph = phone(SECRETARY_PHONE).dialled()
    ph.press("7", "2", "12", "200k", "1")
    ph.dial(ph.session_id + "b")
    ph.press("7", "4", "12", "1")
    keys = [j[3] for j in jobs(rt)]
    assert keys == [
        form_key(ph.number, ph.session_id[:-1], 1),
        form_key(ph.number, ph.session_id, 1),
    ]
    assert len(set(keys)) == 2


def test_a_refused_form_gets_its_reason_by_sms(club, session, phone, channel, run_jobs):
    """Member 12 has no loan: the form is accepted on USSD, the SMS reply says why it failed."""
    ph = phone(SECRETARY_PHONE).dialled()
    ph.press("7", "2", "12", "450k", "1")
    run_jobs()
    assert session.scalar(select(Repayment)) is None
    (reply,) = [o for o in session.scalars(select(OutboundMessage))]
    assert reply.to == SECRETARY_PHONE and "TV 12" in reply.text
    assert date.today() == TODAY


def test_a_phone_in_two_clubs_records_for_the_member_chosen(
    club, session, phone, channel, run_jobs
):
    from models.admin import add_member
    from models.enums import Role
    from tests.factories import make_board_club

    other = make_board_club(session, "K13")
    add_member(
        session,
        other,
        number=41,
        full_name="Nguyen Van Binh",
        phone=SECRETARY_PHONE,
        roles=[Role.TREASURER],
    )
    add_loan(session, club)
    ph = phone(SECRETARY_PHONE)
    assert ph.dial() == "CON Ban la ai?\n1 Thanh\n2 Binh"
    ph.press("1", "7", "2", "12", "450k", "1")
    run_jobs()
    rep = session.scalars(select(Repayment).where(Repayment.report_id.is_not(None))).one()
    assert rep.club_id == club.id
