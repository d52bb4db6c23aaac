"""Member lists from CSV or Excel, with headers in Vietnamese or English."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from menus.phones import normalize_phone
from menus.text import fold
from models.admin import add_member, change_phone, set_roles
from models.clubs import Club, Member
from models.enums import Role

# Accepted header spellings (folded: lower case, no accents) for each field.
HEADERS: dict[str, tuple[str, ...]] = {
    "number": ("so", "so the", "ma", "stt the", "number", "member number", "no"),
    "full_name": ("ho ten", "ho va ten", "ten", "full name", "name"),
    "phone": ("dien thoai", "sdt", "so dien thoai", "phone", "phone number"),
    "birth_year": ("nam sinh", "birth year", "born"),
    "sex": ("gioi tinh", "gioi", "sex", "gender"),
    "ethnic_group": ("dan toc", "ethnic group", "ethnicity"),
    "roles": ("vai tro", "chuc vu", "roles", "role"),
    "language": ("ngon ngu", "language"),
}
ROLE_WORDS: dict[str, Role] = {
    "chu nhiem": Role.CHAIR,
    "chair": Role.CHAIR,
    "pho chu nhiem": Role.VICE_CHAIR,
    "vice chair": Role.VICE_CHAIR,
    "vice_chair": Role.VICE_CHAIR,
    "thu ky": Role.SECRETARY,
    "secretary": Role.SECRETARY,
    "thu quy": Role.TREASURER,
    "treasurer": Role.TREASURER,
    "tinh nguyen vien suc khoe": Role.HEALTH_VOLUNTEER,
    "tnv suc khoe": Role.HEALTH_VOLUNTEER,
    "suc khoe": Role.HEALTH_VOLUNTEER,
    "health volunteer": Role.HEALTH_VOLUNTEER,
    "health_volunteer": Role.HEALTH_VOLUNTEER,
    "tinh nguyen vien cham soc tai nha": Role.HOMECARE_VOLUNTEER,
    "tnv cham soc": Role.HOMECARE_VOLUNTEER,
    "cham soc tai nha": Role.HOMECARE_VOLUNTEER,
    "homecare volunteer": Role.HOMECARE_VOLUNTEER,
    "homecare_volunteer": Role.HOMECARE_VOLUNTEER,
}
SEX_WORDS = {"nam": "M", "m": "M", "male": "M", "nu": "F", "f": "F", "female": "F"}


@dataclass
class ImportResult:
    added: int = 0
    updated: int = 0
    errors: list[str] = field(default_factory=list)


def _rows(path: Path) -> Iterator[list[Any]]:
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True, data_only=True)
        for row in wb.active.iter_rows(values_only=True):
            yield list(row)
        wb.close()
    else:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            sample = fh.read(4096)
            fh.seek(0)
            dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
            yield from csv.reader(fh, dialect)


def _columns(header: list[Any]) -> dict[str, int]:
    cols: dict[str, int] = {}
    for i, cell in enumerate(header):
        name = fold(str(cell or "")).replace("_", " ").strip(" :")
        for field_name, spellings in HEADERS.items():
            if name in spellings and field_name not in cols:
                cols[field_name] = i
    return cols


def _cell(row: list[Any], cols: dict[str, int], name: str) -> str:
    i = cols.get(name)
    if i is None or i >= len(row) or row[i] is None:
        return ""
    value = row[i]
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def parse_roles(text: str) -> list[Role]:
    roles = []
    for part in text.replace(";", ",").split(","):
        key = fold(part)
        if not key:
            continue
        if key not in ROLE_WORDS:
            raise ValueError(f"unknown role {part.strip()!r}")
        roles.append(ROLE_WORDS[key])
    return roles


def import_members(session: Session, club: Club, path: Path) -> ImportResult:
    """Add or update members by number; a bad row is reported and skipped, the rest go in."""
    result = ImportResult()
    rows = _rows(path)
    header = next(rows, None)
    cols = _columns(header or [])
    missing = {"number", "full_name"} - cols.keys()
    if missing:
        result.errors.append(f"missing columns: {', '.join(sorted(missing))}")
        return result
    existing = {
        m.number: m for m in session.scalars(select(Member).where(Member.club_id == club.id))
    }
    for line, row in enumerate(rows, start=2):
        if not any(c not in (None, "") for c in row):
            continue
        try:
            number = int(_cell(row, cols, "number").lstrip("#"))
            name = _cell(row, cols, "full_name")
            if not name:
                raise ValueError("no name")
            raw_phone = _cell(row, cols, "phone")
            phone = normalize_phone(raw_phone) if raw_phone else None
            if raw_phone and phone is None:
                raise ValueError(f"phone {raw_phone!r} is not a Vietnamese mobile number")
            year_s = _cell(row, cols, "birth_year")
            year = int(year_s) if year_s else None
            if year is not None and not 1900 <= year <= 2020:
                raise ValueError(f"birth year {year}")
            sex_s = fold(_cell(row, cols, "sex"))
            sex = SEX_WORDS.get(sex_s) if sex_s else None
            if sex_s and sex is None:
                raise ValueError(f"sex {sex_s!r} (NAM/NU)")
            roles = parse_roles(_cell(row, cols, "roles"))
        except ValueError as exc:
            result.errors.append(f"row {line}: {exc}")
            continue
        member = existing.get(number)
        ethnic = _cell(row, cols, "ethnic_group") or None
        language = _cell(row, cols, "language") or None
        if member is None:
            existing[number] = add_member(
                session,
                club,
                number=number,
                full_name=name,
                phone=phone,
                birth_year=year,
                sex=sex,
                ethnic_group=ethnic,
                roles=roles,
                language=language,
            )
            result.added += 1
        else:
            member.full_name, member.birth_year = name, year or member.birth_year
            member.sex, member.ethnic_group = sex or member.sex, ethnic or member.ethnic_group
            member.language = language or member.language
            if phone:
                change_phone(session, member, phone, actor_phone=None)
            if roles:
                set_roles(session, member, roles)
            result.updated += 1
    session.flush()
    return result
