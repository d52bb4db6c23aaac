"""Small builders for test data, on the same admin functions the CLI uses."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from models.admin import add_member, create_club
from models.clubs import Club
from models.enums import Role
from models.places import Commune, Province

SECRETARY_PHONE = "+84912000001"
CHAIR_PHONE = "+84912000002"
HEALTH_PHONE = "+84912000003"
HOMECARE_PHONE = "+84912000004"
MEMBER_PHONE = "+84912000012"
SHARED_PHONE = "+84912000099"


def ensure_place(
    session: Session,
    province_code: str,
    province_name: str,
    commune_code: str | None = None,
    commune_name: str | None = None,
) -> None:
    """Create the province (and commune) rows if they are missing."""
    if session.get(Province, province_code) is None:
        session.add(Province(code=province_code, name=province_name))
        session.flush()
    if commune_code and session.get(Commune, commune_code) is None:
        session.add(
            Commune(
                code=commune_code, name=commune_name or commune_code, province_code=province_code
            )
        )
        session.flush()


def make_club(session: Session, code: str = "K12", **kw: Any) -> Club:
    ensure_place(session, "52", "Gia Lai", "23764", "Xã Ia Grai")
    kw.setdefault("interest_pct_month", Decimal("0"))
    return create_club(
        session,
        code=code,
        name=f"CLB {code}",
        province_code="52",
        commune_code="23764",
        village="Plei Ia Der",
        meeting_day=21,
        meeting_place="Nha van hoa thon",
        founded_on=date(2019, 5, 1),
        **kw,
    )


def make_board_club(session: Session, code: str = "K12", members: int = 40, **kw: Any) -> Club:
    """A club with a board, volunteers and numbered members, phones by the constants above."""
    club = make_club(session, code, **kw)
    prefix = "+8491200" if code == "K12" else "+8491300"

    def phone(base: str) -> str:
        return base if code == "K12" else prefix + base[-4:]

    add_member(
        session,
        club,
        number=1,
        full_name="Nguyen Van Thanh",
        phone=phone(SECRETARY_PHONE),
        roles=[Role.SECRETARY],
        birth_year=1960,
        sex="M",
    )
    add_member(
        session,
        club,
        number=2,
        full_name="Ro Cham H'Yeo",
        phone=phone(CHAIR_PHONE),
        roles=[Role.CHAIR],
        birth_year=1955,
        sex="F",
        ethnic_group="Jrai",
    )
    add_member(
        session,
        club,
        number=3,
        full_name="Tran Thi Hoa",
        phone=phone(HEALTH_PHONE),
        roles=[Role.HEALTH_VOLUNTEER],
        birth_year=1985,
        sex="F",
    )
    add_member(
        session,
        club,
        number=4,
        full_name="Siu Thuan",
        phone=phone(HOMECARE_PHONE),
        roles=[Role.HOMECARE_VOLUNTEER],
        birth_year=1990,
        sex="M",
        ethnic_group="Jrai",
    )
    for n in range(5, members + 1):
        ph = phone(MEMBER_PHONE) if n == 12 else (phone(SHARED_PHONE) if n in (20, 21) else None)
        add_member(
            session,
            club,
            number=n,
            full_name=f"Member {n} Thi Lan",
            phone=ph,
            birth_year=1940 + n % 40,
            sex="F" if n % 3 else "M",
        )
    session.flush()
    return club
