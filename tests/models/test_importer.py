"""Member lists from Excel and CSV, as the provincial administrator has them."""

from __future__ import annotations

import io
import time
import unicodedata
import zipfile
from datetime import date, datetime
from xml.sax.saxutils import escape

import pytest
import xlwt
from openpyxl import Workbook
from sqlalchemy import event, func, select

from menus.clock import vn_today
from menus.i18n import available_languages
from models.clubs import Member, MemberPhoneHistory
from models.enums import Role
from models.importer import (
    ROLE_CHOICES_HELP,
    ImportResult,
    RowOutcome,
    import_members,
    parse_roles,
)
from models.records import AuditEntry
from tests.factories import make_club

THIS_YEAR = vn_today().year


def _xlsx(path, rows):
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def _xls(path, rows):
    """A real Excel 97-2003 workbook (BIFF8); dates written as date cells."""
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("Danh sach")
    date_style = xlwt.easyxf(num_format_str="DD/MM/YYYY")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, date):
                sheet.write(r, c, value, date_style)
            elif value is not None:
                sheet.write(r, c, value)
    book.save(path if isinstance(path, io.BytesIO) else str(path))
    return path


def _ods_cell(value):
    if value is None:
        return "<table:table-cell/>"
    if isinstance(value, date):
        return (
            f'<table:table-cell office:value-type="date" office:date-value="{value.isoformat()}">'
            f"<text:p>{value:%d/%m/%Y}</text:p></table:table-cell>"
        )
    if isinstance(value, int | float):
        return (
            f'<table:table-cell office:value-type="float" office:value="{value}">'
            f"<text:p>{value}</text:p></table:table-cell>"
        )
    return (
        '<table:table-cell office:value-type="string">'
        f"<text:p>{escape(value)}</text:p></table:table-cell>"
    )


def _ods(path, rows):
    """An OpenDocument spreadsheet: the zip layout and content.xml the standard prescribes."""
    ns = (
        'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
    )
    body = "".join(
        "<table:table-row>" + "".join(_ods_cell(v) for v in row) + "</table:table-row>"
        for row in rows
    )
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ns} '
        'office:version="1.2"><office:body><office:spreadsheet>'
        f'<table:table table:name="Danh sach">{body}</table:table>'
        "</office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
        'manifest:version="1.2"><manifest:file-entry manifest:full-path="/" '
        'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
        z.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
    return path


def _cp1258(text: str) -> bytes:
    """Text as Windows Vietnamese stores it: base letters (â, ơ, ư ...) and tones as combining
    marks, since the code page has no room for every precomposed letter."""
    tones = "\u0300\u0301\u0303\u0309\u0323"
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", ch)
            base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in tones))
            out += (base + "".join(c for c in parts if c in tones)).encode("cp1258")
    return bytes(out)


def _members(session, club):
    return {m.number: m for m in session.scalars(select(Member).where(Member.club_id == club.id))}


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
    assert result.rows == [RowOutcome(2, 9, "Kpa Pho", "updated", "changed: phone")]
    m = session.scalar(select(Member).where(Member.club_id == club.id, Member.number == 9))
    assert m.phone == "+84905000010"
    history = session.scalars(
        select(MemberPhoneHistory)
        .where(MemberPhoneHistory.member_id == m.id)
        .order_by(MemberPhoneHistory.id)
    ).all()
    assert [h.phone for h in history] == ["+84905000009", "+84905000010"]
    assert history[0].valid_to is not None and history[1].valid_to is None
    audit = session.scalars(
        select(AuditEntry).where(AuditEntry.entity == "member", AuditEntry.entity_id == m.id)
    ).all()
    assert [(a.action, a.detail) for a in audit] == [
        ("change_phone", "+84905000009 -> +84905000010")
    ]


def test_missing_required_columns(session, tmp_path):
    club = make_club(session)
    result = import_members(session, club, _xlsx(tmp_path / "c.xlsx", [["SDT"], ["0905"]]))
    assert result.rows == [] and len(result.errors) == 1
    message = result.errors[0]
    assert message.startswith("missing columns: member number, name.")
    assert "Columns found: 'SDT'" in message  # what the clerk's file has
    assert "Số thẻ" in message and "Họ và tên" in message  # and what would be accepted


# 1. A member number twice in one file


def test_number_repeated_in_one_file_refuses_both_rows(session, tmp_path):
    club = make_club(session)
    import_members(session, club, _xlsx(tmp_path / "old.xlsx", [["So", "Ho ten"], [7, "Kpa Y"]]))
    rows = [["Số thẻ", "Họ và tên", "SĐT"]] + [
        [n, f"Hội viên {n}", f"090500000{n}"] for n in range(1, 8)
    ]
    rows.insert(3, [7, "Ksor Nhen", "0905111222"])  # line 4; the other 7 is on line 9
    result = import_members(session, club, _xlsx(tmp_path / "ds.xlsx", rows))

    assert (result.added, result.updated, result.unchanged, result.refused) == (6, 0, 0, 2)
    refused = [r for r in result.rows if r.outcome == "refused"]
    assert refused == [
        RowOutcome(4, 7, "Ksor Nhen", "refused", "member number 7 is also on line 9"),
        RowOutcome(9, 7, "Hội viên 7", "refused", "member number 7 is also on line 4"),
    ]
    assert result.errors == [
        "row 4: member number 7 is also on line 9",
        "row 9: member number 7 is also on line 4",
    ]
    members = _members(session, club)
    assert sorted(members) == [1, 2, 3, 4, 5, 6, 7]
    assert members[7].full_name == "Kpa Y" and members[7].phone is None  # untouched


def test_number_three_times_names_every_other_line(session, tmp_path):
    club = make_club(session)
    path = tmp_path / "ds.csv"
    path.write_text("so,ho ten\n3,A Lan\n3,B Lan\n4,C Lan\n3,D Lan\n", encoding="utf-8")
    result = import_members(session, club, path)
    assert [(r.line, r.outcome, r.reason) for r in result.rows] == [
        (2, "refused", "member number 3 is also on lines 3, 5"),
        (3, "refused", "member number 3 is also on lines 2, 5"),
        (4, "added", ""),
        (5, "refused", "member number 3 is also on lines 2, 3"),
    ]
    assert sorted(_members(session, club)) == [4]


# 2 and 4. Every spreadsheet format, with a title above the heading


CLERK_SHEET = [
    ["DANH SÁCH HỘI VIÊN CLB LIÊN THẾ HỆ TỰ GIÚP NHAU THÔN PLEI IA DER", None, None, None, None],
    ["Xã Ia Grai, tỉnh Gia Lai", None, None, None, None],
    [None, None, None, None, None],
    ["STT", "Số thẻ", "Họ và tên", "Ngày sinh", "Số điện thoại"],
    [1, 12.0, "Rơ Châm H'Yéo", date(1952, 3, 12), 905123456],
    [2, 13, "Nguyễn Thị Ánh", "1960", "0912 345 678"],
    [3, 14.0, "Ksor H'Bla", 1948.0, None],
]
WRITERS = {"xlsx": _xlsx, "xlsm": _xlsx, "xls": _xls, "ods": _ods}


@pytest.mark.parametrize("kind", sorted(WRITERS))
def test_spreadsheet_formats_with_a_title_above_the_heading(session, tmp_path, kind):
    club = make_club(session)
    rows = [list(r) for r in CLERK_SHEET]
    if kind == "xlsx":
        rows[4][3] = datetime(1952, 3, 12)  # a date-and-time cell
    path = WRITERS[kind](tmp_path / f"ds.{kind}", rows)
    result = import_members(session, club, path)
    assert result.errors == []
    assert [(r.line, r.number, r.name, r.outcome) for r in result.rows] == [
        (5, 12, "Rơ Châm H'Yéo", "added"),
        (6, 13, "Nguyễn Thị Ánh", "added"),
        (7, 14, "Ksor H'Bla", "added"),
    ]
    members = _members(session, club)
    assert (members[12].birth_year, members[12].phone) == (1952, "+84905123456")
    assert (members[13].birth_year, members[13].phone) == (1960, "+84912345678")
    assert (members[14].birth_year, members[14].phone) == (1948, None)


def test_xls_that_is_really_tab_separated_text(session, tmp_path):
    """Some programs "export to Excel" by writing tab-separated text with an .xls name."""
    club = make_club(session)
    path = tmp_path / "export.xls"
    path.write_text("Số thẻ\tHọ và tên\n1\tSiu Thuan\n", encoding="utf-8")
    result = import_members(session, club, path)
    assert (result.added, result.errors) == (1, [])


def test_heading_below_title_blank_numbering_and_repeated_heading_rows(session, tmp_path):
    club = make_club(session)
    path = tmp_path / "ds.csv"
    path.write_text(
        "DANH SÁCH HỘI VIÊN CLB PLEI IA DER;;;\n"
        ";;;\n"
        "TT;Số thẻ (*);Họ và tên:;Năm sinh (YYYY)\n"
        "(1);(2);(3);(4)\n"
        "1;5;Siu Thuan;1990\n"
        "TT;Số thẻ (*);Họ và tên:;Năm sinh (YYYY)\n"  # the heading again on page 2
        "2;6;Puih H'Nga;1950\n"
        ";;Người lập danh sách;\n",
        encoding="utf-8",
    )
    result = import_members(session, club, path)
    assert [(r.line, r.number, r.outcome, r.reason) for r in result.rows] == [
        (5, 5, "added", ""),
        (7, 6, "added", ""),
        (8, None, "refused", "no member number"),  # a signature line: shown, nothing stored
    ]
    assert sorted(_members(session, club)) == [5, 6]


def test_birth_year_split_under_nam_and_nu_gives_the_sex(session, tmp_path):
    """The official form: "Năm sinh" over two columns, "Nam" and "Nữ"."""
    club = make_club(session)
    wb = Workbook()
    ws = wb.active
    ws.append(["DANH SÁCH HỘI VIÊN"])
    ws.append(["Số thẻ", "Họ và tên", "Năm sinh", None, "Dân tộc"])
    ws.merge_cells("C2:D2")
    ws.append([None, None, "Nam", "Nữ", None])
    ws.append([1, "Siu Thuan", 1950, None, "Jrai"])
    ws.append([2, "Puih H'Nga", None, "12/03/1952", "Jrai"])
    ws.append([3, "Nay H'Lan", 1950, 1951, None])
    wb.save(tmp_path / "mau.xlsx")
    result = import_members(session, club, tmp_path / "mau.xlsx")
    assert [(r.line, r.outcome, r.reason) for r in result.rows] == [
        (4, "added", ""),
        (5, "added", ""),
        (6, "refused", "birth year given under both Nam and Nữ"),
    ]
    members = _members(session, club)
    assert (members[1].sex, members[1].birth_year) == ("M", 1950)
    assert (members[2].sex, members[2].birth_year) == ("F", 1952)


def test_heading_too_far_down_is_reported_with_what_was_found(session, tmp_path):
    club = make_club(session)
    rows = [[f"Ghi chú {i}"] for i in range(15)] + [["Số thẻ", "Họ và tên"], [1, "Siu Thuan"]]
    result = import_members(session, club, _xlsx(tmp_path / "ds.xlsx", rows))
    assert result.rows == []
    assert result.errors[0].startswith("missing columns: member number, name.")
    assert "Columns found: 'Ghi chú 0'" in result.errors[0]


def test_the_list_on_a_later_sheet_hidden_sheets_passed_over(session, tmp_path):
    club = make_club(session)
    wb = Workbook()
    wb.active.title = "Hướng dẫn"
    wb.active.append(["Điền danh sách ở trang sau"])
    old = wb.create_sheet("Danh sách cũ")
    old.append(["Số thẻ", "Họ tên"])
    old.append([99, "Hội viên đã chuyển đi"])
    old.sheet_state = "hidden"
    ws = wb.create_sheet("Danh sách")
    ws.append(["Số thẻ", "Họ tên"])
    ws.append([1, "Siu Thuan"])
    wb.save(tmp_path / "ds.xlsx")
    result = import_members(session, club, tmp_path / "ds.xlsx")
    assert (result.added, result.errors) == (1, [])
    assert sorted(_members(session, club)) == [1]


# 3. CSV encodings and delimiters

CSV_TEXT = (
    "Số thẻ{d}Họ và tên{d}Giới tính{d}Dân tộc{d}Vai trò\n"
    "1{d}Nguyễn Thị Hường{d}Nữ{d}Kinh{d}Thư ký kiêm thủ quỹ\n"
    "2{d}Đỗ Đức Hùng{d}Nam{d}Kinh{d}Chủ nhiệm\n"
    '3{d}Rơ Châm H\'Yéo{d}Nữ{d}Jrai{d}"Phó chủ nhiệm, TNV sức khỏe"\n'
)


@pytest.mark.parametrize(
    ("encoding", "delimiter"),
    [("cp1258", ";"), ("cp1258", ","), ("utf-16", "\t"), ("utf-8-sig", ","), ("utf-8", ";")],
)
def test_csv_encodings_and_delimiters(session, tmp_path, encoding, delimiter):
    club = make_club(session)
    text = CSV_TEXT.format(d=delimiter)
    data = _cp1258(text) if encoding == "cp1258" else text.encode(encoding)
    path = tmp_path / "ds.csv"
    path.write_bytes(data.replace(b"\n", b"\r\n") if encoding == "cp1258" else data)
    result = import_members(session, club, path)
    assert (result.added, result.errors) == (3, [])
    members = _members(session, club)
    names = [members[n].full_name for n in (1, 2, 3)]
    assert names == ["Nguyễn Thị Hường", "Đỗ Đức Hùng", "Rơ Châm H'Yéo"]
    assert all(unicodedata.is_normalized("NFC", n) for n in names)
    assert [members[n].sex for n in (1, 2, 3)] == ["F", "M", "F"]
    assert members[1].role_set == {Role.SECRETARY, Role.TREASURER}
    assert members[3].role_set == {Role.VICE_CHAIR, Role.HEALTH_VOLUNTEER}


def test_short_cp1258_file_with_few_accented_letters(session, tmp_path):
    club = make_club(session)
    path = tmp_path / "ds.csv"
    path.write_bytes(_cp1258("so;ho ten;gioi tinh\r\n1;Ksor H'Bla;Nữ\r\n2;Đinh Nay;Nam\r\n"))
    result = import_members(session, club, path)
    assert result.errors == []
    members = _members(session, club)
    assert (members[1].sex, members[2].full_name) == ("F", "Đinh Nay")


# 5. Birth dates instead of years


def test_birth_dates_serials_and_years_out_of_range(session, tmp_path):
    club = make_club(session)
    rows = [
        ["Số thẻ", "Họ và tên", "Ngày sinh"],
        [1, "A Lan", "12/03/1952"],
        [2, "B Lan", "1952-03-12"],
        [3, "C Lan", date(1953, 1, 5)],
        [4, "D Lan", 19430],  # a date cell that lost its format: 12/03/1953
        [5, "E Lan", "3/1954"],
        [6, "F Lan", "1955.0"],
        [7, "G Lan", 1850],
        [8, "H Lan", THIS_YEAR + 1],
        [9, "I Lan", "31/02/1952"],
        [10, "K Lan", "12/03/52"],
        [11, "L Lan", "không rõ"],
    ]
    result = import_members(session, club, _xlsx(tmp_path / "ds.xlsx", rows))
    members = _members(session, club)
    assert {n: m.birth_year for n, m in members.items()} == {
        1: 1952, 2: 1952, 3: 1953, 4: 1953, 5: 1954, 6: 1955
    }  # fmt: skip
    assert [(r.number, r.reason) for r in result.rows if r.outcome == "refused"] == [
        (7, f"birth year 1850 is not between 1900 and {THIS_YEAR}"),
        (8, f"birth year {THIS_YEAR + 1} is not between 1900 and {THIS_YEAR}"),
        (9, "birth date '31/02/1952' is not a real date"),
        (10, "birth date '12/03/52': write the year with 4 digits"),
        (11, "birth year 'không rõ' is not a year or a date"),
    ]


# 6. Numbers that Excel stored as numbers


def test_numbers_stored_as_numbers(session, tmp_path):
    club = make_club(session)
    path = tmp_path / "ds.csv"
    path.write_text(  # as Excel saves number cells to CSV
        "Số thẻ,Họ và tên,SĐT\n"
        "12.0,Siu Thuan,905123456.0\n"
        "13,Puih H'Nga,1682345678\n"
        "#14,Nay H'Lan,9.05123E+08\n"
        "15.5,Kpa Y,\n",
        encoding="utf-8",
    )
    result = import_members(session, club, path)
    members = _members(session, club)
    assert members[12].phone == "+84905123456"  # the leading 0 was lost
    assert members[13].phone == "+84382345678"  # 0168 234 5678, leading 0 lost
    assert [(r.line, r.reason) for r in result.rows if r.outcome == "refused"] == [
        (4, "phone '9.05123E+08' was shortened by Excel: format the column as text and type it "
            "again"),
        (5, "member number '15.5' is not a whole number"),
    ]  # fmt: skip
    wb_path = _xlsx(
        tmp_path / "ds.xlsx",
        [["Số thẻ", "Họ và tên", "SĐT"], [20.0, "Ksor Nhen", 912345678.0], [0, "Zero", None]],
    )
    result = import_members(session, club, wb_path)
    assert _members(session, club)[20].phone == "+84912345678"
    assert result.rows[1].reason == "member number 0 is not between 1 and 9999"


# 7 and 8. Unchanged rows, and an outcome for every row


def test_reimport_of_the_same_file_is_unchanged(session, tmp_path):
    club = make_club(session)
    rows = [
        ["Số thẻ", "Họ và tên", "SĐT", "Năm sinh", "Vai trò"],
        [1, "Rơ Châm H'Yéo", "0168 234 5678", 1952, "Chủ nhiệm"],
        [2, "Siu Thuan", None, None, "thu ky, thu quy"],
        [3, "Puih H'Nga", "0905000003", 1950, None],
    ]
    first = import_members(session, club, _xlsx(tmp_path / "a.xlsx", rows))
    assert (first.added, first.updated, first.unchanged) == (3, 0, 0)
    again = import_members(session, club, _xlsx(tmp_path / "b.xlsx", rows))
    assert (again.added, again.updated, again.unchanged, again.errors) == (0, 0, 3, [])
    rows[2][1], rows[3][4] = "Siu Thuần", "health volunteer"
    rows[1][4] = "chair"  # the same role in other words
    third = import_members(session, club, _xlsx(tmp_path / "c.xlsx", rows))
    assert [(r.number, r.outcome, r.reason) for r in third.rows] == [
        (1, "unchanged", ""),
        (2, "updated", "changed: name"),
        (3, "updated", "changed: roles"),
    ]
    history = session.scalar(select(func.count()).select_from(MemberPhoneHistory))
    audits = session.scalar(select(func.count()).where(AuditEntry.action == "change_phone"))
    assert (history, audits) == (2, 0)  # the phones as first imported, nothing more


def test_every_row_has_an_outcome(session, tmp_path):
    club = make_club(session)
    import_members(session, club, _xlsx(tmp_path / "a.xlsx", [["So", "Ten"], [1, "Kpa Y"]]))
    rows = [
        ["Số thẻ", "Họ và tên", "SĐT", "Giới tính", "Vai trò", "Ngôn ngữ"],
        [1, "Kpa Y", None, None, None, None],
        [2, "Ksor Nhen", "0905 111 222", "Nữ", "Hội viên", "vi_dau"],
        [1, "Kpa Y Mới", None, "Nam", None, None],
        [3, "4", None, None, None, None],
        [4, "Nay H'Lan", "0905111222", "X", "giám đốc", "fr"],
    ]
    result = import_members(session, club, _xlsx(tmp_path / "b.xlsx", rows))
    languages = ", ".join(available_languages())  # en, vi, vi_dau
    assert isinstance(result, ImportResult)
    assert result.rows == [
        RowOutcome(2, 1, "Kpa Y", "refused", "member number 1 is also on line 4"),
        RowOutcome(3, 2, "Ksor Nhen", "added"),
        RowOutcome(4, 1, "Kpa Y Mới", "refused", "member number 1 is also on line 2"),
        RowOutcome(5, 3, "4", "refused", "name '4' has no letters"),
        RowOutcome(
            6,
            4,
            "Nay H'Lan",
            "refused",
            f"sex 'X' is not Nam/Nữ (M/F); language 'fr' is not one of {languages}; "
            f"unknown role 'giám đốc' (accepted: {ROLE_CHOICES_HELP})",
        ),
    ]
    assert (result.added, result.updated, result.unchanged, result.refused) == (1, 0, 0, 4)
    assert result.errors == [f"row {r.line}: {r.reason}" for r in result.rows if r.reason]
    members = _members(session, club)
    assert members[1].full_name == "Kpa Y" and members[1].sex is None
    assert members[2].language == "vi_dau" and members[2].role_set == set()


def _truncated(data: bytes) -> bytes:
    return data[: len(data) * 3 // 4]


def _damaged_xls(tmp_path):
    buf = io.BytesIO()
    _xls(buf, [["Số thẻ", "Họ và tên"], [1, "Siu Thuan"]])
    (tmp_path / "ds.xls").write_bytes(_truncated(buf.getvalue()))


def _damaged_xlsx(tmp_path):
    _xlsx(tmp_path / "full.xlsx", [["Số thẻ", "Họ và tên"], [1, "Siu Thuan"]])
    (tmp_path / "ds.xlsx").write_bytes(_truncated((tmp_path / "full.xlsx").read_bytes()))


@pytest.mark.parametrize(
    ("name", "make", "message"),
    [
        ("ds.xls", _damaged_xls, "the file is damaged or is not a spreadsheet"),
        ("ds.xlsx", _damaged_xlsx, "the file is damaged or is not a spreadsheet"),
        ("ds.ods", lambda p: (p / "ds.ods").write_bytes(b"PK\x03\x04 not really"), "damaged"),
        (
            "ds.xls",
            lambda p: (p / "ds.xls").write_text("<html><table><tr><td>Số thẻ</td></tr></table>"),
            "the file is a web page or XML, not a spreadsheet",
        ),
        ("ds.pdf", lambda p: (p / "ds.pdf").write_bytes(b"%PDF-1.4"), "files of type '.pdf'"),
        ("ds.csv", lambda p: (p / "ds.csv").write_bytes(b""), "the file is empty"),
        ("ds.csv", lambda p: None, "the file cannot be opened"),
    ],
)
def test_unreadable_files_are_reported_not_raised(session, tmp_path, name, make, message):
    club = make_club(session)
    make(tmp_path)
    result = import_members(session, club, tmp_path / name)
    assert result.rows == [] and len(result.errors) == 1
    assert message in result.errors[0]
    assert "Error" not in result.errors[0] and "Traceback" not in result.errors[0]
    assert _members(session, club) == {}


# 9. One role vocabulary


def test_parse_roles_accepts_vietnamese_english_and_enum_values():
    assert (
        parse_roles("Thư ký") == parse_roles("thu ky") == parse_roles("THƯ KÝ") == [Role.SECRETARY]
    )
    assert parse_roles("secretary") == parse_roles("Secretary") == [Role.SECRETARY]
    for role in Role:
        assert parse_roles(role.value) == [role]
    assert parse_roles("vice-chair; health_volunteer") == [Role.VICE_CHAIR, Role.HEALTH_VOLUNTEER]
    assert parse_roles("Tình nguyện viên chăm sóc tại nhà") == [Role.HOMECARE_VOLUNTEER]
    assert parse_roles("tnv suc khoe") == [Role.HEALTH_VOLUNTEER]
    assert parse_roles("Thư ký kiêm thủ quỹ") == [Role.SECRETARY, Role.TREASURER]
    assert parse_roles("thư ký/thu ky") == [Role.SECRETARY]
    assert parse_roles("Hội viên") == parse_roles("") == []
    with pytest.raises(ValueError, match="unknown role 'bishop'") as exc:
        parse_roles("chair, bishop")
    assert "thư ký / secretary" in str(exc.value)


def test_role_help_is_one_line_naming_every_role_in_both_languages():
    assert "\n" not in ROLE_CHOICES_HELP
    pairs = [p.split(" / ") for p in ROLE_CHOICES_HELP.split(" (")[0].split("; ")]
    assert sorted(parse_roles(vi) + parse_roles(en) for vi, en in pairs) == sorted(
        [r, r] for r in Role
    )
    assert not all(vi.isascii() for vi, _ in pairs)  # the Vietnamese words keep their accents


# Size: a province's list


def test_twenty_thousand_rows_in_seconds_with_few_queries(session, tmp_path):
    """A province-sized file: 9,999 members (the most one club can number) and 10,001 rows with
    numbers no SMS could address, refused."""
    club = make_club(session)
    lines = ["Số thẻ;Họ và tên;SĐT;Năm sinh;Giới tính;Vai trò"]
    lines += [
        f"{n};Hội viên Số {n};09{n + 10_000_000:08d};{1940 + n % 60};{'Nữ' if n % 3 else 'Nam'};"
        + ("thư ký" if n % 50 == 0 else "")
        for n in range(1, 20_001)
    ]
    path = tmp_path / "tinh.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    statements = []

    def count(*_args):
        statements.append(1)

    bind = session.connection()
    event.listen(bind, "before_cursor_execute", count)
    try:
        started = time.perf_counter()
        result = import_members(session, club, path)
        first = time.perf_counter() - started
        inserted = len(statements)
        statements.clear()
        started = time.perf_counter()
        again = import_members(session, club, path)
        second = time.perf_counter() - started
    finally:
        event.remove(bind, "before_cursor_execute", count)
    assert (result.added, result.refused) == (9_999, 10_001)
    assert result.rows[-1].reason == "member number 20000 is not between 1 and 9999"
    assert (again.unchanged, again.refused) == (9_999, 10_001)
    assert _members(session, club)[9_950].role_set == {Role.SECRETARY}
    assert inserted < 200 and len(statements) < 100  # not one query per row
    assert first < 15 and second < 15, (first, second)
