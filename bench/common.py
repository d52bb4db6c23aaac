"""Shared set-up for the benchmarks: a migrated database and a Redis, chosen like the tests."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import text

from gateway.config import load_config
from models import db
from workers import runtime
from workers.connection import resolve_redis_url


def bench_config(**overrides: Any) -> dict[str, Any]:
    """TEST_DATABASE_URL / TEST_REDIS_URL when set (PostgreSQL, Redis), else SQLite + embedded."""
    tmp = Path(tempfile.mkdtemp(prefix="dientua-bench-"))
    cfg = load_config({})
    cfg.update(
        VAR_DIR=str(tmp),
        DATABASE_URL=os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp / 'bench.db'}",
        REDIS_URL=resolve_redis_url(os.environ.get("TEST_REDIS_URL") or "embedded", str(tmp)),
        QUIET_HOURS="",
        DAILY_CAP_PER_RECIPIENT=0,
        LOG_LEVEL="WARNING",
    )
    cfg.update(overrides)
    return cfg


def fresh_database(cfg: dict[str, Any]) -> None:
    """Drop and migrate the bench database, then wire the runtime to it."""
    from tests.conftest import migrate

    engine = db.make_engine(cfg["DATABASE_URL"])
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    migrate(engine)
    engine.dispose()
    runtime.init(cfg)
    runtime.redis().flushdb()
