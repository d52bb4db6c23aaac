"""The migrations: up, down and up again, and the models match them."""

from __future__ import annotations

from alembic import command
from sqlalchemy import create_engine, inspect

from tests.scratch import alembic_config, scratch_database


def test_upgrade_downgrade_upgrade(engine, tmp_path):
    url, drop = scratch_database(engine, tmp_path)
    try:
        cfg = alembic_config(url)
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
