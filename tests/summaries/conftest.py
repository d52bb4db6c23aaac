"""An area of four clubs in one commune, November 2026: one healthy, one silent with an overdue
loan, one with red alerts, one with an overdue loan and a voided red reading."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from sqlalchemy.orm import Session

from models.admin import add_supervisor
from models.clubs import Club, Supervisor
from tests.factories import make_board_club
from tests.summaries import builders as b

TODAY = date(2026, 11, 28)  # a Saturday: BC "this month so far"
MONDAY = date(2026, 11, 30)  # the weekly summary's day
SUP_PHONE = "+84915000900"
SUP_EN_PHONE = "+84915000901"
SUP_PROVINCE_PHONE = "+84915000902"
SUP_IDLE_PHONE = "+84915000903"


@dataclass
class Area:
    k12: Club
    k07: Club
    k03: Club
    k20: Club
    sup: Supervisor  # the commune: all four clubs, "vi"
    sup_en: Supervisor  # K12 alone, "en"
    sup_province: Supervisor  # the province, "vi_dau"
    sup_idle: Supervisor  # inactive


def build_area(session: Session) -> Area:
    nov21 = date(2026, 11, 21)

    k12 = make_board_club(session, "K12", members=40)
    b.meeting(session, k12, nov21, list(range(1, 31)))
    for n in range(5, 15):
        b.reading(session, k12, n, nov21)
    b.reading(session, k12, 15, nov21, (185, 100))
    on_time = b.loan(session, k12, 12, 5_000_000, date(2026, 6, 21), term=10)
    for month in range(7, 12):
        b.repay(session, on_time, 500_000, date(2026, month, 21))
    new = b.loan(session, k12, 13, 1_200_000, date(2026, 10, 21))
    b.repay(session, new, 100_000, nov21)
    b.repay(session, new, 300_000, nov21, voided=True)
    for area in (4, 5, 6, 7, 8):
        b.activity(session, k12, area, nov21)
    b.visit(session, k12, 30, date(2026, 11, 14))
    b.visit(session, k12, 31, date(2026, 11, 25))
    b.help_request(session, k12, 32, date(2026, 11, 26))
    b.help_request(session, k12, 33, date(2026, 11, 10), done=True)
    b.report(session, k12, nov21)

    k07 = make_board_club(session, "K07", members=10)
    b.meeting(session, k07, date(2026, 9, 21), list(range(1, 9)))
    b.report(session, k07, date(2026, 9, 21))
    b.report(session, k07, date(2026, 11, 22), cancelled=True)
    late = b.loan(session, k07, 5, 2_400_000, date(2026, 5, 21))
    b.repay(session, late, 200_000, date(2026, 6, 21))

    k03 = make_board_club(session, "K03", members=25)
    b.meeting(session, k03, nov21, list(range(1, 21)))
    b.reading(session, k03, 5, nov21, (190, 100))
    b.reading(session, k03, 6, nov21, (85, 60))
    b.reading(session, k03, 7, nov21, (120, 80))
    b.reading(session, k03, 5, date(2026, 11, 25), (182, 95))
    b.activity(session, k03, 7, nov21)

    k20 = make_board_club(session, "K20", members=10)
    b.meeting(session, k20, nov21, list(range(1, 11)))
    behind = b.loan(session, k20, 6, 1_000_000, date(2026, 8, 21), term=4)
    b.repay(session, behind, 250_000, date(2026, 9, 21))
    b.reading(session, k20, 5, nov21, (200, 120), voided=True)

    sup = add_supervisor(session, name="Le Van Hung", phone=SUP_PHONE, communes=["23764"])
    sup_en = add_supervisor(
        session, name="Anna", phone=SUP_EN_PHONE, language="en", club_ids=[k12.id]
    )
    sup_province = add_supervisor(
        session, name="Tran Thi Mai", phone=SUP_PROVINCE_PHONE, language="vi_dau", provinces=["52"]
    )
    sup_idle = add_supervisor(session, name="Nghi Huu", phone=SUP_IDLE_PHONE, communes=["23764"])
    sup_idle.active = False
    for club in (k12, k07, k03, k20):
        club.created_at = datetime(2026, 1, 1, tzinfo=UTC)
    session.flush()
    return Area(k12, k07, k03, k20, sup, sup_en, sup_province, sup_idle)


@pytest.fixture
def area(session: Session) -> Area:
    return build_area(session)
