"""The monthly report workbook a provincial association prints and sends up, in Vietnamese.

Three sheets: the clubs' figures for the month (silent clubs shaded, a totals row), the 8
activity areas per club, and the last 12 months of the province (or of every club) with charts.
Each sheet prints on A4 landscape, one page wide, with the header row repeated on every page.

The figures come from models.stats.clubs_month_summaries: two queries per month, whatever the
number of clubs, so the whole workbook costs 2 + 2 x 12 queries (clubs, province, months).
"""

from __future__ import annotations

import calendar
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.chart.text import RichText, Text
from openpyxl.chart.title import Title
from openpyxl.drawing.spreadsheet_drawing import AnchorMarker, TwoCellAnchor
from openpyxl.drawing.text import (
    CharacterProperties,
    Paragraph,
    ParagraphProperties,
    RegularTextRun,
)
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.utils.units import cm_to_EMU
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import select
from sqlalchemy.orm import Session

from menus.clock import vn_today
from models.clubs import Club
from models.ledger import add_months
from models.places import Commune, Province
from models.stats import AREAS, AreaMonth, ClubMonth, clubs_month_summaries

# The 8 activity areas as the association names them, numbered as the product numbers them.
AREA_NAMES: dict[int, str] = {
    1: "Thu nhập",
    2: "Sức khỏe",
    3: "Chăm sóc tại nhà",
    4: "Tự giúp nhau",
    5: "Quyền lợi",
    6: "Truyền thông",
    7: "Văn hóa tinh thần",
    8: "Vận động nguồn lực",
}
TREND_MONTHS = 12
NATIONAL = "Toàn quốc"
PROGRAMME = "CLB LIÊN THẾ HỆ TỰ GIÚP NHAU"
TICK = "✓"
YES, NO = "Có", "Không"

# Number formats (locale-neutral codes: Vietnamese Excel shows 1.500.000).
VND = "#,##0"
COUNT = "#,##0"
PCT = "0%"
DATE = "dd/mm/yyyy"

FONT_NAME = "Arial"
BODY = Font(name=FONT_NAME, size=10)
BOLD = Font(name=FONT_NAME, size=10, bold=True)
TITLE = Font(name=FONT_NAME, size=14, bold=True)
SUBTITLE = Font(name=FONT_NAME, size=11, bold=True)
NOTE = Font(name=FONT_NAME, size=9, italic=True)
HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
TOTAL_FILL = PatternFill("solid", fgColor="E7E6E6")
SILENT_FILL = PatternFill("solid", fgColor="FCE4D6")  # light orange: no report this month
_THIN = Side(style="thin", color="7F7F7F")
GRID = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
HEADER_ROW = 5  # rows 1-3 title, 4 blank
ROW_HEIGHT = 18.0  # points: a data row, room to read (and to correct by hand)
LINE_HEIGHT = 12.5  # points per extra line of wrapped 10-point text
CHART_ROWS = 17  # rows of 15 points under the trend table that hold its charts
CHARS_PER_WIDTH = 1.4  # 10-point Arial characters per unit of column width, erring short


def month_bounds(month: str) -> tuple[date, date]:
    """ "2026-11" -> (1 Nov 2026, 30 Nov 2026)."""
    year, mon = (int(x) for x in month.split("-"))
    return date(year, mon, 1), date(year, mon, calendar.monthrange(year, mon)[1])


def _month_end(start: date) -> date:
    return start.replace(day=calendar.monthrange(start.year, start.month)[1])


def _mm_yyyy(d: date) -> str:
    return f"{d.month:02d}/{d.year}"


def _ddmmyyyy(d: date) -> str:
    return f"{d.day:02d}/{d.month:02d}/{d.year}"


def _ratio(part: int, whole: int) -> float | None:
    """part / whole, or None (a blank cell) when there is nothing to divide by."""
    return part / whole if whole else None


# Figures ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClubRow:
    club_id: int
    code: str
    name: str
    province: str
    commune: str | None
    founded_on: date | None

    def exists_on(self, day: date) -> bool:
        return self.founded_on is None or self.founded_on <= day


@dataclass(frozen=True)
class MonthReport:
    """Everything the workbook shows, computed before any cell is written."""

    month: str
    start: date
    end: date
    scope: str  # the province's name, or NATIONAL
    national: bool
    rows: tuple[tuple[ClubRow, ClubMonth], ...]  # by province, commune, club code
    totals: AreaMonth
    trend: tuple[AreaMonth, ...]  # TREND_MONTHS months, oldest first, ending with this month

    @property
    def label(self) -> str:
        return _mm_yyyy(self.start)


def build_report(session: Session, month: str, province_code: str | None = None) -> MonthReport:
    """The month's figures per club and the 12-month trend, for a province or every club."""
    start, end = month_bounds(month)
    q = (
        select(Club.id, Club.code, Club.name, Province.name, Commune.name, Club.founded_on)
        .join(Province, Province.code == Club.province_code)
        .outerjoin(Commune, Commune.code == Club.commune_code)
        .order_by(Club.province_code, Club.commune_code, Club.code)
    )
    if province_code:
        q = q.where(Club.province_code == province_code)
    clubs = [ClubRow(*r) for r in session.execute(q)]
    if province_code:
        scope = (
            session.scalar(select(Province.name).where(Province.code == province_code))
            or province_code
        )
    else:
        scope = NATIONAL
    ids = [c.club_id for c in clubs] if province_code else None  # None: every club, no list

    trend: list[AreaMonth] = []
    figures: dict[int, ClubMonth] = {}
    for back in range(TREND_MONTHS - 1, -1, -1):
        m_start = add_months(start, -back)
        m_end = _month_end(m_start)
        existing = [c for c in clubs if c.exists_on(m_end)]
        figures = clubs_month_summaries(session, ids, m_start, m_end) if existing else {}
        trend.append(
            AreaMonth.build(
                0, m_start, m_end, (figures[c.club_id] for c in existing if c.club_id in figures)
            )
        )
    rows = tuple(
        (c, figures[c.club_id]) for c in clubs if c.exists_on(end) and c.club_id in figures
    )
    return MonthReport(
        month=month,
        start=start,
        end=end,
        scope=scope,
        national=province_code is None,
        rows=rows,
        totals=trend[-1],
        trend=tuple(trend),
    )


# Sheet helpers ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Col:
    """A table column: its header, width (characters), number format and alignment."""

    title: str
    width: float
    fmt: str = "General"
    align: str = "right"


def _title_block(ws: Worksheet, ncols: int, lines: Sequence[tuple[str, Font]]) -> None:
    """Rows 1-3: the title lines, each merged across the table and centred."""
    last = get_column_letter(ncols)
    for row, (text, font) in enumerate(lines, start=1):
        cell = ws.cell(row=row, column=1, value=text)
        cell.font = font
        cell.alignment = Alignment(horizontal="center", vertical="center")
        ws.merge_cells(f"A{row}:{last}{row}")
    ws.row_dimensions[1].height = 24
    ws.row_dimensions[HEADER_ROW - 1].height = 8


def _header(ws: Worksheet, cols: Sequence[Col], height: float = 54) -> None:
    for i, col in enumerate(cols, start=1):
        cell = ws.cell(row=HEADER_ROW, column=i, value=col.title)
        cell.font = BOLD
        cell.fill = HEADER_FILL
        cell.border = GRID
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(i)].width = col.width
    ws.row_dimensions[HEADER_ROW].height = height


def _row(
    ws: Worksheet,
    row: int,
    cols: Sequence[Col],
    values: Sequence[Any],
    *,
    font: Font = BODY,
    fill: PatternFill | None = None,
) -> None:
    for i, (col, value) in enumerate(zip(cols, values, strict=True), start=1):
        cell = ws.cell(row=row, column=i, value=value)
        cell.font = font
        cell.border = GRID
        cell.number_format = col.fmt
        cell.alignment = Alignment(
            horizontal=col.align,
            vertical="center",
            wrap_text=col.align == "left",
            # A left indent keeps text off the border; LibreOffice draws a right indent
            # unevenly, so numbers keep the cell's own padding.
            indent=1 if col.align == "left" else 0,
        )
        if fill is not None:
            cell.fill = fill
    ws.row_dimensions[row].height = _height(cols, values)


def _height(cols: Sequence[Col], values: Sequence[Any]) -> float:
    """A row tall enough for its wrapped text: neither Excel nor LibreOffice grows a row whose
    height is set, and Excel does not always grow one whose height is not."""
    lines = 1
    for col, value in zip(cols, values, strict=True):
        if col.align == "left" and isinstance(value, str):
            per_line = max(int((col.width - 2) * CHARS_PER_WIDTH), 1)  # less the indent
            lines = max(lines, len(textwrap.wrap(value, per_line)))
    return ROW_HEIGHT + LINE_HEIGHT * (lines - 1)


def _note(ws: Worksheet, row: int, ncols: int, text: str, height: float = 15) -> None:
    """A line of explanation under a table, merged across it."""
    cell = ws.cell(row=row, column=1, value=text)
    cell.font = NOTE
    cell.alignment = Alignment(horizontal="left", vertical="top", wrap_text=True)
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=ncols)
    ws.row_dimensions[row].height = height


def _hf(text: str) -> str:
    return text.replace("&", "&&")


def _print_setup(
    ws: Worksheet, report: MonthReport, today: date, last_row: int, *, pages_tall: int = 0
) -> None:
    """A4 landscape, one page wide (and pages_tall pages tall, 0: as many as it takes), header
    row on every page, page numbers in the footer; the print area runs to last_row."""
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = pages_tall
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins = PageMargins(left=0.4, right=0.4, top=0.7, bottom=0.7, header=0.3, footer=0.3)
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.print_area = f"A1:{get_column_letter(ws.max_column)}{last_row}"
    # &P page, &N pages, &A the sheet's name; a literal & is written &&.
    for item, text in (
        (ws.oddHeader.left, "Điểm Tựa — CLB Liên thế hệ tự giúp nhau"),
        (ws.oddHeader.right, _hf(f"Báo cáo tháng {report.label} — {report.scope}")),
        (ws.oddFooter.left, f"Lập ngày {_ddmmyyyy(today)}"),
        (ws.oddFooter.center, "Trang &P/&N"),
        (ws.oddFooter.right, "&A"),
    ):
        item.text = text
        item.size = 8
        item.font = FONT_NAME


def _titles(report: MonthReport, heading: str, today: date) -> list[tuple[str, Font]]:
    return [
        (heading, TITLE),
        (f"Địa bàn: {report.scope}", SUBTITLE),
        (
            f"Kỳ báo cáo: {_ddmmyyyy(report.start)} – {_ddmmyyyy(report.end)}."
            f" Số CLB: {len(report.rows)}. Lập ngày {_ddmmyyyy(today)} (Điểm Tựa).",
            NOTE,
        ),
    ]


# Sheet 1: the month ------------------------------------------------------------------------

ClubValue = Callable[[ClubRow, ClubMonth], Any]


def _month_columns(national: bool) -> list[tuple[Col, ClubValue, str]]:
    """(column, value for a club, how the totals row fills it: sum, label or blank)."""

    def attendance(_: ClubRow, f: ClubMonth) -> float | None:
        return _ratio(f.present, f.active_members) if f.meetings else None

    cols: list[tuple[Col, ClubValue, str]] = [
        (Col("STT", 5, align="center"), lambda c, f: None, "label"),  # numbered when written
        (Col("Mã CLB", 8, align="left"), lambda c, f: c.code, "label"),
        (Col("Tên CLB", 32, align="left"), lambda c, f: c.name, "label"),
    ]
    if national:
        cols.append((Col("Tỉnh/thành phố", 13, align="left"), lambda c, f: c.province, "label"))
    cols += [
        (Col("Xã/phường", 14, align="left"), lambda c, f: c.commune, "label"),
        (Col("Có báo cáo", 8, align="center"), lambda c, f: YES if f.reported else NO, "reported"),
        (Col("Báo cáo gần nhất", 11, DATE, "center"), lambda c, f: f.last_report_on, ""),
        (Col("Số buổi sinh hoạt", 8, COUNT), lambda c, f: f.meetings, "sum"),
        (Col("Ngày sinh hoạt", 11, DATE, "center"), lambda c, f: f.meeting_on, ""),
        (Col("Hội viên", 8, COUNT), lambda c, f: f.active_members, "sum"),
        (Col("Có mặt", 7, COUNT), lambda c, f: f.present, "sum"),
        (Col("Tỷ lệ có mặt", 7, PCT), attendance, "attendance"),
        (Col("Số lần trả nợ", 7, COUNT), lambda c, f: f.repayments, "sum"),
        (Col("Tiền trả nợ (đ)", 13, VND), lambda c, f: f.repaid_vnd, "sum"),
        (Col("Khoản vay quá hạn", 8, COUNT), lambda c, f: f.overdue_loans, "sum"),
        (Col("Tiền quá hạn (đ)", 13, VND), lambda c, f: f.overdue_vnd, "sum"),
        (Col("Lượt đo huyết áp", 8, COUNT), lambda c, f: f.readings, "sum"),
        (Col("Cảnh báo đỏ", 8, COUNT), lambda c, f: f.red_alerts, "sum"),
        (Col("Số mảng hoạt động", 8, COUNT), lambda c, f: len(f.areas), ""),
        (Col("Lượt thăm tại nhà", 8, COUNT), lambda c, f: f.home_visits, "sum"),
        (Col("Yêu cầu giúp đỡ đang mở", 9, COUNT), lambda c, f: f.open_help, "sum"),
    ]
    return cols


def _month_sheet(ws: Worksheet, report: MonthReport, today: date) -> None:
    spec = _month_columns(report.national)
    cols = [c for c, _, _ in spec]
    n = len(cols)
    heading = f"BÁO CÁO THÁNG {report.label} — {PROGRAMME}"
    _title_block(ws, n, _titles(report, heading, today))
    _header(ws, cols)

    row = HEADER_ROW
    table: list[list[Any]] = []
    for i, (club, f) in enumerate(report.rows, start=1):
        row += 1
        values = [value(club, f) for _, value, _ in spec]
        values[0] = i
        table.append(values)
        _row(ws, row, cols, values, fill=None if f.reported else SILENT_FILL)
    last_data = row

    # Totals: sums of the rows above; attendance over the clubs that met, as the rows count it.
    t = report.totals
    club_count = len(report.rows)
    labels = sum(1 for _, _, kind in spec if kind == "label")
    totals: list[Any] = []
    for j, (_, _, kind) in enumerate(spec):
        if kind == "sum":
            totals.append(sum(r[j] or 0 for r in table))
        elif kind == "reported":
            totals.append(t.reported)
        elif kind == "attendance":
            totals.append(_ratio(t.present, t.members_at_meeting_clubs))
        else:
            totals.append(None)
    totals[0] = f"TỔNG CỘNG ({club_count} CLB)"
    row += 1
    _row(ws, row, cols, totals, font=BOLD, fill=TOTAL_FILL)
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=labels)
    ws.cell(row=row, column=1).alignment = Alignment(horizontal="center", vertical="center")
    reported_col = next(j for j, (_, _, k) in enumerate(spec, start=1) if k == "reported")
    ws.cell(row=row, column=reported_col).number_format = f'0"/{club_count}"'
    ws.row_dimensions[row].height = 20

    ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=labels + 1)
    ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(n)}{last_data}"

    row += 2
    _note(
        ws,
        row,
        n,
        "Dòng tô màu cam nhạt: CLB chưa báo cáo trong tháng (không có sinh hoạt, "
        "đo huyết áp, trả nợ, hoạt động hay báo cáo nào trong tháng).",
    )
    row += 1
    _note(
        ws,
        row,
        n,
        (
            f"Tỷ lệ có mặt = số có mặt ở buổi sinh hoạt cuối tháng / số hội viên. Dòng tổng: "
            f"{t.present:,} / {t.members_at_meeting_clubs:,} hội viên của {t.meetings_held} CLB "
            f"có sinh hoạt trong tháng."
        ).replace(",", "."),
    )
    row += 1
    _note(
        ws,
        row,
        n,
        'Số mảng hoạt động: xem trang "8 mảng". Tiền tính bằng đồng (VND); '
        "quá hạn tính đến ngày cuối tháng.",
    )
    _print_setup(ws, report, today, _signatures(ws, row + 2, n))


def _signatures(ws: Worksheet, row: int, ncols: int) -> int:
    """The place, date and signature lines of a Vietnamese report, left and right; returns the
    last row of the space left to sign in."""
    right = max(ncols - 5, 1)
    left_end = min(5, right - 1) if right > 1 else 1
    place = ws.cell(row=row, column=right, value="……………, ngày …… tháng …… năm ……")
    place.font = NOTE
    place.alignment = Alignment(horizontal="center")
    ws.merge_cells(start_row=row, start_column=right, end_row=row, end_column=ncols)
    for offset, (left_text, right_text, font) in enumerate(
        (
            ("NGƯỜI LẬP BIỂU", "THỦ TRƯỞNG ĐƠN VỊ", BOLD),
            ("(Ký, ghi rõ họ tên)", "(Ký tên, đóng dấu)", NOTE),
        ),
        start=1,
    ):
        r = row + offset
        for start, end, text in ((1, left_end, left_text), (right, ncols, right_text)):
            cell = ws.cell(row=r, column=start, value=text)
            cell.font = font
            cell.alignment = Alignment(horizontal="center")
            if end > start:
                ws.merge_cells(start_row=r, start_column=start, end_row=r, end_column=end)
    return row + 7


# Sheet 2: the 8 areas ----------------------------------------------------------------------


def _areas_sheet(ws: Worksheet, report: MonthReport, today: date) -> None:
    cols = [
        Col("STT", 5, align="center"),
        Col("Mã CLB", 8, align="left"),
        Col("Tên CLB", 32, align="left"),
        Col("Xã/phường", 14, align="left"),
        *(Col(f"{a}. {AREA_NAMES[a]}", 10, align="center") for a in AREAS),
        Col("Số mảng", 7, COUNT, "center"),
        Col("Đủ 8 mảng", 7, align="center"),
        Col("Có sinh hoạt trong tháng", 9, align="center"),
    ]
    n = len(cols)
    first_area = 5
    heading = f"HOẠT ĐỘNG THEO 8 MẢNG — THÁNG {report.label}"
    _title_block(ws, n, _titles(report, heading, today))
    _header(ws, cols)

    row = HEADER_ROW
    active = dict.fromkeys(AREAS, 0)
    all8 = met = all8_met = 0
    for i, (club, f) in enumerate(report.rows, start=1):
        row += 1
        for a in f.areas:
            active[a] += 1
        all8 += f.all_areas
        met += bool(f.meetings)
        all8_met += f.all_areas and bool(f.meetings)
        values = [
            i,
            club.code,
            club.name,
            club.commune,
            *(TICK if a in f.areas else None for a in AREAS),
            len(f.areas),
            TICK if f.all_areas else None,
            TICK if f.meetings else None,
        ]
        _row(ws, row, cols, values, fill=None if f.reported else SILENT_FILL)
    last_data = row

    clubs = len(report.rows)
    counts = [*(active[a] for a in AREAS), None, all8, met]
    shares = [_ratio(x, clubs) if x is not None else None for x in counts]
    count_cols = [
        *cols[: first_area - 1],
        *(Col(c.title, c.width, COUNT, "center") for c in cols[first_area - 1 :]),
    ]
    share_cols = [
        *cols[: first_area - 1],
        *(Col(c.title, c.width, PCT, "center") for c in cols[first_area - 1 :]),
    ]
    for label, values, spec in (
        (f"Số CLB hoạt động (trên {clubs} CLB)", counts, count_cols),
        ("Tỷ lệ CLB", shares, share_cols),
    ):
        row += 1
        _row(ws, row, spec, [label, None, None, None, *values], font=BOLD, fill=TOTAL_FILL)
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=first_area - 1)
        ws.cell(row=row, column=1).alignment = Alignment(horizontal="center", vertical="center")
        ws.row_dimensions[row].height = 20

    ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=first_area)
    ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(n)}{last_data}"
    row += 2
    share = _ratio(all8_met, clubs)
    _note(
        ws,
        row,
        n,
        (
            f"Chỉ tiêu: CLB hoạt động đủ 8 mảng và có sinh hoạt trong tháng: {all8_met}/{clubs} CLB"
            + (f" ({share:.0%})." if share is not None else ".")
        ),
    )
    row += 1
    _note(
        ws,
        row,
        n,
        "Một mảng được tính là có hoạt động khi CLB ghi hoạt động của mảng đó "
        "trong tháng; mảng 1 cũng tính khi có giải ngân hoặc trả nợ, mảng 2 khi có đo huyết "
        "áp, mảng 3 khi có thăm tại nhà. Dòng tô màu: CLB chưa báo cáo.",
        height=28,
    )
    _print_setup(ws, report, today, row)


# Sheet 3: the trend ------------------------------------------------------------------------


def _trend_sheet(ws: Worksheet, report: MonthReport, today: date) -> None:
    cols = [
        Col("Tháng", 11, align="center"),
        Col("Số CLB", 12, COUNT),
        Col("CLB có báo cáo", 13, COUNT),
        Col("Tỷ lệ báo cáo", 13, PCT),
        Col("CLB có sinh hoạt", 13, COUNT),
        Col("Tỷ lệ có mặt", 13, PCT),
        Col("Số lần trả nợ", 13, COUNT),
        Col("Tiền trả nợ thu được (đ)", 18, VND),
        Col("Cảnh báo đỏ (huyết áp)", 13, COUNT),
        Col("CLB đủ 8 mảng", 13, COUNT),
    ]
    n = len(cols)
    first, last = report.trend[0].period_start, report.trend[-1].period_start
    heading = f"XU HƯỚNG {TREND_MONTHS} THÁNG ({_mm_yyyy(first)} – {_mm_yyyy(last)})"
    _title_block(ws, n, _titles(report, heading, today))
    _header(ws, cols, height=36)
    row = HEADER_ROW
    for m in report.trend:
        row += 1
        values = [
            _mm_yyyy(m.period_start),
            m.club_count,
            m.reported,
            _ratio(m.reported, m.club_count),
            m.meetings_held,
            _ratio(m.present, m.members_at_meeting_clubs),
            m.repayments,
            m.repaid_vnd,
            m.red_alerts,
            m.all_areas,
        ]
        this_month = m is report.trend[-1]
        _row(ws, row, cols, values, font=BOLD if this_month else BODY)
    first_data, last_data = HEADER_ROW + 1, row
    ws.freeze_panes = ws.cell(row=HEADER_ROW + 1, column=2)

    row += 1
    _note(
        ws,
        row,
        n,
        "Tỷ lệ có mặt: số có mặt / số hội viên của các CLB có sinh hoạt trong "
        "tháng. Số CLB: các CLB đã thành lập tính đến cuối tháng.",
    )
    anchor = row + 2
    months = Reference(ws, min_col=1, min_row=first_data, max_row=last_data)

    rates = LineChart()
    rates.title = _chart_title("Tỷ lệ báo cáo và tỷ lệ có mặt")
    for col in (4, 6):
        rates.add_data(
            Reference(ws, min_col=col, min_row=HEADER_ROW, max_row=last_data), titles_from_data=True
        )
    rates.set_categories(months)
    rates.y_axis.scaling.min, rates.y_axis.scaling.max = 0, 1
    rates.y_axis.number_format = PCT
    rates.y_axis.majorUnit = 0.2
    for series in rates.series:
        series.smooth = False
        series.marker.symbol = "circle"
    _axes(rates)
    ws.add_chart(rates, _between(anchor, 0, 5, CHART_ROWS))

    money = BarChart()
    money.type = "col"
    money.title = _chart_title("Tiền trả nợ thu được (đ)")
    money.add_data(
        Reference(ws, min_col=8, min_row=HEADER_ROW, max_row=last_data), titles_from_data=True
    )
    money.set_categories(months)
    money.y_axis.number_format = VND
    money.y_axis.scaling.min = 0
    money.legend = None
    _axes(money)
    ws.add_chart(money, _between(anchor, 5, n, CHART_ROWS, gap_cm=0.5))

    # Twelve rows and two charts: always one page, never a chart split across two.
    _print_setup(ws, report, today, anchor + CHART_ROWS, pages_tall=1)


def _axes(chart: LineChart | BarChart) -> None:
    """Show both axes (openpyxl 3.1 hides them unless told) and put the legend underneath."""
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    if chart.legend is not None:
        chart.legend.position = "b"


def _chart_title(text: str) -> Title:
    """A 12-point bold title (the default 18 points leaves little room for the plot)."""
    props = CharacterProperties(sz=1200, b=True)
    para = Paragraph(pPr=ParagraphProperties(defRPr=props), r=[RegularTextRun(rPr=props, t=text)])
    return Title(tx=Text(rich=RichText(p=[para])), overlay=False)


def _between(row: int, first_col: int, end_col: int, rows: int, gap_cm: float = 0) -> TwoCellAnchor:
    """A chart anchored to cells (0-based columns first_col up to end_col, from row on, gap_cm
    in from the left): it stretches with the columns, so it spans the table whatever fonts the
    reader's spreadsheet sizes them with."""
    anchor = TwoCellAnchor()
    anchor._from = AnchorMarker(col=first_col, row=row - 1, colOff=cm_to_EMU(gap_cm), rowOff=0)
    anchor.to = AnchorMarker(col=end_col, row=row - 1 + rows, colOff=0, rowOff=0)
    return anchor


# The workbook -------------------------------------------------------------------------------


def month_sheet_title(month: str) -> str:
    year, mon = month.split("-")
    return f"Báo cáo tháng {mon}-{year}"


def render_workbook(report: MonthReport, today: date) -> Workbook:
    wb = Workbook()
    first = wb.active
    first.title = month_sheet_title(report.month)
    _month_sheet(first, report, today)
    _areas_sheet(wb.create_sheet("8 mảng"), report, today)
    _trend_sheet(wb.create_sheet("Xu hướng"), report, today)
    return wb


def export_month(
    session: Session,
    month: str,
    path: Path,
    province_code: str | None = None,
    *,
    today: date | None = None,
) -> int:
    """Write the month's report for every club (or one province's) to an .xlsx; returns the
    number of clubs in it."""
    report = build_report(session, month, province_code)
    render_workbook(report, today or vn_today()).save(path)
    return len(report.rows)
