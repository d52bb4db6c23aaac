"""The supervisor menu: the area's clubs this month (reported or silent, red alerts, overdue
loans), weakest first, and one club's detail; figures from models.stats."""

from __future__ import annotations

from typing import Any

import pytest

from menus.i18n import t
from menus.views import render_area_head, render_area_line, render_club
from models import stats
from models.admin import add_supervisor
from models.clubs import Supervisor
from models.records import HealthReading
from tests.factories import make_board_club
from tests.ussd.conftest import TODAY, add_loan, member

SUPERVISOR_PHONE = "+84912000900"


@pytest.fixture
def area(session: Any, club: Any) -> Supervisor:
    """K12 reported a red reading and has an overdue loan; K13 is silent."""
    make_board_club(session, "K13")
    add_loan(session, club)
    session.add(
        HealthReading(
            club_id=club.id,
            member_id=member(club, 12).id,
            taken_on=TODAY,
            systolic=185,
            diastolic=100,
            grade="grade_3",
            alert="red",
        )
    )
    session.flush()
    return add_supervisor(session, name="Le Van Hung", phone=SUPERVISOR_PHONE, communes=["23764"])


def test_supervisor_transcript_vi(area, phone):
    phone(SUPERVISOR_PHONE).talk("""
        >
        < CON Thang 11/2026: 2 CLB, 1 im lang, 1 do, 1 no qua han
        < 1 K13: im lang
        < 2 K12: do 1, no 1
        > 3
        < CON Chon lai:
        < Thang 11/2026: 2 CLB, 1 im lang, 1 do, 1 no qua han
        < 1 K13: im lang
        < 2 K12: do 1, no 1
        > 2
        < CON K12 thang 11/2026:
        < Chua hop.
        < Tra no: 0 lan, 0d
        < Qua han: 1 khoan, 600.000d
        < Do HA: 1, do 1
        < Mang: 2 (1/8)
        < Tham nha: 0
        < 0 Quay lai, 00 Menu
        > 0
        < CON Thang 11/2026: 2 CLB, 1 im lang, 1 do, 1 no qua han
        < 1 K13: im lang
        < 2 K12: do 1, no 1
        > 1
        < CON K13 thang 11/2026:
        < Chua bao cao gi.
        < 0 Quay lai, 00 Menu
        > 00
        < CON Thang 11/2026: 2 CLB, 1 im lang, 1 do, 1 no qua han
        < 1 K13: im lang
        < 2 K12: do 1, no 1
    """)


def paged(ph: Any, body: str, lang: str) -> list[str]:
    """The words of a screen across all its pages (98 pressed until the last)."""
    more, nav = t(lang, "ussd.more"), t(lang, "ussd.nav")
    words: list[str] = []
    while True:
        lines = body[4:].split("\n")
        words += " ".join(x for x in lines if x not in (more, nav)).split()
        if more not in lines:
            return words
        body = ph.press("98")


@pytest.mark.parametrize("lang", ["vi", "vi_dau", "en"])
def test_supervisor_screens_in_every_language(area, session, phone, lang):
    area.language = lang
    session.flush()
    summary = stats.area_month_summary(session, area.id, TODAY)
    ph = phone(SUPERVISOR_PHONE)
    listed = "\n".join(
        [render_area_head(summary, lang)]
        + [f"{i} {render_area_line(c, lang)}" for i, c in enumerate(summary.clubs, start=1)]
    )
    assert paged(ph, ph.dial(), lang) == listed.split()
    k12 = stats.club_month_summary(session, summary.clubs[1].club_id, TODAY)
    assert paged(ph, ph.press("2"), lang) == render_club(k12, lang).split()


def test_supervisor_without_clubs(session, club, phone):
    add_supervisor(session, name="Tran Van Nam", phone=SUPERVISOR_PHONE, provinces=[])
    assert phone(SUPERVISOR_PHONE).dial() == (
        "CON Thang 11/2026: 0 CLB, 0 im lang, 0 do, 0 no qua han\n"
        "Chua co CLB nao trong vung cua ban."
    )
