"""Administrative operations shared by the CLI, the importers, the seed and the SMS TV command."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from menus.clock import utcnow
from menus.text import fold
from models.clubs import Club, Member, MemberPhoneHistory, MemberRole, Supervisor, SupervisorArea
from models.enums import AreaKind, MemberStatus, Role
from models.places import Commune, Province
from models.records import AuditEntry


def create_club(
    session: Session,
    *,
    code: str,
    name: str,
    province_code: str,
    commune_code: str | None = None,
    village: str | None = None,
    meeting_day: int = 21,
    meeting_place: str | None = None,
    interest_pct_month: Decimal = Decimal("0"),
    interest_method: str = "flat",
    default_term_months: int = 12,
    backdate_days: int = 62,
    pin_required: bool = False,
    fund_opening_vnd: int = 0,
    language: str = "vi",
    founded_on: date | None = None,
) -> Club:
    club = Club(
        code=code.upper(),
        name=name,
        province_code=province_code,
        commune_code=commune_code,
        village=village,
        meeting_day=meeting_day,
        meeting_place=meeting_place,
        loan_interest_pct_month=interest_pct_month,
        loan_interest_method=interest_method,
        loan_default_term_months=default_term_months,
        backdate_days=backdate_days,
        pin_required=pin_required,
        fund_opening_vnd=fund_opening_vnd,
        language=language,
        founded_on=founded_on,
    )
    session.add(club)
    session.flush()
    return club


def add_member(
    session: Session,
    club: Club,
    *,
    number: int,
    full_name: str,
    phone: str | None = None,
    birth_year: int | None = None,
    sex: str | None = None,
    ethnic_group: str | None = None,
    roles: Iterable[Role | str] = (),
    language: str | None = None,
    joined_on: date | None = None,
) -> Member:
    member = Member(
        club_id=club.id,
        number=number,
        full_name=full_name,
        phone=phone,
        birth_year=birth_year,
        sex=sex,
        ethnic_group=ethnic_group,
        language=language,
        joined_on=joined_on,
        status=MemberStatus.ACTIVE,
    )
    member.roles = [MemberRole(role=Role(r).value) for r in roles]
    session.add(member)
    session.flush()
    if phone:
        session.add(MemberPhoneHistory(member_id=member.id, phone=phone))
    return member


def change_phone(session: Session, member: Member, phone: str, actor_phone: str | None) -> None:
    """Give a member a new phone, closing the old one in the history and auditing the change."""
    if member.phone == phone:
        return
    now = utcnow()
    for hist in session.scalars(
        select(MemberPhoneHistory).where(
            MemberPhoneHistory.member_id == member.id, MemberPhoneHistory.valid_to.is_(None)
        )
    ):
        hist.valid_to = now
    session.add(
        AuditEntry(
            club_id=member.club_id,
            actor_phone=actor_phone,
            action="change_phone",
            entity="member",
            entity_id=member.id,
            detail=f"{member.phone or '-'} -> {phone}",
        )
    )
    member.phone = phone
    session.add(MemberPhoneHistory(member_id=member.id, phone=phone, valid_from=now))
    session.flush()


def set_roles(session: Session, member: Member, roles: Iterable[Role | str]) -> None:
    member.roles = [MemberRole(role=Role(r).value) for r in roles]
    session.flush()


def add_supervisor(
    session: Session,
    *,
    name: str,
    phone: str,
    language: str = "vi",
    provinces: Iterable[str] = (),
    communes: Iterable[str] = (),
    club_ids: Iterable[int] = (),
) -> Supervisor:
    sup = Supervisor(name=name, phone=phone, language=language)
    sup.areas = (
        [SupervisorArea(kind=AreaKind.PROVINCE, province_code=p) for p in provinces]
        + [SupervisorArea(kind=AreaKind.COMMUNE, commune_code=c) for c in communes]
        + [SupervisorArea(kind=AreaKind.CLUB, club_id=c) for c in club_ids]
    )
    session.add(sup)
    session.flush()
    return sup


def supervisor_club_ids(session: Session, supervisor_id: int) -> list[int]:
    """Every club in a supervisor's area (provinces, communes and single clubs together)."""
    areas = select(SupervisorArea).where(SupervisorArea.supervisor_id == supervisor_id).subquery()
    q = (
        select(Club.id)
        .where(
            Club.province_code.in_(select(areas.c.province_code).where(areas.c.kind == "province"))
            | Club.commune_code.in_(select(areas.c.commune_code).where(areas.c.kind == "commune"))
            | Club.id.in_(select(areas.c.club_id).where(areas.c.kind == "club"))
        )
        .order_by(Club.code)
    )
    return list(session.scalars(q))


def members_by_phone(session: Session, phone: str) -> list[Member]:
    """Active members using this phone, across clubs (a shared phone holds several)."""
    return list(
        session.scalars(
            select(Member)
            .where(Member.phone == phone, Member.status == MemberStatus.ACTIVE)
            .order_by(Member.club_id, Member.number)
        )
    )


def load_places(session: Session) -> tuple[int, int]:
    """Load the 34 provinces and 3,321 communes (2025 codes) from the vietnam-provinces package."""
    import json

    from vietnam_provinces import NESTED_DIVISIONS_JSON_PATH

    data = json.loads(NESTED_DIVISIONS_JSON_PATH.read_text(encoding="utf-8"))
    have_p = set(session.scalars(select(Province.code)))
    have_c = set(session.scalars(select(Commune.code)))
    np = nc = 0
    for prov in data:
        pcode = f"{prov['code']:02d}"
        if pcode not in have_p:
            session.add(Province(code=pcode, name=prov["name"]))
            np += 1
    session.flush()
    for prov in data:
        pcode = f"{prov['code']:02d}"
        for ward in prov["wards"]:
            ccode = f"{ward['code']:05d}"
            if ccode not in have_c:
                session.add(Commune(code=ccode, name=ward["name"], province_code=pcode))
                nc += 1
    session.flush()
    return np, nc


_PLACE_PREFIXES = ("tinh ", "thanh pho ", "tp. ", "tp ", "xa ", "phuong ", "dac khu ")


def _place_key(name: str) -> str:
    key = fold(name)
    for prefix in _PLACE_PREFIXES:
        if key.startswith(prefix):
            return key[len(prefix) :].strip()
    return key


def find_province(session: Session, text: str) -> Province | None:
    """A province by its 2025 code ("52", "5") or its name, with or without accents or "Tỉnh"."""
    text = text.strip()
    if text.isdigit():
        return session.get(Province, text.zfill(2))
    key = _place_key(text)
    return next((p for p in session.scalars(select(Province)) if _place_key(p.name) == key), None)


def find_communes(session: Session, text: str, province_code: str | None = None) -> list[Commune]:
    """Communes by 5-digit code or by name (several communes can share a name across provinces);
    limited to one province when given."""
    text = text.strip()
    q = select(Commune).order_by(Commune.code)
    if province_code:
        q = q.where(Commune.province_code == province_code)
    if text.isdigit():
        found = session.get(Commune, text.zfill(5))
        return [found] if found is not None and province_code in (None, found.province_code) else []
    key = _place_key(text)
    return [c for c in session.scalars(q) if _place_key(c.name) == key]


def places_loaded(session: Session) -> bool:
    return session.scalar(select(Province.code).limit(1)) is not None
