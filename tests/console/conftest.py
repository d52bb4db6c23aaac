"""Two areas for the console: the commune of tests.summaries (K12, K07, K03, K20, its
supervisors) and a club in another province with its own supervisor; two administrators."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
import time_machine
from sqlalchemy.orm import Session

from models.admin import add_member, add_supervisor, create_club
from models.clubs import Club, Member, Supervisor
from models.console import ConsoleAdmin, add_admin
from tests.factories import ensure_place
from tests.simulator.conftest import browser, live  # noqa: F401 - the browser tests' fixtures
from tests.summaries import builders as b
from tests.summaries.conftest import TODAY, Area, build_area

NOW = "2026-11-28 10:00:00+07:00"  # the summaries' day: K12's help request and red alert open
OTHER_SUP_PHONE = "+84916000900"
ADMIN_PHONE = "+84917000900"
PROVINCE_ADMIN_PHONE = "+84917000901"
ADMIN_PASSWORD = "correct horse battery staple"
OTHER_MEMBER_NAME = "Dinh Thi Khac Vung"


@dataclass
class World:
    area: Area
    other: Club  # HN01, province 01: nobody of area A may see it
    other_member: Member
    other_sup: Supervisor
    admin: ConsoleAdmin  # the whole country
    province_admin: ConsoleAdmin  # province 52 only


def build_world(session: Session) -> World:
    area = build_area(session)
    ensure_place(session, "01", "Hà Nội", "00004", "Phường Ba Đình")
    other = create_club(
        session,
        code="HN01",
        name="CLB Ba Dinh Xa La",
        province_code="01",
        commune_code="00004",
        founded_on=date(2019, 1, 1),
    )
    for n in range(1, 11):
        add_member(
            session,
            other,
            number=n,
            full_name=OTHER_MEMBER_NAME if n == 7 else f"Hoi vien Ha Noi {n}",
            phone="+84916000007" if n == 7 else None,
            sex="F",
            birth_year=1950,
        )
    session.flush()
    session.refresh(other)
    b.meeting(session, other, date(2026, 11, 21), list(range(1, 9)))
    b.reading(session, other, 7, date(2026, 11, 21), (200, 115))
    b.help_request(session, other, 7, date(2026, 11, 25))
    b.help_request(session, area.k12, 12, date(2026, 11, 27))  # member 12 has a phone
    other_sup = add_supervisor(
        session, name="Pham Van Khac", phone=OTHER_SUP_PHONE, communes=["00004"]
    )
    admin = add_admin(session, name="Admin Toan Quoc", phone=ADMIN_PHONE, password=ADMIN_PASSWORD)
    province_admin = add_admin(
        session,
        name="Admin Gia Lai",
        phone=PROVINCE_ADMIN_PHONE,
        password=ADMIN_PASSWORD,
        province_code="52",
    )
    session.flush()
    member = next(m for m in other.members if m.number == 7)
    return World(area, other, member, other_sup, admin, province_admin)


@pytest.fixture
def clock() -> Iterator[Any]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def world(session: Session, clock: Any) -> World:
    world = build_world(session)
    session.commit()
    return world


@pytest.fixture
def console(app: Any, world: World) -> Any:
    """The app (console channel, test Redis) over the two areas."""
    app.config["CONSOLE_CACHE_SECONDS"] = 0
    return app


assert date(2026, 11, 28) == TODAY
