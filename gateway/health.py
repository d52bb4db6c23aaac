"""GET /healthz: the database and Redis, each ok or the error's type (503 when either is down),
and what else an operator should know: no worker running, the clock's sweeper late."""

from __future__ import annotations

import time

from flask import Blueprint, jsonify
from rq import Worker
from sqlalchemy import text

import runtime
from models import db
from runtime import QUEUES, SWEEP_HEARTBEAT

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():  # noqa: ANN201
    checks: dict[str, object] = {}
    try:
        with db.new_session() as s:
            s.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        checks["database"] = f"error: {type(exc).__name__}"
    try:
        r = runtime.redis()
        r.ping()
        checks["redis"] = "ok"
        checks["queues"] = {q: runtime.queue(q).count for q in QUEUES}
        checks["workers"] = Worker.count(connection=r)
        last = r.get(SWEEP_HEARTBEAT)
        checks["sweeper_seconds_ago"] = round(time.time() - float(last)) if last else None
    except Exception as exc:  # noqa: BLE001
        checks["redis"] = f"error: {type(exc).__name__}"
    warnings = []
    if checks.get("workers") == 0:
        warnings.append("no worker is running: messages wait")
    ago = checks.get("sweeper_seconds_ago")
    if "sweeper_seconds_ago" in checks and (ago is None or ago > 120):
        warnings.append("the clock's sweeper has not run for 2 minutes: is the clock up?")
    if warnings:
        checks["warnings"] = warnings
    ok = checks["database"] == "ok" and checks["redis"] == "ok"
    checks["status"] = "ok" if ok else "degraded"
    return jsonify(checks), 200 if ok else 503
