"""Member lists from Excel and CSV, as the provincial administrator has them."""

from __future__ import annotations

from openpyxl import Workbook
from sqlalchemy import select

from models.clubs import Member, MemberPhoneHistory
from models.enums import Role
from models.importer import import_members
from tests.factories import make_club


def _xlsx(path, rows):
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def test_excel_with_vietnamese_headers_and_old_numbers(session, tmp_path):
    club = make_club(session)
    path = _xlsx(
        tmp_path / "ds.xlsx",
        [
            ["Số thẻ", "Họ và tên", "Điện thoại", "Năm sinh", "Giới tính", "Dân tộc", "Vai trò"],
            [1, "Rơ Châm H'Yéo", "0168 234 5678", 1952, "Nữ", "Jrai", "chủ nhiệm"],
            [2, "Nguyễn Văn Thành", "84905123456", 1960, "Nam", "Kinh", "thư ký, thủ quỹ"],
            [3, "Ksor H'Bla", None, 1948, "nu", "Jrai", None],
            [None, None, None, None, None, None, None],
        ],
    )
    result = import_members(session, club, path)
    assert (result.added, result.updated, result.errors) == (3, 0, [])
    m1, m2, m3 = session.scalars(
        select(Member).where(Member.club_id == club.id).order_by(Member.number)
    ).all()
    assert m1.phone == "+84382345678"  # 0168 -> 038, last 7 digits kept
    assert m1.full_name == "Rơ Châm H'Yéo" and m1.sex == "F" and m1.birth_year == 1952
    assert m1.role_set == {Role.CHAIR}
    assert m2.phone == "+84905123456" and m2.role_set == {Role.SECRETARY, Role.TREASURER}
    assert m3.phone is None and m3.ethnic_group == "Jrai"


def test_csv_semicolons_english_headers_bad_rows_reported(session, tmp_path):
    club = make_club(session)
    path = tmp_path / "members.csv"
    path.write_text(
        "number;full name;phone;birth year;sex;roles\n"
        "5;Siu Thuan;0905 000 005;1990;M;health volunteer\n"
        "6;Puih H'Nga;12345;1950;F;\n"
        "x;No Number;;;;\n"
        "7;Nay H'Lan;;1949;female;bishop\n",
        encoding="utf-8",
    )
    result = import_members(session, club, path)
    assert result.added == 1
    assert len(result.errors) == 3
    assert result.errors[0].startswith("row 3: phone '12345'")
    assert result.errors[1].startswith("row 4:")
    assert "unknown role 'bishop'" in result.errors[2]


def test_reimport_updates_and_keeps_phone_history(session, tmp_path):
    club = make_club(session)
    rows = [["So", "Ho ten", "SDT"], [9, "Kpa Pho", "0905000009"]]
    import_members(session, club, _xlsx(tmp_path / "a.xlsx", rows))
    rows[1][2] = "0905000010"
    result = import_members(session, club, _xlsx(tmp_path / "b.xlsx", rows))
    assert (result.added, result.updated) == (0, 1)
    m = session.scalar(select(Member).where(Member.club_id == club.id, Member.number == 9))
    assert m.phone == "+84905000010"
    history = session.scalars(
        select(MemberPhoneHistory)
        .where(MemberPhoneHistory.member_id == m.id)
        .order_by(MemberPhoneHistory.id)
    ).all()
    assert [h.phone for h in history] == ["+84905000009", "+84905000010"]
    assert history[0].valid_to is not None and history[1].valid_to is None


def test_missing_required_columns(session, tmp_path):
    club = make_club(session)
    result = import_members(session, club, _xlsx(tmp_path / "c.xlsx", [["SDT"], ["0905"]]))
    assert result.errors == ["missing columns: full_name, number"]
