"""The loan ledger: schedule, balance, overdue instalments, repayments."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.enums import InterestMethod
from models.ledger import (
    Loan,
    RepaymentRefused,
    add_months,
    apply_repayment,
    build_schedule,
    loan_state,
)
from tests.factories import make_board_club


def _member(session, number=12):
    club = make_board_club(session)
    return club, next(m for m in club.members if m.number == number)


def _loan(
    session, club, member, principal=5_000_000, term=10, on=date(2026, 1, 21), pct=Decimal("0")
):
    loan = Loan(
        club_id=club.id,
        member_id=member.id,
        principal_vnd=principal,
        interest_pct_month=pct,
        interest_method="flat",
        term_months=term,
        disbursed_on=on,
    )
    session.add(loan)
    session.flush()
    return loan


def test_add_months_clamps_to_month_end():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2026, 11, 21), 2) == date(2027, 1, 21)


def test_flat_schedule_sums_principal_and_interest():
    s = build_schedule(5_000_000, Decimal("1"), InterestMethod.FLAT, 12, date(2026, 1, 21))
    assert len(s) == 12
    assert sum(i.principal for i in s) == 5_000_000
    assert all(i.interest == 50_000 for i in s)
    assert s[0].due_on == date(2026, 2, 21)


def test_declining_schedule_charges_less_interest_each_month():
    s = build_schedule(6_000_000, Decimal("1"), InterestMethod.DECLINING, 6, date(2026, 1, 1))
    assert [i.interest for i in s] == [60_000, 50_000, 40_000, 30_000, 20_000, 10_000]


def test_uneven_principal_goes_to_last_instalment():
    s = build_schedule(1_000_000, Decimal("0"), InterestMethod.FLAT, 3, date(2026, 1, 1))
    assert [i.principal for i in s] == [333_333, 333_333, 333_334]


def test_repayment_lowers_balance(session):
    club, m = _member(session)
    loan = _loan(session, club, m)
    rep, same = apply_repayment(session, m.id, 450_000, date(2026, 2, 21), None)
    assert same.id == loan.id and rep.amount_vnd == 450_000
    session.refresh(loan)
    assert loan.balance_vnd() == 4_550_000


def test_repayment_can_never_take_balance_below_zero(session):
    club, m = _member(session)
    loan = _loan(session, club, m, principal=1_000_000)
    with pytest.raises(RepaymentRefused) as exc:
        apply_repayment(session, m.id, 1_000_001, date(2026, 2, 1), None)
    assert exc.value.code == "over_balance" and exc.value.params["balance"] == 1_000_000
    apply_repayment(session, m.id, 1_000_000, date(2026, 2, 1), None)
    session.refresh(loan)
    assert loan.balance_vnd() == 0
    with pytest.raises(RepaymentRefused) as exc:
        apply_repayment(session, m.id, 100_000, date(2026, 2, 2), None)
    assert exc.value.code == "no_open_loan"


def test_repayment_goes_to_oldest_open_loan(session):
    club, m = _member(session)
    old = _loan(session, club, m, principal=1_000_000, on=date(2025, 6, 1))
    new = _loan(session, club, m, principal=2_000_000, on=date(2026, 1, 1))
    _, first = apply_repayment(session, m.id, 1_000_000, date(2026, 2, 1), None)
    assert first.id == old.id
    _, second = apply_repayment(session, m.id, 500_000, date(2026, 2, 2), None)
    assert second.id == new.id


def test_voided_repayment_no_longer_counts(session):
    from menus.clock import utcnow

    club, m = _member(session)
    loan = _loan(session, club, m, principal=1_000_000)
    rep, _ = apply_repayment(session, m.id, 400_000, date(2026, 2, 1), None)
    rep.voided_at = utcnow()
    session.flush()
    session.refresh(loan)
    assert loan.balance_vnd() == 1_000_000


def test_overdue_follows_schedule_and_repayments(session):
    club, m = _member(session)
    loan = _loan(session, club, m, principal=1_000_000, term=10, on=date(2026, 1, 21))
    # Due 21 Feb, 21 Mar, 21 Apr ... each 100,000. On 1 May three are due, none paid.
    st0 = loan.state(date(2026, 5, 1))
    assert (st0.overdue_count, st0.overdue_amount) == (3, 300_000)
    assert st0.next_due_on == date(2026, 5, 21)
    apply_repayment(session, m.id, 150_000, date(2026, 4, 30), None)
    session.refresh(loan)
    st1 = loan.state(date(2026, 5, 1))
    assert (st1.overdue_count, st1.overdue_amount) == (2, 150_000)
    # Part-paid: the first instalment is covered, 50,000 of the second is.
    st2 = loan.state(date(2026, 2, 21))
    assert st2.overdue_count == 0
    assert (st2.next_due_on, st2.next_due_amount) == (date(2026, 3, 21), 50_000)


def test_instalment_due_today_is_not_yet_overdue():
    sched = build_schedule(1_000_000, Decimal("0"), InterestMethod.FLAT, 10, date(2026, 1, 21))
    s = loan_state(sched, 0, date(2026, 2, 21))
    assert s.overdue_count == 0 and s.next_due_on == date(2026, 2, 21)
    assert loan_state(sched, 0, date(2026, 2, 22)).overdue_count == 1


@given(
    principal=st.integers(1_000_000, 50_000_000),
    term=st.integers(1, 36),
    pct=st.decimals("0", "2", places=2),
    paid=st.integers(0, 80_000_000),
    days=st.integers(0, 1500),
)
def test_loan_state_invariants(principal, term, pct, paid, days):
    d0 = date(2026, 1, 15)
    sched = build_schedule(principal, pct, InterestMethod.FLAT, term, d0)
    today = date.fromordinal(d0.toordinal() + days)
    s = loan_state(sched, min(paid, sum(i.amount for i in sched)), today)
    assert s.balance >= 0
    assert s.overdue_amount <= s.balance
    assert sum(i.principal for i in sched) == principal


def test_past_its_term_the_next_due_is_the_oldest_instalment_still_owing():
    sched = build_schedule(1_000_000, Decimal("0"), InterestMethod.FLAT, 2, date(2026, 1, 10))
    s = loan_state(sched, 500_000, date(2026, 6, 1))  # the first instalment was paid
    assert (s.overdue_count, s.overdue_amount) == (1, 500_000)
    assert (s.next_due_on, s.next_due_amount) == (date(2026, 3, 10), 500_000)
