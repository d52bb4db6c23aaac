"""Read-side views (models/views.py) and their text (menus/views.py), shared by USSD and SMS."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from menus.encoding import count_segments, is_gsm7
from menus.views import render_fund, render_health, render_loan, render_meeting
from models.enums import MemberStatus
from models.records import Attendance, FundContribution, HealthReading, Meeting
from models.views import (
    Caller,
    FundView,
    HealthView,
    LoanView,
    MeetingView,
    Payment,
    Reading,
    callers,
    check_pin,
    club_roster,
    fund_view,
    hash_pin,
    health_view,
    loan_view,
    meeting_view,
    next_meeting,
    set_pin,
    verify_pin,
)
from tests.factories import MEMBER_PHONE, SHARED_PHONE
from tests.ussd.conftest import TODAY, add_loan, member

LANGS = ("vi", "vi_dau", "en")
PAID = ((date(2026, 8, 21), 200_000), (date(2026, 9, 21), 200_000), (date(2026, 10, 15), 100_000))


def readings(session: Any, club: Any, number: int = 12) -> None:
    m = member(club, number)
    for on, s, d, grade, alert in [
        (date(2026, 9, 21), 135, 85, "high_normal", "none"),
        (date(2026, 10, 21), 145, 92, "grade_1", "none"),
        (date(2026, 11, 20), 182, 112, "grade_3", "red"),
    ]:
        session.add(
            HealthReading(
                club_id=club.id,
                member_id=m.id,
                taken_on=on,
                systolic=s,
                diastolic=d,
                grade=grade,
                alert=alert,
            )
        )
    # A weight-only reading is not a blood-pressure reading.
    session.add(HealthReading(club_id=club.id, member_id=m.id, taken_on=TODAY, weight_kg=52))
    session.flush()


def test_loan_view_sums_open_loans_and_lists_the_last_three_repayments(session, club):
    add_loan(session, club, paid=PAID)
    view = loan_view(session, member(club, 12).id, TODAY)
    assert view == LoanView(
        open_loans=1,
        balance=1_500_000,
        next_due_on=date(2026, 11, 21),
        next_due_amount=200_000,
        overdue_count=1,
        overdue_amount=100_000,
        last_payments=(
            Payment(date(2026, 10, 15), 100_000),
            Payment(date(2026, 9, 21), 200_000),
            Payment(date(2026, 8, 21), 200_000),
        ),
    )
    assert render_loan(view, "vi") == (
        "Con no: 1.500.000d\nKy toi 21/11: 200.000d\nQua han 1 ky: 100.000d\n"
        "Da tra: 15/10 100.000d, 21/09 200.000d, 21/08 200.000d"
    )


def test_loan_view_without_loans_and_with_two(session, club):
    assert loan_view(session, member(club, 12).id, TODAY).open_loans == 0
    assert render_loan(loan_view(session, member(club, 12).id, TODAY), "vi") == (
        "Ban khong co khoan vay nao."
    )
    add_loan(session, club, paid=PAID)
    add_loan(session, club, principal=1_000_000, disbursed=date(2026, 11, 5))
    view = loan_view(session, member(club, 12).id, TODAY)
    assert (view.open_loans, view.balance) == (2, 2_500_000)
    assert view.next_due_on == date(2026, 11, 21)  # the earlier of 21/11 and 05/12
    assert render_loan(view, "en").startswith("Balance (2 loans): 2.500.000d")


def test_a_loan_paid_off_or_voided_is_not_open(session, club):
    from menus.clock import utcnow

    paid = add_loan(session, club, principal=1_000_000, paid=((date(2026, 8, 1), 1_000_000),))
    void = add_loan(session, club)
    void.voided_at = utcnow()
    session.flush()
    view = loan_view(session, member(club, 12).id, TODAY)
    assert view.open_loans == 0 and view.last_payments == (Payment(date(2026, 8, 1), 1_000_000),)
    assert paid.balance_vnd() == 0


def test_overdue_loan_with_nothing_left_to_fall_due_has_no_next_instalment(session, club):
    add_loan(session, club, disbursed=date(2025, 1, 10))
    view = loan_view(session, member(club, 12).id, TODAY)
    assert view.next_due_on is None and view.overdue_count == 10
    assert "Ky toi" not in render_loan(view, "vi")


def test_health_view_grades_alerts_and_trend(session, club):
    readings(session, club)
    view = health_view(session, member(club, 12).id)
    assert [r.systolic for r in view.readings] == [182, 145, 135]
    assert view.trend == "up"
    assert render_health(view, "vi") == (
        "Huyet ap:\n20/11 182/112 cao do 3 (CANH BAO)\n21/10 145/92 cao do 1\n"
        "21/09 135/85 binh thuong cao\nDang tang"
    )
    assert render_health(health_view(session, member(club, 13).id), "en") == (
        "No blood pressure reading yet."
    )


@pytest.mark.parametrize(
    ("newer", "older", "trend"),
    [
        ((150, 95, "grade_1"), (120, 75, "normal"), "up"),
        ((120, 75, "normal"), (150, 95, "grade_1"), "down"),
        ((148, 92, "grade_1"), (145, 90, "grade_1"), "same"),
        ((158, 92, "grade_1"), (142, 90, "grade_1"), "up"),
        ((85, 55, "low"), (118, 70, "optimal"), "down"),
    ],
)
def test_bp_trend(newer, older, trend):
    from models.views import bp_trend

    def reading(s: int, d: int, g: str) -> Reading:
        return Reading(TODAY, s, d, g, "none")

    assert bp_trend(reading(*newer), reading(*older)) == trend


def test_meeting_view_counts_this_years_meetings_and_mine(session, club):
    m = member(club, 12)
    for on, present in [
        (date(2025, 12, 21), True),
        (date(2026, 9, 21), False),
        (date(2026, 10, 21), True),
    ]:
        meeting = Meeting(club_id=club.id, held_on=on)
        session.add(meeting)
        session.flush()
        if present:
            session.add(Attendance(meeting_id=meeting.id, member_id=m.id))
    session.flush()
    view = meeting_view(session, m, TODAY)
    assert view == MeetingView(date(2026, 11, 21), "Nha van hoa thon", attended=1, held=2)
    assert render_meeting(view, "vi") == (
        "Sinh hoat toi: 21/11\nTai: Nha van hoa thon\nNam nay ban du 1/2 buoi."
    )


@pytest.mark.parametrize(
    ("day", "today", "expected"),
    [
        (21, date(2026, 11, 20), date(2026, 11, 21)),
        (21, date(2026, 11, 21), date(2026, 11, 21)),
        (21, date(2026, 11, 22), date(2026, 12, 21)),
        (31, date(2027, 2, 10), date(2027, 2, 28)),
        (5, date(2026, 12, 6), date(2027, 1, 5)),
    ],
)
def test_next_meeting(day, today, expected):
    assert next_meeting(day, today) == expected


def test_fund_view(session, club):
    club.fund_opening_vnd = 30_000_000
    add_loan(session, club, paid=PAID)
    m = member(club, 12)
    session.add_all(
        [
            FundContribution(club_id=club.id, member_id=m.id, amount_vnd=100_000, given_on=TODAY),
            FundContribution(club_id=club.id, member_id=None, amount_vnd=2_000_000, given_on=TODAY),
            FundContribution(
                club_id=club.id, member_id=member(club, 13).id, amount_vnd=50_000, given_on=TODAY
            ),
        ]
    )
    session.flush()
    view = fund_view(session, m, TODAY)
    assert view == FundView(balance=30_000_000 + 2_150_000 + 500_000 - 2_000_000, mine=100_000)
    assert render_fund(view, "vi") == "Quy CLB: 30.650.000d\nBan da gop: 100.000d"
    assert render_fund(view, "vi_dau") == "Quỹ CLB: 30.650.000đ\nBạn đã góp: 100.000đ"


def test_callers_and_roster(session, club):
    shared = callers(session, SHARED_PHONE)
    assert [(c.kind, c.number, c.first_name) for c in shared] == [
        ("member", 20, "Lan"),
        ("member", 21, "Lan"),
    ]
    one = callers(session, MEMBER_PHONE)[0]
    assert one.roles == frozenset() and one.language == "vi" and not one.pin_required
    assert callers(session, "+84999999999") == ()
    from models.admin import set_roles
    from tests.factories import SECRETARY_PHONE

    set_roles(session, member(club, 1), ["secretary", "treasurer"])
    (board,) = callers(session, SECRETARY_PHONE)
    assert (board.number, board.roles) == (1, frozenset({"secretary", "treasurer"}))
    member(club, 40).status = MemberStatus.LEFT
    session.flush()
    roster = club_roster(session, club.id)
    assert roster[1] == "Thanh" and 40 not in roster and len(roster) == 39


def test_pins(session, club):
    assert verify_pin("1234", hash_pin("1234"))
    assert not verify_pin("1235", hash_pin("1234"))
    for broken in (None, "", "x$y", "pbkdf2_sha256$abc$zz$00", "md5$1$00$00"):
        assert not verify_pin("1234", broken)
    m = member(club, 12)
    set_pin(session, m, "0420")
    assert check_pin(session, m.id, "0420") and not check_pin(session, m.id, "0421")
    with pytest.raises(ValueError):
        set_pin(session, m, "12a4")
    set_pin(session, m, None)
    assert m.pin_hash is None


# Texts at their longest: the SMS answer must stay one GSM-7 SMS in "vi". A member's loans are
# 2-20 million and repayments up to 2 million (DOMAIN.md): these bounds are ten to fifty times that.
BIG = 999_999_999
WORST = {
    "loan": LoanView(
        3,
        BIG,
        date(2026, 12, 31),
        BIG,
        99,
        BIG,
        tuple(Payment(date(2026, 12, 31), 99_999_999) for _ in range(3)),
    ),
    "health": HealthView(
        tuple(Reading(date(2026, 12, 31), 260, 160, "high_normal", "red") for _ in range(3)), "same"
    ),
    "meeting": MeetingView(date(2026, 12, 31), "Nha van hoa " + "rat dai " * 30, 999, 999),
    "fund": FundView(-BIG, BIG),
}
RENDER = {
    "loan": render_loan,
    "health": render_health,
    "meeting": render_meeting,
    "fund": render_fund,
}


@pytest.mark.parametrize("name", sorted(WORST))
def test_longest_views_fit_one_sms_in_vi(name):
    text = RENDER[name](WORST[name], "vi")  # type: ignore[operator]
    assert is_gsm7(text) and count_segments(text)[1] == 1, (len(text), text)
    for lang in LANGS:
        assert RENDER[name](WORST[name], lang)  # type: ignore[operator]


def test_loan_drops_older_repayments_rather_than_overflow_an_sms():
    huge = LoanView(
        3,
        10**10,
        date(2026, 12, 31),
        10**10,
        99,
        10**10,
        tuple(Payment(date(2026, 12, 31), 10**10) for _ in range(3)),
    )
    text = render_loan(huge, "vi")
    assert len(text) <= 160 and text.count("31/12") == 3  # next, and two repayments
    assert render_loan(huge, "vi", width=1000).count("31/12") == 4


def test_caller_is_hashable_for_the_hop_memo():
    assert hash(Caller(kind="member", id=1, first_name="Lan", language="vi"))
