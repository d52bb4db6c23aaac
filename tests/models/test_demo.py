"""The demo the quick start loads: realistic, and loadable twice."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from models.admin import members_by_phone, supervisor_club_ids
from models.clubs import Club, Member, Supervisor
from models.demo import DEMO_CLUB, PHONES, seed_demo
from models.enums import Role
from models.ledger import Loan
from models.places import Commune, Province
from models.records import HealthReading, Meeting

TODAY = date(2026, 11, 28)


def test_demo_club_is_realistic_and_idempotent(session):
    club = seed_demo(session, TODAY)
    assert seed_demo(session, TODAY).id == club.id
    assert session.scalar(select(func.count()).select_from(Club)) == 2
    assert session.scalar(select(func.count()).select_from(Province)) == 34
    assert session.scalar(select(func.count()).select_from(Commune)) == 3321
    members = session.scalars(select(Member).where(Member.club_id == club.id)).all()
    assert len(members) == 60
    women = sum(1 for m in members if m.sex == "F")
    assert 0.5 <= women / 60 <= 0.8
    assert {m.ethnic_group for m in members} == {"Jrai", "Kinh"}
    roles = {r for m in members for r in m.role_set}
    assert set(Role) <= roles
    loans = session.scalars(select(Loan).where(Loan.club_id == club.id)).all()
    assert len(loans) >= 20 and any(loan.balance_vnd() > 0 for loan in loans)
    assert any(loan.state(TODAY).overdue_count for loan in loans)
    meetings = session.scalar(
        select(func.count()).select_from(Meeting).where(Meeting.club_id == club.id)
    )
    assert 12 <= meetings <= 13  # the last twelve months, both ends included
    assert session.scalar(select(func.count()).select_from(HealthReading)) > 300
    assert [m.number for m in members_by_phone(session, PHONES["shared"])] == [30, 31]
    sup = session.scalar(select(Supervisor).where(Supervisor.phone == PHONES["supervisor"]))
    assert len(supervisor_club_ids(session, sup.id)) == 2
    assert club.code == DEMO_CLUB and club.province_code == "52"
