"""The monthly report workbook the provincial association sends up: one row per club."""

from __future__ import annotations

import calendar
from datetime import date
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.clubs import Club
from models.places import Commune, Province
from models.stats import clubs_month_summaries

COLUMNS = (
    ("Mã CLB", "code"),
    ("Tên CLB", "name"),
    ("Tỉnh", "province"),
    ("Xã/phường", "commune"),
    ("Đã báo cáo", "reported"),
    ("Báo cáo gần nhất", "last_report_on"),
    ("Số buổi sinh hoạt", "meetings"),
    ("Ngày sinh hoạt", "meeting_on"),
    ("Có mặt", "present"),
    ("Hội viên", "active_members"),
    ("Số lần trả nợ", "repayments"),
    ("Tiền trả nợ (đ)", "repaid_vnd"),
    ("Khoản vay quá hạn", "overdue_loans"),
    ("Tiền quá hạn (đ)", "overdue_vnd"),
    ("Lượt đo HA", "readings"),
    ("Cảnh báo đỏ", "red_alerts"),
    ("Số mảng hoạt động", "area_count"),
    ("Đủ 8 mảng", "all_areas"),
    ("Lượt thăm tại nhà", "home_visits"),
    ("Yêu cầu giúp đỡ đang mở", "open_help"),
)


def month_bounds(month: str) -> tuple[date, date]:
    """ "2026-11" -> (1 Nov 2026, 30 Nov 2026)."""
    year, mon = (int(x) for x in month.split("-"))
    return date(year, mon, 1), date(year, mon, calendar.monthrange(year, mon)[1])


def export_month(session: Session, month: str, path: Path, province_code: str | None = None) -> int:
    """Write the month's figures for every club (or one province's) to an .xlsx; returns rows."""
    start, end = month_bounds(month)
    q = (
        select(Club.id, Club.code, Province.name, Commune.name)
        .join(Province, Province.code == Club.province_code)
        .outerjoin(Commune, Commune.code == Club.commune_code)
        .order_by(Club.province_code, Club.commune_code, Club.code)
    )
    if province_code:
        q = q.where(Club.province_code == province_code)
    clubs = session.execute(q).all()
    figures = clubs_month_summaries(session, [c[0] for c in clubs], start, end)
    wb = Workbook()
    ws = wb.active
    ws.title = month
    ws.append([title for title, _ in COLUMNS])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for club_id, _code, province, commune in clubs:
        f = figures[club_id]
        values = {
            **{k: getattr(f, k, None) for _, k in COLUMNS},
            "province": province,
            "commune": commune,
            "reported": "có" if f.reported else "không",
            "area_count": len(f.areas),
            "all_areas": "có" if len(f.areas) == 8 else "không",
        }
        ws.append([values[k] for _, k in COLUMNS])
    ws.freeze_panes = "A2"
    wb.save(path)
    return len(clubs)
