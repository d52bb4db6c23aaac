"""Member menu journeys through /ussd, as the provider calls it, in every language."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from gateway.ussd import form_key
from menus.i18n import t
from menus.views import render_fund, render_health, render_loan, render_meeting
from models.clubs import Member
from models.messages import OutboundMessage
from models.records import Attendance, FundContribution, HelpRequest, Meeting
from models.views import fund_view, health_view, loan_view, meeting_view
from tests.factories import CHAIR_PHONE, HOMECARE_PHONE, MEMBER_PHONE
from tests.ussd.conftest import TODAY, add_loan, jobs, member, set_language
from tests.ussd.test_views import PAID, readings

LANGS = ("vi", "vi_dau", "en")


@pytest.fixture
def data(session: Any, club: Any) -> Any:
    """Member 12's loan, readings, meetings and fund money."""
    club.fund_opening_vnd = 30_000_000
    add_loan(session, club, paid=PAID)
    readings(session, club)
    m = member(club, 12)
    for on in (date(2026, 9, 21), date(2026, 10, 21)):
        meeting = Meeting(club_id=club.id, held_on=on)
        session.add(meeting)
        session.flush()
        if on.month == 10:
            session.add(Attendance(meeting_id=meeting.id, member_id=m.id))
    session.add(
        FundContribution(club_id=club.id, member_id=m.id, amount_vnd=100_000, given_on=TODAY)
    )
    session.flush()
    return club


def test_member_menu_transcript_vi(data, phone):
    phone(MEMBER_PHONE).talk("""
        >
        < @home_vi
        > 1
        < CON Con no: 1.500.000d
        < Ky toi 21/11: 200.000d
        < Qua han 1 ky: 100.000d
        < Da tra: 15/10 100.000d, 21/09 200.000d, 21/08 200.000d
        < 0 Quay lai, 00 Menu
        > 7
        < CON Chon lai:
        < Con no: 1.500.000d
        < Ky toi 21/11: 200.000d
        < Qua han 1 ky: 100.000d
        < Da tra: 15/10 100.000d, 21/09 200.000d, 21/08 200.000d
        < 0 Quay lai, 00 Menu
        > 0
        < @home_vi
        > 2
        < CON Huyet ap:
        < 20/11 182/112 cao do 3 (CANH BAO)
        < 21/10 145/92 cao do 1
        < 21/09 135/85 binh thuong cao
        < Dang tang
        < 0 Quay lai, 00 Menu
        > 00
        < @home_vi
        > 3
        < @meeting_vi 1/2
        > 0
        < @home_vi
        > 5
        < CON Quy CLB: 28.600.000d
        < Ban da gop: 100.000d
        < 0 Quay lai, 00 Menu
        > 9
        < CON Chon lai:
        < Quy CLB: 28.600.000d
        < Ban da gop: 100.000d
        < 0 Quay lai, 00 Menu
    """)


def test_member_menu_transcript_vi_dau_pages_in_ucs2(data, session, phone):
    set_language(session, data, "vi_dau")
    phone(MEMBER_PHONE).talk("""
        >
        < @home_vi_dau
        > 1
        < @loan_vi_dau
        > 98
        < CON Đã trả: 15/10 100.000đ, 21/09 200.000đ, 21/08 200.000đ
        < 0 Quay lại, 00 Menu
        > 0
        < @loan_vi_dau
        > 0
        < @home_vi_dau
        > 2
        < CON Huyết áp:
        < 20/11 182/112 cao độ 3 (CẢNH BÁO)
        < 21/10 145/92 cao độ 1
        < 98 Tiếp
        > 98
        < CON 21/09 135/85 bình thường cao
        < Đang tăng
        < 0 Quay lại, 00 Menu
        > 98
        < CON Chọn lại:
        < Huyết áp:
        < 20/11 182/112 cao độ 3 (CẢNH BÁO)
        < 98 Tiếp
        > 00
        < @home_vi_dau
    """)


def test_member_menu_transcript_en(data, session, phone):
    set_language(session, data, "en")
    phone(MEMBER_PHONE).talk("""
        >
        < @home_en
        > 2
        < CON Blood pressure:
        < 20/11 182/112 high grade 3 (ALERT)
        < 21/10 145/92 high grade 1
        < 21/09 135/85 high-normal
        < Going up
        < 0 Back, 00 Menu
        > 0
        < @home_en
        > 3
        < CON Next meeting: 21/11
        < At: Nha van hoa thon
        < This year you came to 1/2.
        < 0 Back, 00 Menu
    """)


def whole(ph: Any, first: str, lang: str) -> list[str]:
    """Every line of a view screen, following "98" through its pages (navigation lines aside)."""
    more, nav = t(lang, "ussd.more"), t(lang, "ussd.nav")
    body = ph.press(first)
    lines: list[str] = []
    while True:
        page = body[4:].split("\n")
        lines += [x for x in page if x not in (more, nav)]
        if more not in page:
            return lines
        body = ph.press("98")


@pytest.mark.parametrize("lang", LANGS)
def test_every_member_view_in_every_language(data, session, phone, lang):
    m = set_language(session, data, lang)
    ph = phone(MEMBER_PHONE)
    home = ph.dial()
    for n, key in enumerate(["loan", "health", "meeting", "help", "fund", "lang"], start=1):
        assert f"{n} {t(lang, f'ussd.home.{key}')}" in home
    assert t(lang, "ussd.home.forms") not in home
    expected = {
        "1": render_loan(loan_view(session, m.id, TODAY), lang),
        "2": render_health(health_view(session, m.id), lang),
        "3": render_meeting(meeting_view(session, m, TODAY), lang),
        "5": render_fund(fund_view(session, m, TODAY), lang),
    }
    for key, text in expected.items():
        # Paging cuts long lines at spaces: compare the words.
        assert " ".join(whole(ph, key, lang)).split() == text.split(), key
        assert ph.press("00") == home


@pytest.mark.parametrize("lang", LANGS)
def test_help_request_records_and_tells_volunteers_and_chair(
    data, session, phone, rt, channel, run_jobs, lang
):
    m = set_language(session, data, lang)
    ph = phone(MEMBER_PHONE).dialled()
    kinds = ph.press("4")
    assert kinds.startswith(f"CON {t(lang, 'ussd.help.title')}\n1 {t(lang, 'ussd.help.ill')}")
    assert ph.press("1") == f"CON {t(lang, 'ussd.help.note')}\n{t(lang, 'ussd.nav')}"
    confirm = ph.press("dau lung")
    assert confirm.startswith(
        "CON " + t(lang, "ussd.help.confirm", kind=t(lang, "ussd.help.ill"), note=": dau lung")
    )
    assert ph.press("1") == "END " + t(lang, "ussd.help.sent")
    assert jobs(rt) == [
        (MEMBER_PHONE, m.id, "NHO om: dau lung", form_key(ph.number, ph.session_id, 1))
    ]

    run_jobs()
    req = session.scalars(select(HelpRequest)).one()
    assert (req.member_id, req.kind, req.note, req.channel) == (m.id, "ill", "om: dau lung", "ussd")
    to = {o.to for o in session.scalars(select(OutboundMessage))}
    assert {HOMECARE_PHONE, CHAIR_PHONE, MEMBER_PHONE} <= to


@pytest.mark.parametrize(
    ("keys", "command"),
    [
        (("2", "1"), "NHO viec nha"),
        (("3", "1"), "NHO"),
        (("3", "can tien thuoc"), "NHO can tien thuoc"),
    ],
)
def test_help_request_kinds(data, phone, rt, keys, command):
    ph = phone(MEMBER_PHONE).dialled()
    ph.press("4", *keys)
    assert ph.press("1").startswith("END ")
    assert [j[2] for j in jobs(rt)] == [command]


def test_help_request_cancelled_sends_nothing(data, phone, rt):
    ph = phone(MEMBER_PHONE).dialled()
    ph.press("4", "1", "1")
    assert ph.press("2") == (
        "CON Da huy, chua gui gi.\n1 Khoan vay\n2 Suc khoe\n3 Sinh hoat\n4 Nho giup do\n"
        "5 Quy CLB\n6 Ngon ngu/Language"
    )
    assert jobs(rt) == []


@pytest.mark.parametrize(
    ("start", "choice", "code", "command"),
    [
        ("vi", "3", "en", "NN EN"),
        ("en", "2", "vi_dau", "NN VI DAU"),
        ("vi_dau", "1", "vi", "NN VI"),
    ],
)
def test_language_change_is_enqueued_and_the_session_switches(
    data, session, phone, rt, channel, run_jobs, start, choice, code, command
):
    m = set_language(session, data, start)
    ph = phone(MEMBER_PHONE).dialled()
    menu = ph.press("6")
    assert menu[4:].split("\n")[:3] == [
        "1 Tieng Viet khong dau",
        "2 Tieng Viet co dau" if start == "vi" else "2 Tiếng Việt có dấu",
        "3 English",
    ]
    after = ph.press(choice)
    assert after.startswith(f"CON {t(code, 'ussd.lang.done')}\n1 {t(code, 'ussd.home.loan')}")
    assert jobs(rt) == [(MEMBER_PHONE, m.id, command, form_key(ph.number, ph.session_id, 1))]
    run_jobs()
    session.expire_all()
    assert session.get(Member, m.id).language == code
    # The next session starts in the new language.
    assert ph.dial().startswith(f"CON 1 {t(code, 'ussd.home.loan')}")


def test_language_on_a_shared_phone_is_the_chosen_members_own(
    club, session, phone, rt, channel, run_jobs
):
    from tests.factories import SHARED_PHONE

    ph = phone(SHARED_PHONE).dialled()
    ph.press("2", "6", "3")
    assert [j[1:3] for j in jobs(rt)] == [(member(club, 21).id, "NN EN")]
    run_jobs()
    session.expire_all()
    assert session.get(Member, member(club, 21).id).language == "en"
    assert session.get(Member, member(club, 20).id).language in (None, "vi")
