"""Set-based: the number of SQL statements does not grow with the number of clubs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime

from sqlalchemy import event
from sqlalchemy.orm import Session

from models.admin import add_supervisor, create_club
from models.clubs import Member, MemberRole
from models.enums import Role
from models.ledger import Loan, Repayment
from models.records import Activity, Attendance, HealthReading, HomeVisit, Meeting
from models.stats import area_month_summary, clubs_month_summaries, month_to_date
from tests.factories import ensure_place
from workers import summaries as jobs

TODAY = date(2026, 11, 28)


def _clubs(session: Session, n: int, commune: str) -> list[int]:
    """n clubs with members, a meeting, readings, a loan with repayments, activity and visits."""
    ensure_place(session, "52", "Gia Lai", commune, f"Xa {commune}")
    ids = []
    for k in range(n):
        club = create_club(
            session,
            code=f"C{commune[-3:]}{k:03d}",
            name=f"CLB {k}",
            province_code="52",
            commune_code=commune,
        )
        club.created_at = datetime(2026, 1, 1, tzinfo=UTC)
        members = [
            Member(
                club_id=club.id,
                number=i,
                full_name=f"TV {i}",
                phone=f"+849140{k:02d}{i:03d}" if i < 3 else None,
            )
            for i in range(1, 8)
        ]
        session.add_all(members)
        session.flush()
        session.add(MemberRole(member_id=members[0].id, role=Role.CHAIR.value))
        mtg = Meeting(club_id=club.id, held_on=date(2026, 11, 21))
        session.add(mtg)
        session.flush()
        session.add_all(Attendance(meeting_id=mtg.id, member_id=m.id) for m in members[:5])
        session.add_all(
            HealthReading(
                club_id=club.id,
                member_id=m.id,
                taken_on=date(2026, 11, 21),
                systolic=185 if m.number == 1 else 130,
                diastolic=85,
                alert="red" if m.number == 1 else "none",
            )
            for m in members
        )
        loan = Loan(
            club_id=club.id,
            member_id=members[1].id,
            principal_vnd=1_200_000,
            term_months=12,
            disbursed_on=date(2026, 5, 21),
        )
        session.add(loan)
        session.flush()
        session.add(
            Repayment(
                loan_id=loan.id,
                club_id=club.id,
                member_id=members[1].id,
                amount_vnd=100_000,
                paid_on=date(2026, 6, 21),
            )
        )
        session.add(Activity(club_id=club.id, area=5, held_on=date(2026, 11, 21), people=9))
        session.add(
            HomeVisit(club_id=club.id, member_id=members[2].id, visited_on=date(2026, 11, 22))
        )
        ids.append(club.id)
    session.flush()
    return ids


@contextmanager
def counting(session: Session) -> Iterator[list[str]]:
    statements: list[str] = []
    conn = session.connection()

    def count(_conn, _cursor, statement, *_args) -> None:  # noqa: ANN001
        statements.append(statement)

    event.listen(conn, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(conn, "before_cursor_execute", count)


def test_summaries_take_the_same_queries_for_3_and_30_clubs(session: Session) -> None:
    small = _clubs(session, 3, "10001")
    big = _clubs(session, 30, "10002")
    sup_small = add_supervisor(session, name="A", phone="+84915100001", communes=["10001"])
    sup_big = add_supervisor(session, name="B", phone="+84915100002", communes=["10002"])
    start, end = month_to_date(TODAY)

    with counting(session) as q_small:
        few = area_month_summary(session, sup_small.id, TODAY)
    with counting(session) as q_big:
        many = area_month_summary(session, sup_big.id, TODAY)
    assert (few.club_count, many.club_count) == (3, 30)
    assert (many.red_alerts, many.overdue_loans, many.present) == (30, 30, 150)
    assert len(q_small) == len(q_big) <= 3

    with counting(session) as q_small:
        clubs_month_summaries(session, small, start, end)
    with counting(session) as q_big:
        clubs_month_summaries(session, big, start, end)
    assert len(q_small) == len(q_big) == 2


def test_jobs_take_the_same_queries_for_3_and_30_clubs(session: Session, rt) -> None:
    """Every statement, the batched INSERTs included, is constant in the number of clubs."""

    def run(n: int, commune: str, year: int, month: int) -> tuple[int, int, int]:
        _clubs(session, n, commune)
        sup = add_supervisor(session, name=commune, phone=f"+8491520{commune}", communes=[commune])
        with counting(session) as weekly:
            assert jobs.weekly_supervisor_summaries(f"{year}-{month:02d}-07") == 1
        sup.active = False
        session.flush()
        with counting(session) as monthly:
            reports = jobs.monthly_club_reports(f"{year}-{month:02d}-01")
        with counting(session) as nudges:
            nudged = jobs.silent_club_nudges(f"{year}-{month:02d}-24")  # all silent that month
        assert reports == nudged > 0
        return len(weekly), len(monthly), len(nudges)

    assert run(3, "10003", 2026, 12) == run(30, "10004", 2027, 1)
