"""The revolving loan fund: loans, repayments, and the schedule derived from them.

Nothing derived is stored: balance, instalments due and overdue follow from the loan's terms and
the (non-voided) repayments every time they are asked for.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, Numeric, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from menus.clock import utcnow
from models.db import Base
from models.enums import InterestMethod
from models.records import RecordedRow


class Loan(RecordedRow, Base):
    __tablename__ = "loans"
    __table_args__ = (
        CheckConstraint("principal_vnd > 0", name="principal"),
        CheckConstraint("term_months BETWEEN 1 AND 120", name="term"),
        Index("ix_loans_member_disbursed", "member_id", "disbursed_on"),
    )
    counted_on = "disbursed_on"
    id: Mapped[int] = mapped_column(primary_key=True)
    club_id: Mapped[int] = mapped_column(ForeignKey("clubs.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    principal_vnd: Mapped[int] = mapped_column(Integer)
    interest_pct_month: Mapped[Decimal] = mapped_column(Numeric(5, 3), default=Decimal("0"))
    interest_method: Mapped[str] = mapped_column(String(16), default=InterestMethod.FLAT)
    term_months: Mapped[int] = mapped_column(Integer)
    disbursed_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    repayments: Mapped[list[Repayment]] = relationship(back_populates="loan", lazy="selectin")

    def paid_vnd(self) -> int:
        return sum(r.amount_vnd for r in self.repayments if r.voided_at is None)

    def schedule(self) -> list[Instalment]:
        return build_schedule(
            self.principal_vnd,
            Decimal(self.interest_pct_month),
            InterestMethod(self.interest_method),
            self.term_months,
            self.disbursed_on,
        )

    def total_due_vnd(self) -> int:
        return sum(i.amount for i in self.schedule())

    def balance_vnd(self) -> int:
        return max(self.total_due_vnd() - self.paid_vnd(), 0)

    def state(self, today: date) -> LoanState:
        return loan_state(self.schedule(), self.paid_vnd(), today)


class Repayment(RecordedRow, Base):
    __tablename__ = "repayments"
    __table_args__ = (
        CheckConstraint("amount_vnd > 0", name="amount"),
        Index("ix_repayments_club_paid", "club_id", "paid_on"),
    )
    counted_on = "paid_on"
    id: Mapped[int] = mapped_column(primary_key=True)
    loan_id: Mapped[int] = mapped_column(ForeignKey("loans.id"), index=True)
    club_id: Mapped[int] = mapped_column(ForeignKey("clubs.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    amount_vnd: Mapped[int] = mapped_column(Integer)
    paid_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    loan: Mapped[Loan] = relationship(back_populates="repayments")


@dataclass(frozen=True)
class Instalment:
    number: int
    due_on: date
    principal: int
    interest: int

    @property
    def amount(self) -> int:
        return self.principal + self.interest


@dataclass(frozen=True)
class LoanState:
    total_due: int
    paid: int
    balance: int
    overdue_count: int
    overdue_amount: int
    next_due_on: date | None
    next_due_amount: int


def add_months(d: date, months: int) -> date:
    """Same day n months later, clamped to the month's end (31 Jan + 1 = 28/29 Feb)."""
    month0 = d.month - 1 + months
    year, month = d.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def _vnd(x: Decimal) -> int:
    return int(x.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def build_schedule(
    principal: int, pct_month: Decimal, method: InterestMethod, term: int, disbursed_on: date
) -> list[Instalment]:
    """Monthly instalments: equal principal parts (the last takes the remainder) plus interest."""
    rate = pct_month / Decimal(100)
    part = principal // term
    remaining = principal
    out: list[Instalment] = []
    for k in range(1, term + 1):
        p = part if k < term else remaining
        base = principal if method == InterestMethod.FLAT else remaining
        out.append(Instalment(k, add_months(disbursed_on, k), p, _vnd(Decimal(base) * rate)))
        remaining -= p
    return out


def loan_state(schedule: list[Instalment], paid: int, today: date) -> LoanState:
    """Allocate what was paid to instalments in order; unpaid ones due before today are overdue."""
    total = sum(i.amount for i in schedule)
    left = paid
    overdue_count = overdue_amount = 0
    first_overdue_on: date | None = None
    next_due_on: date | None = None
    next_due_amount = 0
    for inst in schedule:
        covered = min(left, inst.amount)
        left -= covered
        owing = inst.amount - covered
        if owing == 0:
            continue
        if inst.due_on < today:
            overdue_count += 1
            overdue_amount += owing
            first_overdue_on = first_overdue_on or inst.due_on
        elif next_due_on is None:
            next_due_on, next_due_amount = inst.due_on, owing
    if next_due_on is None and overdue_count:
        # Past its term: what is "next" is the oldest instalment still owing, all of it now.
        next_due_on, next_due_amount = first_overdue_on, overdue_amount
    return LoanState(
        total,
        paid,
        max(total - paid, 0),
        overdue_count,
        overdue_amount,
        next_due_on,
        next_due_amount,
    )


class RepaymentRefused(Exception):
    """A repayment that the ledger cannot take; carries a user-facing code."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


def open_loans(session: Session, member_id: int) -> list[Loan]:
    """The member's loans with something left to pay, oldest first."""
    # Locked (PostgreSQL) so two repayments for one member at once cannot both pass the check.
    loans = session.scalars(
        select(Loan)
        .where(Loan.member_id == member_id, Loan.voided_at.is_(None))
        .order_by(Loan.disbursed_on, Loan.id)
        .with_for_update()
    ).all()
    return [loan for loan in loans if loan.balance_vnd() > 0]


def apply_repayment(
    session: Session, member_id: int, amount: int, paid_on: date, report_id: int | None
) -> tuple[Repayment, Loan]:
    """Record a repayment on the member's oldest open loan; never takes a balance below zero."""
    if amount <= 0:
        raise RepaymentRefused("bad_amount", amount=amount)
    loans = open_loans(session, member_id)
    if not loans:
        raise RepaymentRefused("no_open_loan")
    loan = loans[0]
    balance = loan.balance_vnd()
    if amount > balance:
        raise RepaymentRefused("over_balance", amount=amount, balance=balance)
    rep = Repayment(
        loan=loan,
        club_id=loan.club_id,
        member_id=member_id,
        amount_vnd=amount,
        paid_on=paid_on,
        report_id=report_id,
    )
    session.add(rep)
    session.flush()
    return rep, loan
