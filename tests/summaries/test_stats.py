"""Club and area figures from models.stats on the four-club area."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from models.admin import add_supervisor, supervisor_club_ids
from models.clubs import Club
from models.enums import InterestMethod
from models.ledger import add_months, build_schedule, loan_state
from models.stats import (
    area_month_summary,
    area_summaries,
    club_month_summary,
    clubs_month_summaries,
    instalment_number_on,
    instalment_owing,
    loan_overdue,
    meeting_date,
    meets_on,
    month_to_date,
    previous_month,
    reported_club_ids,
    rolling_month,
    supervisor_clubs,
)
from tests.factories import make_club
from tests.summaries.conftest import TODAY, Area


def test_healthy_club_figures(session, area: Area) -> None:
    s = club_month_summary(session, area.k12.id, TODAY)

    assert (s.code, s.period_start, s.period_end) == ("K12", date(2026, 11, 1), TODAY)
    assert s.reported and not s.silent and s.last_report_on == date(2026, 11, 26)
    assert (s.meetings, s.meeting_on, s.present, s.active_members) == (
        1,
        date(2026, 11, 21),
        30,
        40,
    )
    assert s.attendance_pct == 75
    assert (s.repaid_vnd, s.repayments) == (600_000, 2)  # the voided 300.000d left out
    assert (s.overdue_loans, s.overdue_vnd) == (0, 0)
    assert (s.readings, s.red_alerts, s.red_members) == (11, 1, 1)
    # 4-8 reported with MANG; 1, 2 and 3 follow from repayments, readings and home visits.
    assert s.areas == (1, 2, 3, 4, 5, 6, 7, 8) and s.all_areas
    assert (s.home_visits, s.open_help) == (2, 1)
    assert s.needs_attention  # a red alert


def test_silent_club_keeps_its_last_report_and_overdue_loan(session, area: Area) -> None:
    s = club_month_summary(session, area.k07.id, TODAY)

    assert s.silent and not s.reported
    assert s.last_report_on == date(2026, 9, 21)  # the cancelled report of 22/11 does not count
    assert (s.meetings, s.meeting_on, s.present) == (0, None, 0)
    assert (s.overdue_loans, s.overdue_vnd) == (1, 1_000_000)  # 5 instalments of 200.000d
    assert s.areas == () and s.attendance_pct is None


def test_red_alerts_count_readings_and_members(session, area: Area) -> None:
    s = club_month_summary(session, area.k03.id, TODAY)
    assert (s.readings, s.red_alerts, s.red_members) == (4, 3, 2)
    assert s.areas == (2, 7)


def test_voided_records_do_not_count(session, area: Area) -> None:
    s = club_month_summary(session, area.k20.id, TODAY)
    assert (s.readings, s.red_alerts) == (0, 0)
    assert (s.overdue_loans, s.overdue_vnd) == (1, 500_000)
    assert s.areas == ()


def test_overdue_matches_the_ledger(session, area: Area) -> None:
    from models.ledger import Loan

    for loan in session.scalars(select(Loan)):
        state = loan.state(TODAY)
        got = loan_overdue(
            loan.principal_vnd,
            loan.interest_pct_month,
            loan.interest_method,
            loan.term_months,
            loan.disbursed_on,
            loan.paid_vnd(),
            TODAY,
        )
        assert got == (state.overdue_count, state.overdue_amount)


def test_area_totals_and_weakest_first(session, area: Area) -> None:
    a = area_month_summary(session, area.sup.id, TODAY)

    assert [c.code for c in a.clubs] == ["K07", "K03", "K12", "K20"]
    assert [c.code for c in a.attention] == ["K07", "K03", "K12", "K20"]
    assert (a.club_count, a.reported, a.silent) == (4, 3, 1)
    assert (a.meetings_held, a.present, a.members_at_meeting_clubs) == (3, 60, 75)
    assert a.attendance_pct == 80
    assert (a.repaid_vnd, a.repayments) == (600_000, 2)
    assert (a.overdue_loans, a.overdue_vnd) == (2, 1_500_000)
    assert (a.readings, a.red_alerts, a.red_members) == (15, 4, 3)
    assert (a.all_areas, a.home_visits, a.open_help) == (1, 2, 1)


def test_areas_of_many_supervisors_share_the_clubs(session, area: Area) -> None:
    start, end = month_to_date(TODAY)
    areas = area_summaries(session, start, end)

    assert areas[area.sup_en.id].club_count == 1
    assert areas[area.sup_en.id].clubs[0].code == "K12"
    assert areas[area.sup_province.id].club_count == 4
    assert areas[area.sup.id] == area_month_summary(session, area.sup.id, TODAY)
    active = area_summaries(session, start, end, active_only=True)
    assert area.sup_idle.id not in active and area.sup.id in active


def test_supervisor_clubs_agree_with_admin(session, area: Area) -> None:
    other = make_club(session, "X99")
    lone = add_supervisor(session, name="One club", phone="+84915000904", club_ids=[other.id])
    found = supervisor_clubs(session)
    for sup in (area.sup, area.sup_en, area.sup_province, area.sup_idle, lone):
        assert sorted(found[sup.id]) == sorted(supervisor_club_ids(session, sup.id))


def test_empty_area(session) -> None:
    sup = add_supervisor(session, name="Nobody", phone="+84915000905", communes=[])
    a = area_month_summary(session, sup.id, TODAY)
    assert a.club_count == 0 and a.clubs == () and a.attendance_pct is None


def test_unknown_club(session) -> None:
    with pytest.raises(LookupError):
        club_month_summary(session, 999_999, TODAY)


def test_reported_club_ids_agree_with_summaries(session, area: Area) -> None:
    ids = [c.id for c in (area.k12, area.k07, area.k03, area.k20)]
    for start, end in (month_to_date(TODAY), rolling_month(TODAY), (date(2026, 9, 1), TODAY)):
        summaries = clubs_month_summaries(session, ids, start, end)
        assert reported_club_ids(session, ids, start, end) == {
            c.club_id for c in summaries.values() if c.reported
        }
    assert clubs_month_summaries(session, [], *month_to_date(TODAY)) == {}
    assert reported_club_ids(session, [], *month_to_date(TODAY)) == set()


def test_past_period_counts_repayments_up_to_its_end(session, area: Area) -> None:
    start, end = previous_month(TODAY)
    s = clubs_month_summaries(session, [area.k07.id], start, end)[area.k07.id]
    # As of 31/10: instalments of 21/06-21/10 due, one paid.
    assert (s.overdue_loans, s.overdue_vnd) == (1, 800_000)
    assert s.silent and s.last_report_on == date(2026, 9, 21)


def test_periods() -> None:
    assert month_to_date(date(2026, 11, 28)) == (date(2026, 11, 1), date(2026, 11, 28))
    assert previous_month(date(2026, 1, 1)) == (date(2025, 12, 1), date(2025, 12, 31))
    assert rolling_month(date(2026, 11, 29)) == (date(2026, 10, 30), date(2026, 11, 29))
    assert rolling_month(date(2026, 3, 30)) == (date(2026, 3, 1), date(2026, 3, 30))
    assert meeting_date(31, 2026, 2) == date(2026, 2, 28)
    assert meeting_date(21, 2026, 2) == date(2026, 2, 21)


def test_meets_on_clamps_to_the_month_end(session) -> None:
    for code, day in (("M30", 30), ("M31", 31), ("M21", 21)):
        make_club(session, code).meeting_day = day
    session.flush()

    def clubs_on(day: date) -> set[str]:
        return set(session.scalars(select(Club.code).where(meets_on(day))))

    assert clubs_on(date(2026, 11, 30)) == {"M30", "M31"}
    assert clubs_on(date(2026, 12, 30)) == {"M30"}
    assert clubs_on(date(2026, 12, 31)) == {"M31"}
    assert clubs_on(date(2026, 2, 28)) == {"M30", "M31"}
    assert clubs_on(date(2026, 11, 21)) == {"M21"}


loans = st.tuples(
    st.integers(1, 500).map(lambda k: k * 100_000),
    st.sampled_from(["0", "0.5", "1", "1.5", "0.833"]).map(Decimal),
    st.sampled_from(list(InterestMethod)),
    st.integers(1, 36),
    st.dates(date(2024, 1, 1), date(2027, 12, 31)),
)


@given(loan=loans, paid_share=st.floats(0, 1.2), days=st.integers(-40, 1200))
def test_loan_overdue_is_loan_state(loan, paid_share: float, days: int) -> None:
    principal, pct, method, term, disbursed_on = loan
    schedule = build_schedule(principal, pct, method, term, disbursed_on)
    total = sum(i.amount for i in schedule)
    paid = int(total * paid_share)
    as_of = date.fromordinal(disbursed_on.toordinal() + days)
    state = loan_state(schedule, paid, as_of)

    assert loan_overdue(principal, pct, method.value, term, disbursed_on, paid, as_of) == (
        state.overdue_count,
        state.overdue_amount,
    )
    for inst in schedule:
        assert instalment_number_on(disbursed_on, term, inst.due_on) == inst.number
        before = sum(i.amount for i in schedule if i.number < inst.number)
        owing = inst.amount - min(max(paid - before, 0), inst.amount)
        assert instalment_owing(principal, pct, method.value, term, inst.number, paid) == owing
    assert instalment_number_on(disbursed_on, term, add_months(disbursed_on, term + 1)) is None
