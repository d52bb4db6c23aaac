"""Recording VAY (a loan), TRA (repayments) and GOP (money into the fund); the board sends them."""

from __future__ import annotations

from datetime import date

from menus.sms.ledger import GopArgs, Payment, TraArgs, VayArgs
from models.ledger import Loan, RepaymentRefused, apply_repayment
from models.records import FundContribution
from workers.sms.core import (
    BOARD,
    Allowed,
    Ctx,
    Handler,
    Outcome,
    Refused,
    check_amount,
    club_member,
    record_each,
)

MAX_LOAN = 500_000_000  # far above any club loan (2-20 million); catches "5000tr" slips
MAX_FUND_GIFT = 2_000_000_000  # also below what the integer money columns hold


def record_vay(ctx: Ctx, args: VayArgs, on: date) -> Outcome:
    assert ctx.club is not None
    check_amount(ctx, args.amount, MAX_LOAN)
    m = club_member(ctx, args.member)
    months = args.months or ctx.club.loan_default_term_months
    loan = Loan(
        club_id=ctx.club.id,
        member_id=m.id,
        principal_vnd=args.amount,
        interest_pct_month=ctx.club.loan_interest_pct_month,
        interest_method=ctx.club.loan_interest_method,
        term_months=months,
        disbursed_on=on,
        report_id=ctx.get_report().id,
    )
    ctx.session.add(loan)
    ctx.session.flush()
    frag = ctx.tr("reply.frag.vay", member=m.number, amount=ctx.money(args.amount), months=months)
    ctx.summary.append(frag)
    return Outcome("VAY", fragment=frag)


def record_tra(ctx: Ctx, args: TraArgs, on: date) -> Outcome:
    report = ctx.get_report()

    def pay(p: Payment) -> tuple[int, int, int]:
        check_amount(ctx, p.amount, MAX_LOAN)
        m = club_member(ctx, p.member)
        try:
            _, loan = apply_repayment(ctx.session, m.id, p.amount, on, report.id)
        except RepaymentRefused as exc:
            params = {"member": p.member, "amount": ctx.money(p.amount)}
            if "balance" in exc.params:
                params["balance"] = ctx.money(int(exc.params["balance"]))  # type: ignore[arg-type]
            raise Refused(exc.code, **params) from None
        ctx.session.refresh(loan)
        return p.member, p.amount, loan.balance_vnd()

    done, refused = record_each(ctx, args.payments, pay)
    if len(done) == 1:
        number, amount, balance = done[0]
        frag = ctx.tr(
            "reply.frag.tra_one",
            member=number,
            amount=ctx.money(amount),
            balance=ctx.money(balance),
        )
    else:
        frag = ctx.tr(
            "reply.frag.tra_many", count=len(done), amount=ctx.money(sum(a for _, a, _ in done))
        )
    ctx.summary.append(frag)
    return Outcome("TRA", fragment=frag, refused=refused)


def record_gop(ctx: Ctx, args: GopArgs, on: date) -> Outcome:
    assert ctx.club is not None
    check_amount(ctx, args.amount, MAX_FUND_GIFT)
    m = club_member(ctx, args.member) if args.member else None
    ctx.session.add(
        FundContribution(
            club_id=ctx.club.id,
            member_id=m.id if m else None,
            amount_vnd=args.amount,
            given_on=on,
            note=args.note or None,
            report_id=ctx.get_report().id,
        )
    )
    ctx.session.flush()
    if m is not None:
        frag = ctx.tr("reply.frag.gop_member", member=m.number, amount=ctx.money(args.amount))
    else:
        frag = ctx.tr("reply.frag.gop_outside", amount=ctx.money(args.amount))
    ctx.summary.append(frag)
    return Outcome("GOP", fragment=frag)


HANDLERS: tuple[Handler, ...] = (
    Handler(VayArgs, record_vay, Allowed(BOARD)),
    Handler(TraArgs, record_tra, Allowed(BOARD)),
    Handler(GopArgs, record_gop, Allowed(BOARD)),
)
