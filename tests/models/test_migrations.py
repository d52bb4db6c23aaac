"""The migrations: up, down and up again, and the models match them."""

from __future__ import annotations

import uuid

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from gateway.config import ROOT


def _alembic(url: str) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.attributes["url"] = url
    cfg.attributes["skip_logging"] = True
    return cfg


def _scratch_url(engine, tmp_path) -> tuple[str, object]:
    """A scratch database of the same kind as the test database, and how to drop it."""
    if engine.dialect.name != "postgresql":
        return f"sqlite:///{tmp_path / 'mig.db'}", lambda: None
    name = f"dientua_mig_{uuid.uuid4().hex[:8]}"
    admin = create_engine(engine.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    url = make_url(engine.url).set(database=name).render_as_string(hide_password=False)
    return url, drop


def test_upgrade_downgrade_upgrade(engine, tmp_path):
    url, drop = _scratch_url(engine, tmp_path)
    try:
        cfg = _alembic(url)
        command.upgrade(cfg, "head")
        scratch = create_engine(url)
        assert "inbound_messages" in inspect(scratch).get_table_names()
        command.downgrade(cfg, "base")
        assert set(inspect(scratch).get_table_names()) <= {"alembic_version"}
        command.upgrade(cfg, "head")
        tables = set(inspect(scratch).get_table_names())
        assert {"clubs", "members", "loans", "repayments", "outbound_messages"} <= tables
        scratch.dispose()
    finally:
        drop()


def test_models_match_migrations(engine):
    """Autogenerate finds nothing to add: every model change came with a migration."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from models.db import Base

    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
