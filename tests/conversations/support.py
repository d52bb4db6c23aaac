"""Helpers shared by the SMS tests: a quicker burst worker, members and loans for a test club."""

from __future__ import annotations

from datetime import date

from redis import Redis
from rq import SimpleWorker
from rq.job import Job
from rq.registry import FailedJobRegistry
from sqlalchemy.orm import Session

from models.clubs import Club, Member
from models.ledger import Loan
from workers import QUEUES


class BurstWorker(SimpleWorker):
    """A real RQ SimpleWorker without the pub/sub control thread, whose shutdown costs ~0.15 s
    per burst (stop/kill commands are never sent in tests)."""

    def subscribe(self) -> None:
        self.pubsub_thread = None

    def unsubscribe(self) -> None:
        pass


def burst(redis_conn: Redis, *, allow_failures: bool = False) -> int:
    """Run the queues empty; failed jobs fail the test unless allowed (as tests/conftest.py)."""
    worker = BurstWorker(list(QUEUES), connection=redis_conn)
    worker.work(burst=True, with_scheduler=False)
    failed = [j for q in QUEUES for j in FailedJobRegistry(q, connection=redis_conn).get_job_ids()]
    if failed and not allow_failures:
        results = [Job.fetch(j, connection=redis_conn).latest_result() for j in failed]
        raise AssertionError(f"jobs failed: {[r.exc_string if r else None for r in results]}")
    return worker.successful_job_count


def member(session: Session, club: Club, number: int) -> Member:
    return next(m for m in club.members if m.number == number)


def give_loan(
    session: Session,
    club: Club,
    number: int = 12,
    principal: int = 2_000_000,
    disbursed_on: date = date(2026, 9, 21),
    term: int = 10,
) -> Loan:
    """An interest-free loan (the test club charges none) straight into the ledger."""
    loan = Loan(
        club_id=club.id,
        member_id=member(session, club, number).id,
        principal_vnd=principal,
        interest_pct_month=0,
        interest_method="flat",
        term_months=term,
        disbursed_on=disbursed_on,
    )
    session.add(loan)
    session.flush()
    return loan
