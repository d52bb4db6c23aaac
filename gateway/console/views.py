"""The console's pages: the area overview, the clubs, a club, a member, a loan, the alerts.

Every page is scoped to the viewer's clubs: anything outside answers 404, exactly as a page that
does not exist. Pages showing members' health values are written to the audit log.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from collections.abc import Callable
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from redis.exceptions import RedisError

import runtime
from gateway.console import bp
from gateway.console.auth import current_viewer, tr
from gateway.console.forms import CloseForm
from menus.clock import vn_today
from models import db
from models.clubs import Member
from models.console import (
    ALERT_DAYS,
    OLDER_AGE,
    AlertKind,
    AlreadyHandled,
    Viewer,
    area_overview,
    area_trend,
    audit,
    close_alert,
    club_detail,
    club_infos,
    loan_ledger,
    member_detail,
    open_alerts,
    scope_ids,
)
from models.enums import BPGrade
from models.health import grade_bp
from models.stats import AREAS, ClubMonth, clubs_month_summaries, month_to_date, weakness_key

log = logging.getLogger(__name__)

PAGE_SIZE = 50
WEAKEST_SHOWN = 10


class RedisTrendCache:
    """Finished months of the trend in Redis for CONSOLE_CACHE_SECONDS; Redis down: no cache."""

    def __init__(self, seconds: int) -> None:
        self.seconds = seconds

    def get(self, key: str) -> dict[str, Any] | None:
        try:
            raw = runtime.redis().get(f"dientua:console:trend:{key}")
        except RedisError:
            return None
        return json.loads(raw) if raw else None

    def set(self, key: str, value: dict[str, Any]) -> None:
        try:
            runtime.redis().set(f"dientua:console:trend:{key}", json.dumps(value), ex=self.seconds)
        except RedisError:
            log.warning("console trend cache not written (Redis unavailable)")


def _scope_key(viewer: Viewer) -> str:
    ids = scope_ids(viewer)
    raw = "all" if ids is None else ",".join(map(str, ids))
    return hashlib.sha256(raw.encode()).hexdigest()[:24]


def _trend(s: Any, viewer: Viewer, today: Any) -> list[Any]:
    seconds = int(current_app.config.get("CONSOLE_CACHE_SECONDS") or 0)
    cache = RedisTrendCache(seconds) if seconds > 0 else None
    return area_trend(s, scope_ids(viewer), today, cache=cache, cache_key=_scope_key(viewer))


def _scope_label(viewer: Viewer) -> str:
    if viewer.club_ids is None:
        return tr("app.scope_all")
    if viewer.province_code:
        return tr("app.scope_province", code=viewer.province_code)
    return tr("app.scope_area", clubs=len(viewer.club_ids))


def _pct(part: int, whole: int) -> str:
    if not whole:
        return tr("overview.none")
    return tr("overview.share", part=part, whole=whole, pct=round(100 * part / whole))


@bp.get("/")
def overview() -> str:
    viewer = current_viewer()
    today = vn_today()
    with db.read_session() as s:
        ov = area_overview(s, scope_ids(viewer), today)
        trend = _trend(s, viewer, today)
    ind = ov.indicators
    rows = [
        ("overview.all8", _pct(ind.all8_met, ind.clubs), tr("overview.target_all8")),
        ("overview.with_loan", _pct(ind.with_loan, ind.members), tr("overview.target_loan")),
        ("overview.screened", _pct(ind.screened, ind.members), ""),
        (
            "overview.homecare",
            tr("overview.homecare_value", clients=ind.homecare_clients, visits=ind.home_visits),
            "",
        ),
        ("overview.fund", None, ""),
        ("overview.women", _pct(ind.women, ind.members), tr("overview.target_women")),
        ("overview.older", _pct(ind.older, ind.members), tr("overview.target_older")),
        ("overview.younger", _pct(ind.younger, ind.members), tr("overview.target_younger")),
    ]
    chart = {
        "months": [p.month for p in trend],
        "series": [
            {"key": "reported", "label": tr("overview.chart_reported"),
             "values": [p.reported for p in trend]},
            {"key": "attendance", "label": tr("overview.chart_attendance"),
             "values": [p.attendance_pct for p in trend]},
            {"key": "repaid", "label": tr("overview.chart_repaid"),
             "values": [round(p.repaid_vnd / 1e6, 1) for p in trend]},
            {"key": "overdue", "label": tr("overview.chart_overdue"),
             "values": [p.overdue_loans for p in trend]},
            {"key": "red", "label": tr("overview.chart_red"),
             "values": [p.red_alerts for p in trend]},
            {"key": "all8", "label": tr("overview.chart_all8"),
             "values": [p.all8_met for p in trend]},
        ],
    }  # fmt: skip
    return render_template(
        "console/overview.html",
        ov=ov,
        a=ov.month,
        ind=ind,
        rows=rows,
        trend=trend,
        chart=chart,
        weakest=ov.month.clubs[:WEAKEST_SHOWN],
        info=ov.info,
        scope=_scope_label(viewer),
        older_age=OLDER_AGE,
    )


SORTS: dict[str, Callable[[ClubMonth, Any], Any]] = {
    "code": lambda c, i: c.code,
    "name": lambda c, i: c.name.lower(),
    "commune": lambda c, i: (i.commune or "").lower(),
    "status": lambda c, i: c.reported,
    "last_report": lambda c, i: c.last_report_on.toordinal() if c.last_report_on else 0,
    "attendance": lambda c, i: -1 if c.attendance_pct is None else c.attendance_pct,
    "repaid": lambda c, i: c.repaid_vnd,
    "overdue": lambda c, i: (c.overdue_vnd, c.overdue_loans),
    "red": lambda c, i: c.red_alerts,
    "areas": lambda c, i: len(c.areas),
    "help": lambda c, i: c.open_help,
}


@bp.get("/clubs")
def clubs() -> str:
    viewer = current_viewer()
    today = vn_today()
    start, end = month_to_date(today)
    q = (request.args.get("q") or "").strip()[:80]
    attention = request.args.get("attention") == "1"
    sort = request.args.get("sort", "weak")
    descending = request.args.get("dir") == "desc"
    with db.read_session() as s:
        ids = scope_ids(viewer)
        months = clubs_month_summaries(s, ids, start, end) if ids != [] else {}
        info = club_infos(s, ids) if ids != [] else {}
    from menus.text import fold

    rows = list(months.values())
    total = len(rows)
    if q:
        needle = fold(q)
        rows = [
            c for c in rows if needle in fold(f"{c.code} {c.name} {info[c.club_id].commune or ''}")
        ]
    if attention:
        rows = [c for c in rows if c.needs_attention]
    if sort in SORTS:
        rows.sort(key=lambda c: SORTS[sort](c, info[c.club_id]), reverse=descending)
    else:
        sort = "weak"
        rows.sort(key=weakness_key)
    pages = max(1, math.ceil(len(rows) / PAGE_SIZE))
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), pages)
    shown = rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]

    def link(**changes: Any) -> str:
        args = {
            "q": q or None,
            "attention": "1" if attention else None,
            "sort": sort,
            "dir": "desc" if descending else None,
            "page": page,
        }
        args.update(changes)
        return url_for("console.clubs", **{k: v for k, v in args.items() if v is not None})

    return render_template(
        "console/clubs.html",
        rows=shown,
        info=info,
        q=q,
        attention=attention,
        sort=sort,
        descending=descending,
        page=page,
        pages=pages,
        total=total,
        matched=len(rows),
        link=link,
        sorts=list(SORTS),
    )


def _club_or_404(viewer: Viewer, club_id: int | None) -> None:
    if not viewer.sees(club_id):
        abort(404)


@bp.get("/clubs/<int:club_id>")
def club(club_id: int) -> str:
    viewer = current_viewer()
    _club_or_404(viewer, club_id)
    with db.session_scope() as s:
        detail = club_detail(s, club_id, vn_today())
        audit(s, viewer, "view_club", club_id=club_id)
        page = render_template(
            "console/club.html", d=detail, c=detail.club, m=detail.month, areas=AREAS
        )
    return page


def _bp_bands() -> list[dict[str, Any]]:
    """Systolic bands of the grades, derived from models.health.grade_bp (60-260 mmHg)."""
    bands: list[dict[str, Any]] = []
    for systolic in range(60, 261):
        grade = grade_bp(systolic, 60)
        if bands and bands[-1]["grade"] == grade.value:
            bands[-1]["to"] = systolic + 1
        else:
            bands.append({"grade": grade.value, "from": systolic, "to": systolic + 1})
    return bands


@bp.get("/members/<int:member_id>")
def member(member_id: int) -> str:
    viewer = current_viewer()
    today = vn_today()
    with db.session_scope() as s:
        found = s.get(Member, member_id)
        club_id = found.club_id if found is not None else None
        _club_or_404(viewer, club_id)
        detail = member_detail(s, member_id, today)
        audit(s, viewer, "view_member", club_id=club_id, member_id=member_id)
        readings = [r for r in detail.readings if r.systolic and r.diastolic]
        chart = {
            "dates": [r.taken_on.isoformat() for r in readings],
            "systolic": [r.systolic for r in readings],
            "diastolic": [r.diastolic for r in readings],
            "bands": _bp_bands(),
            "labels": {
                "date": tr("member.date"),
                "systolic": tr("member.systolic"),
                "diastolic": tr("member.diastolic"),
            },
        }
        present = sum(1 for _, here in detail.meetings if here)
        page = render_template(
            "console/member.html",
            d=detail,
            m=detail.member,
            chart=chart,
            present=present,
            grades=list(BPGrade),
        )
    return page


@bp.get("/loans/<int:loan_id>")
def loan(loan_id: int) -> str:
    viewer = current_viewer()
    from models.ledger import Loan

    with db.session_scope() as s:
        found = s.get(Loan, loan_id)
        _club_or_404(viewer, found.club_id if found is not None else None)
        try:
            ln, row, instalments, repayments = loan_ledger(s, loan_id, vn_today())
        except LookupError:
            abort(404)
        page = render_template(
            "console/loan.html", loan=ln, row=row, instalments=instalments, repayments=repayments
        )
    return page


@bp.get("/alerts")
def alerts() -> str:
    viewer = current_viewer()
    with db.read_session() as s:
        rows = open_alerts(s, scope_ids(viewer), vn_today(), handled_days=30)
    open_rows = [a for a in rows if a.handled is None]
    handled = sorted(
        (a for a in rows if a.handled is not None), key=lambda a: a.handled.handled_at, reverse=True
    )  # type: ignore[union-attr]
    return render_template(
        "console/alerts.html",
        open_rows=open_rows,
        handled=handled,
        form=CloseForm(formdata=None),
        alert_days=ALERT_DAYS,
    )


@bp.post("/alerts/<kind>/<int:target_id>/close")
def close(kind: str, target_id: int) -> Any:
    viewer = current_viewer()
    if kind not in set(AlertKind):
        abort(404)
    form = CloseForm()
    if not form.validate():
        abort(404)
    from workers.sending import enqueue_sends

    try:
        with db.session_scope() as s:
            ids = close_alert(
                s,
                kind,
                target_id,
                viewer.name,
                form.note.data,
                outcome=form.outcome.data,
                club_ids=scope_ids(viewer),
            )
            audit(s, viewer, f"close_{kind}", entity_id=target_id)
    except LookupError:
        abort(404)
    except AlreadyHandled:
        flash(tr("alerts.already"))
        return redirect(url_for("console.alerts"))
    enqueue_sends(ids)
    sms = (
        tr("alerts.sms_queued")
        if ids
        else (tr("alerts.sms_none") if kind == AlertKind.HELP else tr("alerts.no_sms_red"))
    )
    flash(tr("alerts.closed", sms=sms))
    log.info("console: %s %s handled, %d sms", kind, target_id, len(ids))
    return redirect(url_for("console.alerts"))
