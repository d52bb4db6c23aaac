"""A realistic demo: a highland club in Gia Lai with a year of history, and its supervisor.

The phones are fixed so the simulator, the README and training sessions can name them.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.admin import add_member, add_supervisor, create_club, load_places
from models.clubs import Club, ClubPlaceHistory
from models.enums import Role
from models.health import bp_alert, grade_bp
from models.ledger import Loan, Repayment, add_months
from models.records import Activity, Attendance, FundContribution, HealthReading, HomeVisit, Meeting

DEMO_CLUB = "GL01"
DEMO_QUIET_CLUB = "GL02"
PROVINCE, COMMUNE = "52", "23764"  # Gia Lai; Xã Ia Grai (2025 codes)

# Phones a trainer can pick in the simulator.
PHONES = {
    "chair": "+84905000001",
    "secretary": "+84905000003",
    "health_volunteer": "+84905000005",
    "homecare_volunteer": "+84905000008",
    "member": "+84905000012",
    "shared": "+84905000099",
    "supervisor": "+84905000900",
    "unknown": "+84905999999",
}

JRAI_WOMEN = [
    "Rơ Châm H'Yéo",
    "Ksor H'Bla",
    "Puih H'Nga",
    "Nay H'Lan",
    "Siu H'Prăk",
    "Rmah H'Đơi",
    "Kpă H'Ruih",
    "Rơ Lan H'Blơi",
    "Ksor H'Nhiên",
    "Siu H'Mai",
]
JRAI_MEN = [
    "Siu Thuận",
    "Rmah Đứt",
    "Kpă Pho",
    "Rơ Lan Hiếu",
    "Ksor Kơk",
    "Puih Brơm",
    "Nay Blung",
    "Rơ Châm Tih",
]
KINH_WOMEN = [
    "Nguyễn Thị Lan",
    "Trần Thị Hoa",
    "Lê Thị Mai",
    "Phạm Thị Hương",
    "Hoàng Thị Thu",
    "Vũ Thị Hằng",
    "Đặng Thị Nga",
    "Bùi Thị Liên",
    "Đỗ Thị Hạnh",
    "Ngô Thị Tuyết",
    "Dương Thị Xuân",
    "Lý Thị Bích",
]
KINH_MEN = [
    "Nguyễn Văn Thành",
    "Trần Văn Bình",
    "Lê Văn Hùng",
    "Phạm Văn Đức",
    "Hoàng Văn Nam",
    "Võ Văn Tâm",
    "Đinh Văn Sơn",
    "Huỳnh Văn Lộc",
]


def _names(rng: random.Random, n: int) -> list[tuple[str, str, str]]:
    """(full name, sex, ethnic group): about 65% women, half Jrai."""
    out = []
    for i in range(n):
        woman = rng.random() < 0.65
        jrai = i % 2 == 0
        pool = (JRAI_WOMEN if woman else JRAI_MEN) if jrai else (KINH_WOMEN if woman else KINH_MEN)
        name = pool[i // 2 % len(pool)]
        if any(name == o[0] for o in out):
            name = f"{name} {['A', 'B', 'C', 'D', 'E', 'G', 'H', 'K'][i % 8]}"
        out.append((name, "F" if woman else "M", "Jrai" if jrai else "Kinh"))
    return out


def seed_demo(session: Session, today: date, *, members: int = 60) -> Club:
    """Create the demo clubs unless they exist; returns the main demo club."""
    found = session.scalar(select(Club).where(Club.code == DEMO_CLUB))
    if found is not None:
        return found
    load_places(session)
    rng = random.Random(2025)
    club = create_club(
        session,
        code=DEMO_CLUB,
        name="CLB Liên thế hệ tự giúp nhau làng Ia Der",
        province_code=PROVINCE,
        commune_code=COMMUNE,
        village="Làng Ia Der",
        meeting_day=21,
        meeting_place="Nhà rông làng Ia Der",
        interest_pct_month=Decimal("0.5"),
        interest_method="flat",
        default_term_months=12,
        fund_opening_vnd=60_000_000,
        founded_on=date(2018, 3, 21),
    )
    session.add(
        ClubPlaceHistory(
            club_id=club.id,
            province_name="Gia Lai",
            district_name="Huyện Ia Grai",
            commune_name="Xã Ia Dêr",
            village="Làng Ia Der",
            valid_until=date(2025, 6, 30),
        )
    )
    roles = {
        1: [Role.CHAIR],
        2: [Role.VICE_CHAIR],
        3: [Role.SECRETARY],
        4: [Role.TREASURER],
        5: [Role.HEALTH_VOLUNTEER],
        6: [Role.HEALTH_VOLUNTEER],
        7: [Role.HEALTH_VOLUNTEER],
        8: [Role.HOMECARE_VOLUNTEER],
        9: [Role.HOMECARE_VOLUNTEER],
        10: [Role.HOMECARE_VOLUNTEER],
        11: [Role.HOMECARE_VOLUNTEER],
        13: [Role.HOMECARE_VOLUNTEER],
    }
    fixed = {
        1: PHONES["chair"],
        3: PHONES["secretary"],
        5: PHONES["health_volunteer"],
        8: PHONES["homecare_volunteer"],
        12: PHONES["member"],
        30: PHONES["shared"],
        31: PHONES["shared"],
    }
    people = _names(rng, members)
    roster = []
    for n, (name, sex, ethnic) in enumerate(people, start=1):
        older = n not in roles and rng.random() < 0.68
        year = (
            rng.randint(1938, 1966) if older or n in (1, 2, 12, 30, 31) else rng.randint(1975, 2004)
        )
        phone = fixed.get(n) or (f"+849050{n:05d}" if rng.random() < 0.5 else None)
        roster.append(
            add_member(
                session,
                club,
                number=n,
                full_name=name,
                phone=phone,
                birth_year=year,
                sex=sex,
                ethnic_group=ethnic,
                roles=roles.get(n, []),
                joined_on=date(2018, 3, 21),
            )
        )
    roster[11].wants_meeting_reminder = True
    _history(session, club, roster, today, rng)

    quiet = create_club(
        session,
        code=DEMO_QUIET_CLUB,
        name="CLB Liên thế hệ tự giúp nhau làng Ia Krăi",
        province_code=PROVINCE,
        commune_code=COMMUNE,
        village="Làng Ia Krăi",
        meeting_day=15,
        meeting_place="Nhà văn hóa làng",
        fund_opening_vnd=8_000_000,
    )
    for n, (name, sex, ethnic) in enumerate(_names(rng, 50), start=1):
        add_member(
            session,
            quiet,
            number=n,
            full_name=name,
            sex=sex,
            ethnic_group=ethnic,
            birth_year=rng.randint(1940, 1990),
            roles=[Role.SECRETARY] if n == 1 else [],
            phone="+84905100001" if n == 1 else None,
        )
    add_supervisor(session, name="Lê Văn Hùng", phone=PHONES["supervisor"], communes=[COMMUNE])
    session.flush()
    return club


def _history(session: Session, club: Club, roster: list, today: date, rng: random.Random) -> None:
    """A year of meetings, readings, visits, activities, loans and repayments."""
    first = add_months(date(today.year, today.month, 1), -12)
    meetings = [add_months(date(first.year, first.month, club.meeting_day), k) for k in range(13)]
    meetings = [m for m in meetings if m < today]
    base_bp = {m.id: (rng.randint(112, 165), rng.randint(70, 98)) for m in roster}
    base_bp[roster[11].id] = (150, 92)  # member 12 drifts upward for the demo
    for k, held in enumerate(meetings):
        meeting = Meeting(club_id=club.id, held_on=held)
        session.add(meeting)
        session.flush()
        present = [m for m in roster if rng.random() < 0.82]
        session.add_all(Attendance(meeting_id=meeting.id, member_id=m.id) for m in present)
        for m in present:
            if rng.random() < 0.25 and m.number != 12:
                continue
            s0, d0 = base_bp[m.id]
            drift = k * 2 if m.number == 12 else 0
            sys_ = s0 + drift + rng.randint(-8, 8)
            dia = min(d0 + drift // 2 + rng.randint(-5, 5), sys_ - 20)
            session.add(
                HealthReading(
                    club_id=club.id,
                    member_id=m.id,
                    taken_on=held,
                    systolic=sys_,
                    diastolic=dia,
                    pulse=rng.randint(62, 92),
                    weight_kg=Decimal(rng.randint(400, 650)) / 10,
                    grade=grade_bp(sys_, dia).value,
                    alert=bp_alert(sys_, dia).value,
                )
            )
        for area in rng.sample(range(1, 9), rng.randint(4, 8)):
            session.add(
                Activity(
                    club_id=club.id, area=area, held_on=held, people=rng.randint(8, 45), note=None
                )
            )
        session.add(
            FundContribution(
                club_id=club.id,
                member_id=None,
                amount_vnd=500_000,
                given_on=held,
                note="Quỹ hoạt động",
            )
        )
    carers = [m for m in roster if Role.HOMECARE_VOLUNTEER in m.role_set]
    clients = [m for m in roster if m.birth_year and m.birth_year < 1950][:6]
    week = today - timedelta(days=7 * 52)
    while week < today:
        for client in clients[:3]:
            session.add(
                HomeVisit(
                    club_id=club.id,
                    member_id=client.id,
                    volunteer_member_id=rng.choice(carers).id,
                    visited_on=week,
                    note=None,
                )
            )
        week += timedelta(days=7)
    borrowers = [m for m in roster if m.number == 12] + rng.sample(roster[12:], 24)
    for m in borrowers:
        months_ago = rng.randint(1, 11)
        disbursed = add_months(date(today.year, today.month, club.meeting_day), -months_ago)
        if disbursed >= today:
            disbursed = add_months(disbursed, -1)
        loan = Loan(
            club_id=club.id,
            member_id=m.id,
            # Member 12 (the demo's "member" phone) has a 5-million loan to look at.
            principal_vnd=5_000_000
            if m.number == 12
            else rng.choice([1_000_000, 2_000_000, 2_000_000, 3_000_000, 3_000_000, 5_000_000]),
            interest_pct_month=club.loan_interest_pct_month,
            interest_method=club.loan_interest_method,
            term_months=12,
            disbursed_on=disbursed,
        )
        session.add(loan)
        session.flush()
        behind = rng.random() < 0.2
        for inst in loan.schedule():
            if inst.due_on >= today or (behind and inst.number > 1):
                break
            session.add(
                Repayment(
                    loan_id=loan.id,
                    club_id=club.id,
                    member_id=m.id,
                    amount_vnd=inst.amount,
                    paid_on=inst.due_on,
                )
            )
    session.flush()
