"""GET /healthz: the database and Redis, each ok or the error's type."""

from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import text

from models import db
from workers import QUEUES, runtime

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
    except Exception as exc:  # noqa: BLE001
        checks["redis"] = f"error: {type(exc).__name__}"
    ok = checks["database"] == "ok" and checks["redis"] == "ok"
    checks["status"] = "ok" if ok else "degraded"
    return jsonify(checks), 200 if ok else 503
