"""The monthly report workbook: read back with openpyxl, and printed to PDF by LibreOffice.

The data is the summaries' area (tests/summaries/conftest.py): four clubs of one Gia Lai commune
in November 2026. K12 is healthy and active in all 8 areas, K07 silent with an overdue loan, K03
has red alerts, K20 an overdue loan and a voided red reading.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.chart import BarChart, LineChart
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import event

from models.admin import create_club
from models.demo import seed_demo
from models.export import export_month
from models.records import Activity
from runtime.settings import ROOT
from tests.factories import ensure_place, make_board_club, make_club
from tests.summaries import builders as b
from tests.summaries.conftest import build_area

MONTH = "2026-11"
TODAY = date(2026, 12, 3)
ARTIFACTS = ROOT / "test-artifacts" / "report"
SILENT = "FCE4D6"
AREA_HEADERS = [
    "1. Thu nhập",
    "2. Sức khỏe",
    "3. Chăm sóc tại nhà",
    "4. Tự giúp nhau",
    "5. Quyền lợi",
    "6. Truyền thông",
    "7. Văn hóa tinh thần",
    "8. Vận động nguồn lực",
]
SUMMED = [
    "Số buổi sinh hoạt",
    "Có mặt",
    "Hội viên",
    "Số lần trả nợ",
    "Tiền trả nợ (đ)",
    "Khoản vay quá hạn",
    "Tiền quá hạn (đ)",
    "Lượt đo huyết áp",
    "Cảnh báo đỏ",
    "Lượt thăm tại nhà",
    "Yêu cầu giúp đỡ đang mở",
]


def export(session: Any, tmp_path: Path, province: str | None = "52") -> tuple[int, Workbook]:
    path = tmp_path / "bao-cao.xlsx"
    n = export_month(session, MONTH, path, province, today=TODAY)
    return n, load_workbook(path)


class Table:
    """A sheet's table as a reader sees it: the header row, the rows under it, the totals."""

    def __init__(self, ws: Worksheet, header_row: int = 5, total_rows: int = 1) -> None:
        self.ws = ws
        self.header_row = header_row
        self.cols = {c.value: c.column for c in ws[header_row] if c.value is not None}
        end = header_row + 1
        while ws.cell(row=end, column=2).value is not None:  # the totals merge column B away
            end += 1
        self.rows = list(range(header_row + 1, end))
        self.totals = list(range(end, end + total_rows))

    def cell(self, row: int, title: str) -> Any:
        return self.ws.cell(row=row, column=self.cols[title])

    def value(self, row: int, title: str) -> Any:
        return self.cell(row, title).value

    def row_of(self, code: str) -> int:
        return next(r for r in self.rows if self.value(r, "Mã CLB") == code)

    def column(self, title: str) -> list[Any]:
        return [self.value(r, title) for r in self.rows]


def is_silent(ws: Worksheet, row: int) -> bool:
    cells = [c for c in ws[row] if c.column <= ws.max_column]
    fills = {(c.fill.fill_type, (c.fill.fgColor.rgb or "")[-6:]) for c in cells}
    assert len(fills) == 1, f"row {row} is not filled evenly: {fills}"
    return fills == {("solid", SILENT)}


def other_province_club(session: Any) -> None:
    ensure_place(session, "79", "Thành phố Hồ Chí Minh", "26734", "Phường Sài Gòn")
    club = create_club(
        session,
        code="S01",
        name="CLB Phường Sài Gòn",
        province_code="79",
        commune_code="26734",
        founded_on=date(2020, 1, 1),
    )
    b.report(session, club, date(2026, 11, 5))


def test_month_sheet_titles_formats_silent_rows_and_totals(session, tmp_path):
    area = build_area(session)
    other_province_club(session)

    n, wb = export(session, tmp_path)

    assert n == 4
    assert wb.sheetnames == ["Báo cáo tháng 11-2026", "8 mảng", "Xu hướng"]
    ws = wb["Báo cáo tháng 11-2026"]
    assert ws["A1"].value == "BÁO CÁO THÁNG 11/2026 — CLB LIÊN THẾ HỆ TỰ GIÚP NHAU"
    assert ws["A1"].font.bold
    assert ws["A2"].value == "Địa bàn: Gia Lai"
    assert "01/11/2026 – 30/11/2026" in ws["A3"].value
    assert "Lập ngày 03/12/2026" in ws["A3"].value

    t = Table(ws)
    assert "Tỉnh/thành phố" not in t.cols  # one province: no province column
    headers = list(t.cols)
    assert headers.index("Tỷ lệ có mặt") == headers.index("Có mặt") + 1
    header = ws.cell(row=5, column=1)
    assert header.font.bold and header.fill.fill_type == "solid"
    assert header.alignment.wrap_text and header.border.bottom.style == "thin"
    assert ws.column_dimensions["C"].width >= 25  # the club's name
    assert t.column("Mã CLB") == ["K03", "K07", "K12", "K20"]

    k12, k07 = t.row_of("K12"), t.row_of("K07")
    assert t.value(k12, "Có báo cáo") == "Có"
    assert t.value(k12, "Có mặt") == 30 and t.value(k12, "Hội viên") == 40
    assert t.value(k12, "Tỷ lệ có mặt") == pytest.approx(0.75)
    assert t.cell(k12, "Tỷ lệ có mặt").number_format == "0%"
    assert t.value(k12, "Tiền trả nợ (đ)") == 600_000  # the voided 300,000 left out
    for title in ("Tiền trả nợ (đ)", "Tiền quá hạn (đ)"):
        assert t.cell(k12, title).number_format == "#,##0"
    assert t.value(k12, "Ngày sinh hoạt").date() == date(2026, 11, 21)
    assert t.cell(k12, "Ngày sinh hoạt").number_format == "dd/mm/yyyy"
    assert t.value(k07, "Có báo cáo") == "Không"
    assert t.value(k07, "Tỷ lệ có mặt") is None  # no meeting this month: blank, not 0%
    assert t.value(k07, "Tiền quá hạn (đ)") == 1_000_000
    assert t.value(k07, "Báo cáo gần nhất").date() == date(2026, 9, 21)

    assert is_silent(ws, k07)
    assert not is_silent(ws, k12)
    assert [is_silent(ws, r) for r in t.rows] == [False, True, False, False]

    (total,) = t.totals
    assert ws.cell(row=total, column=1).value == "TỔNG CỘNG (4 CLB)"
    for title in SUMMED:
        assert t.value(total, title) == sum(t.column(title)), title
    assert t.value(total, "Tiền quá hạn (đ)") == 1_500_000
    assert t.cell(total, "Tiền trả nợ (đ)").number_format == "#,##0"
    assert t.value(total, "Có báo cáo") == 3
    assert t.cell(total, "Có báo cáo").number_format == '0"/4"'
    met = [r for r in t.rows if t.value(r, "Tỷ lệ có mặt") is not None]
    present = sum(t.value(r, "Có mặt") for r in met)
    members = sum(t.value(r, "Hội viên") for r in met)
    assert (present, members) == (60, 75)
    assert t.value(total, "Tỷ lệ có mặt") == pytest.approx(0.8)
    assert t.cell(total, "Tỷ lệ có mặt").number_format == "0%"
    assert ws.cell(row=total, column=1).font.bold

    assert ws.freeze_panes == "E6"
    assert ws.auto_filter.ref == f"A5:T{t.rows[-1]}"
    assert area.k07.code == "K07"


def test_every_sheet_prints_landscape_one_page_wide(session, tmp_path):
    build_area(session)

    _, wb = export(session, tmp_path)

    for ws in wb.worksheets:
        setup = ws.page_setup
        assert setup.orientation == "landscape", ws.title
        assert int(setup.paperSize) == int(ws.PAPERSIZE_A4)  # "9"
        assert int(setup.fitToWidth) == 1
        assert int(setup.fitToHeight) == (1 if ws.title == "Xu hướng" else 0)  # trend: one page
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.print_title_rows == "$5:$5"
        assert "&P" in ws.oddFooter.center.text and "&N" in ws.oddFooter.center.text
        assert "11/2026" in ws.oddHeader.right.text
        assert ws.print_area


def test_areas_sheet_ticks_the_areas_recorded_in_the_month(session, tmp_path):
    area = build_area(session)
    # Last month's activity does not count for November.
    session.add(Activity(club_id=area.k03.id, area=4, held_on=date(2026, 10, 21), people=12))
    session.flush()

    _, wb = export(session, tmp_path)

    ws = wb["8 mảng"]
    assert ws["A1"].value == "HOẠT ĐỘNG THEO 8 MẢNG — THÁNG 11/2026"
    t = Table(ws, total_rows=2)
    assert [h for h in t.cols if h in AREA_HEADERS] == AREA_HEADERS

    def ticked(code: str) -> list[int]:
        row = t.row_of(code)
        return [a for a, h in enumerate(AREA_HEADERS, start=1) if t.value(row, h) == "✓"]

    # K03: readings (area 2) and a culture evening (7); K12: activities 4-8, its loans (1),
    # readings (2) and home visits (3); K07 silent; K20's only reading is voided.
    assert ticked("K03") == [2, 7]
    assert ticked("K12") == [1, 2, 3, 4, 5, 6, 7, 8]
    assert ticked("K07") == [] and ticked("K20") == []
    assert t.value(t.row_of("K03"), "Số mảng") == 2
    assert t.value(t.row_of("K12"), "Đủ 8 mảng") == "✓"
    assert t.value(t.row_of("K03"), "Đủ 8 mảng") is None
    assert is_silent(ws, t.row_of("K07")) and not is_silent(ws, t.row_of("K03"))

    counts, shares = t.totals
    assert ws.cell(row=counts, column=1).value == "Số CLB hoạt động (trên 4 CLB)"
    assert [t.value(counts, h) for h in AREA_HEADERS] == [1, 2, 1, 1, 1, 1, 2, 1]
    for h in AREA_HEADERS:
        assert t.value(counts, h) == t.column(h).count("✓")
    assert t.value(counts, "Đủ 8 mảng") == 1
    assert t.value(counts, "Có sinh hoạt trong tháng") == 3
    assert t.value(shares, "Đủ 8 mảng") == pytest.approx(0.25)
    assert t.cell(shares, "Đủ 8 mảng").number_format == "0%"
    assert t.value(shares, "2. Sức khỏe") == pytest.approx(0.5)
    notes = [ws.cell(row=r, column=1).value for r in range(shares + 1, ws.max_row + 1)]
    assert any(v and "đủ 8 mảng và có sinh hoạt trong tháng: 1/4 CLB (25%)" in v for v in notes)


def test_trend_sheet_has_twelve_months_and_charts(session, tmp_path):
    build_area(session)
    young = make_club(session, "K30")  # founded in June 2026: counted from June only
    young.founded_on = date(2026, 6, 10)
    session.flush()

    _, wb = export(session, tmp_path)

    ws = wb["Xu hướng"]
    assert ws["A1"].value == "XU HƯỚNG 12 THÁNG (12/2025 – 11/2026)"
    t = Table(ws)
    months = t.column("Tháng")
    assert months == ["12/2025"] + [f"{m:02d}/2026" for m in range(1, 12)]
    assert t.column("Số CLB") == [4] * 6 + [5] * 6

    nov, sep = t.rows[-1], months.index("09/2026") + t.rows[0]
    assert t.value(nov, "CLB có báo cáo") == 3
    assert t.value(nov, "Tỷ lệ báo cáo") == pytest.approx(3 / 5)
    assert t.cell(nov, "Tỷ lệ báo cáo").number_format == "0%"
    assert t.value(nov, "Tỷ lệ có mặt") == pytest.approx(60 / 75)
    assert t.value(nov, "Tiền trả nợ thu được (đ)") == 600_000
    assert t.cell(nov, "Tiền trả nợ thu được (đ)").number_format == "#,##0"
    assert t.value(nov, "Cảnh báo đỏ (huyết áp)") == 4  # K12 one, K03 three; K20's voided
    # September: K07 met (8 of 10), K12 and K20 collected repayments.
    assert t.value(sep, "CLB có báo cáo") == 3
    assert t.value(sep, "Tỷ lệ có mặt") == pytest.approx(0.8)
    assert t.value(sep, "Tiền trả nợ thu được (đ)") == 750_000
    dec = t.rows[0]
    assert t.value(dec, "CLB có báo cáo") == 0 and t.value(dec, "Tỷ lệ có mặt") is None

    charts = ws._charts  # noqa: SLF001 - openpyxl keeps a sheet's charts there
    assert {type(c) for c in charts} == {LineChart, BarChart}
    line = next(c for c in charts if isinstance(c, LineChart))
    assert len(line.series) == 2
    refs = [s.val.numRef.f for s in line.series]
    assert all(ref.endswith("$6:$D$17") or ref.endswith("$6:$F$17") for ref in refs), refs
    assert all(c.anchor._from.row >= t.rows[-1] for c in charts)  # noqa: SLF001 - under the table


def test_national_report_lists_every_province(session, tmp_path):
    build_area(session)
    other_province_club(session)

    n, wb = export(session, tmp_path, province=None)

    assert n == 5
    ws = wb.worksheets[0]
    assert ws["A2"].value == "Địa bàn: Toàn quốc"
    t = Table(ws)
    assert t.column("Tỉnh/thành phố") == ["Gia Lai"] * 4 + ["Thành phố Hồ Chí Minh"]
    assert t.value(t.row_of("S01"), "Có báo cáo") == "Có"
    assert t.value(t.totals[0], "Có báo cáo") == 4
    assert Table(wb["Xu hướng"]).column("Số CLB")[-1] == 5


def test_a_province_without_clubs_gives_an_empty_report(session, tmp_path):
    ensure_place(session, "52", "Gia Lai")

    n, wb = export(session, tmp_path)

    assert n == 0
    t = Table(wb.worksheets[0])
    assert t.rows == []
    (total,) = t.totals
    assert wb.worksheets[0].cell(row=total, column=1).value == "TỔNG CỘNG (0 CLB)"
    assert t.value(total, "Tiền trả nợ (đ)") == 0 and t.value(total, "Có báo cáo") == 0
    assert t.value(total, "Tỷ lệ có mặt") is None
    areas = Table(wb["8 mảng"], total_rows=2)
    assert areas.rows == []
    assert [areas.value(areas.totals[0], h) for h in AREA_HEADERS] == [0] * 8
    assert areas.value(areas.totals[1], "Đủ 8 mảng") is None
    trend = Table(wb["Xu hướng"])
    assert trend.column("Số CLB") == [0] * 12
    assert trend.column("Tỷ lệ báo cáo") == [None] * 12


def test_no_clubs_at_all_gives_an_empty_national_report(session, tmp_path):
    n, wb = export(session, tmp_path, province=None)

    assert n == 0
    assert wb.worksheets[0]["A2"].value == "Địa bàn: Toàn quốc"
    assert len(Table(wb["Xu hướng"]).rows) == 12


def test_queries_do_not_grow_with_the_number_of_clubs(session, connection, tmp_path):
    build_area(session)
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(connection, "before_cursor_execute", count)
    try:
        export_month(session, MONTH, tmp_path / "a.xlsx", "52", today=TODAY)
        four = len(statements)
        for code in ("K31", "K32", "K33", "K34", "K35"):
            b.meeting(session, make_board_club(session, code, members=8), date(2026, 11, 21), [1])
        session.flush()
        statements.clear()
        export_month(session, MONTH, tmp_path / "b.xlsx", "52", today=TODAY)
    finally:
        event.remove(connection, "before_cursor_execute", count)

    assert len(statements) == four <= 2 + 2 * 12  # clubs, province name, then two a month


# Rendering ----------------------------------------------------------------------------------


def _tool(name: str, package: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.fail(
            f"{name} is missing: install {package} (apt-get install {package}) to render "
            "the monthly report"
        )
    return found


def _png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", head[16:24])


def test_the_report_renders_to_pages_a_province_can_print(session, tmp_path):
    soffice = _tool("soffice", "libreoffice-calc")
    pdftoppm = _tool("pdftoppm", "poppler-utils")
    pdftotext = _tool("pdftotext", "poppler-utils")
    seed_demo(session, TODAY)  # GL01 with a year of history, GL02 silent
    build_area(session)
    extra = make_board_club(session, "K21", members=12)
    extra.name = "CLB Liên thế hệ tự giúp nhau thôn Plei Ia Der và làng Ia Krăi mở rộng"
    b.meeting(session, extra, date(2026, 11, 21), list(range(1, 10)))
    session.flush()

    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    xlsx = ARTIFACTS / "bao-cao-2026-11.xlsx"
    assert export_month(session, MONTH, xlsx, "52", today=TODAY) == 7

    profile = tmp_path / "lo-profile"
    env = {**os.environ, "HOME": str(tmp_path / "home")}
    done = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(ARTIFACTS),
            str(xlsx),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    pdf = ARTIFACTS / "bao-cao-2026-11.pdf"
    assert done.returncode == 0 and pdf.exists(), done.stdout + done.stderr
    subprocess.run(
        [pdftoppm, "-png", "-r", "80", str(pdf), str(ARTIFACTS / "page")], check=True, timeout=120
    )
    pages = sorted(ARTIFACTS.glob("page-*.png"))

    assert len(pages) == 3  # one page a sheet for seven clubs: no chart or row spills over
    first = pages[0]
    assert first.stat().st_size > 20_000
    width, height = _png_size(first)
    assert width > height  # landscape
    text = subprocess.run(
        [pdftotext, "-layout", "-f", "1", "-l", "1", str(pdf), "-"],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    assert "BÁO CÁO THÁNG 11/2026" in text
    assert "Địa bàn: Gia Lai" in text
    for code in ("GL01", "GL02", "K03", "K07", "K12", "K20", "K21"):
        assert code in text
    assert "đang mở" in text  # the last column made it onto the first page: nothing cut
    assert "TỔNG CỘNG (7 CLB)" in text
    assert "Trang 1/3" in text
