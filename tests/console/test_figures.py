"""The overview's figures are the SMS BC figures and the Excel export's, for the same month; the
overview, the trend and the alert list take the same number of statements for 3 or 30 clubs."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import time_machine
from sqlalchemy.orm import Session

from menus.summaries import render_area
from models.console import (
    Viewer,
    area_overview,
    area_trend,
    load_viewer,
    open_alerts,
    scope_ids,
)
from models.enums import OutboundKind
from models.export import build_report
from models.inbox import store_inbound
from models.messages import InboundMessage, OutboundMessage
from tests.console.conftest import ADMIN_PASSWORD, PROVINCE_ADMIN_PHONE, build_world
from tests.console.support import login
from tests.summaries.conftest import SUP_PHONE
from tests.summaries.test_queries import _clubs, counting
from workers.sms import handle_inbound

MONTH_END = date(2026, 11, 30)
FIELDS = (
    "club_count",
    "reported",
    "silent",
    "meetings_held",
    "present",
    "members_at_meeting_clubs",
    "repaid_vnd",
    "repayments",
    "overdue_loans",
    "overdue_vnd",
    "readings",
    "red_alerts",
    "red_members",
    "all_areas",
    "home_visits",
    "open_help",
)


def _bc_reply(session: Session, phone: str, today: date) -> str:
    msg_id, _ = store_inbound(session, provider="test", provider_id="bc-1", sender=phone, text="BC")
    msg = session.get(InboundMessage, msg_id)
    [reply_id, *_] = handle_inbound(session, msg, today)
    reply = session.get(OutboundMessage, reply_id)
    assert reply.kind == OutboundKind.REPLY
    return reply.text


def test_console_bc_and_export_agree_on_a_month(session: Session, app: Any) -> None:
    with time_machine.travel("2026-11-30 15:00:00+07:00", tick=False):
        world = build_world(session)
        session.commit()
        province = load_viewer(session, "admin", world.province_admin.id)
        supervisor = load_viewer(session, "supervisor", world.area.sup.id)
        assert isinstance(province, Viewer) and isinstance(supervisor, Viewer)
        assert province.club_ids == supervisor.club_ids  # province 52 is the commune's 4 clubs

        console = area_overview(session, scope_ids(province), MONTH_END)
        month = console.month
        # The SMS BC of the commune's supervisor, through the real SMS handler.
        assert _bc_reply(session, SUP_PHONE, MONTH_END) == render_area(month, "vi")
        # The Excel export of province 52 for November.
        report = build_report(session, "2026-11", "52")
        assert {f: getattr(month, f) for f in FIELDS} == {
            f: getattr(report.totals, f) for f in FIELDS
        }
        exported_all8_met = sum(1 for _, f in report.rows if f.all_areas and f.meetings)
        assert console.indicators.all8_met == exported_all8_met
        assert month.club_count == 4 and month.red_alerts > 0 and month.overdue_loans > 0

        trend = area_trend(session, scope_ids(province), MONTH_END)
        assert [p.month for p in trend] == [f"{m.period_start:%Y-%m}" for m in report.trend]
        for point, exported in zip(trend, report.trend, strict=True):
            assert (
                point.clubs,
                point.reported,
                point.repaid_vnd,
                point.red_alerts,
                point.overdue_loans,
                point.overdue_vnd,
                point.attendance_pct,
            ) == (
                exported.club_count,
                exported.reported,
                exported.repaid_vnd,
                exported.red_alerts,
                exported.overdue_loans,
                exported.overdue_vnd,
                exported.attendance_pct,
            ), point.month

        # And the page shows them.
        app.config["CONSOLE_CACHE_SECONDS"] = 0
        client = app.test_client()
        login(client, PROVINCE_ADMIN_PHONE, ADMIN_PASSWORD)
        html = client.get("/console/").get_data(as_text=True)
        repaid = f"{month.repaid_vnd:,}".replace(",", ".") + " đ"
        assert re.search(rf'id="kpi-repaid">{re.escape(repaid)}<', html)
        assert re.search(rf'id="kpi-red">{month.red_alerts}<', html)
        assert re.search(rf'id="kpi-clubs">{month.club_count}<', html)


def test_the_programme_indicators(session: Session) -> None:
    with time_machine.travel("2026-11-28 10:00:00+07:00", tick=False):
        world = build_world(session)
        ind = area_overview(session, [world.other.id], date(2026, 11, 28)).indicators
    # HN01: 10 women born 1950 (older), one reading, no loan, fund at its opening (0).
    assert (ind.clubs, ind.members, ind.women, ind.older, ind.younger) == (1, 10, 10, 10, 0)
    assert (ind.screened, ind.with_loan, ind.homecare_clients, ind.fund_vnd) == (1, 0, 0, 0)


def test_the_same_statements_for_3_and_30_clubs(session: Session) -> None:
    small = _clubs(session, 3, "10011")
    big = _clubs(session, 30, "10012")
    today = date(2026, 11, 28)
    counts = []
    for ids in (small, big):
        with counting(session) as overview:
            ov = area_overview(session, ids, today)
        with counting(session) as trend:
            area_trend(session, ids, today)
        with counting(session) as alerts:
            rows = open_alerts(session, ids, today)
        assert ov.month.club_count == len(ids) and len(rows) == len(ids)  # a red reading each
        counts.append((len(overview), len(trend), len(alerts)))
    assert counts[0] == counts[1]
    overview_n, trend_n, alerts_n = counts[0]
    assert overview_n <= 8 and trend_n <= 1 + 2 * 12 and alerts_n == 2


def test_the_trend_cache_spares_finished_months(session: Session) -> None:
    ids = _clubs(session, 3, "10013")
    store: dict[str, dict[str, Any]] = {}

    class Cache:
        def get(self, key: str) -> dict[str, Any] | None:
            return store.get(key)

        def set(self, key: str, value: dict[str, Any]) -> None:
            store[key] = value

    today = date(2026, 11, 28)
    first = area_trend(session, ids, today, cache=Cache(), cache_key="t")
    assert len(store) == 11  # the current month is never cached
    with counting(session) as again:
        second = area_trend(session, ids, today, cache=Cache(), cache_key="t")
    assert first == second and len(again) <= 3
