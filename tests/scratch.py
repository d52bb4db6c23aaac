"""Scratch databases of the same kind as the test database, for tests whose processes commit."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from runtime.settings import ROOT


def alembic_config(url: str) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.attributes["url"] = url
    cfg.attributes["skip_logging"] = True
    return cfg


def scratch_database(engine: Engine, tmp_path: Path) -> tuple[str, Callable[[], None]]:
    """A new empty database on the test database's server (a SQLite file beside the tests), and
    how to drop it."""
    if engine.dialect.name != "postgresql":
        return f"sqlite:///{tmp_path / f'scratch-{uuid.uuid4().hex[:8]}.db'}", lambda: None
    name = f"dientua_scratch_{uuid.uuid4().hex[:8]}"
    admin = create_engine(engine.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    url = make_url(engine.url).set(database=name).render_as_string(hide_password=False)
    return url, drop


def migrated_database(engine: Engine, tmp_path: Path) -> tuple[str, Callable[[], None]]:
    url, drop = scratch_database(engine, tmp_path)
    command.upgrade(alembic_config(url), "head")
    return url, drop
