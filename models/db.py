"""Declarative base, engine and session factory; nothing binds at import."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime()}


READONLY = "dientua_readonly"
# PostgreSQL bounds on every session, so that a process that dies, hangs or waits can hold
# nothing for long: a transaction left open, a lock waited on, one statement (seconds; 0 = none).
PG_LIMITS = {
    "idle_in_transaction_session_timeout": 60,
    "lock_timeout": 15,
    "statement_timeout": 300,
}
_engine: Engine | None = None
_factory: sessionmaker[Session] | None = None


def _pg_options(limits: Mapping[str, int]) -> str:
    return " ".join(f"-c {name}={int(seconds) * 1000}" for name, seconds in limits.items())


def _forget_inherited_pool() -> None:
    """In a forked child: never use (nor close) the parent's pooled connections."""
    if _engine is not None:
        _engine.dispose(close=False)


def _close_idle_before_fork() -> None:
    """In the parent, before a fork: close the idle pooled connections, so that no child (RQ's
    scheduler, a work horse) inherits a socket that would keep a dead parent's transaction
    and its row locks open on the server."""
    if _engine is not None:
        _engine.dispose()


os.register_at_fork(before=_close_idle_before_fork, after_in_child=_forget_inherited_pool)


def make_engine(url: str, limits: Mapping[str, int] | None = None, **kwargs: Any) -> Engine:
    """An engine with the per-backend settings the product relies on."""
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"timeout": 30, "check_same_thread": False})
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # pysqlite's own transaction handling breaks SAVEPOINT; SQLAlchemy begins instead.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # IMMEDIATE takes the write lock up front: web and worker never deadlock upgrading.
            # Read-only work (a USSD hop) begins deferred and never waits for that lock.
            readonly = conn.get_execution_options().get(READONLY, False)
            conn.connection.driver_connection.execute("BEGIN" if readonly else "BEGIN IMMEDIATE")

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    if url.startswith("postgresql"):
        options = _pg_options({**PG_LIMITS, **(limits or {})})
        kwargs.setdefault("connect_args", {"options": options})
    return create_engine(url, **kwargs)


def configure(url: str, **kwargs: Any) -> Engine:
    """Bind the process-wide session factory to a database URL."""
    global _engine, _factory
    if _engine is not None and str(_engine.url) == url:
        return _engine
    _engine = make_engine(url, **kwargs)
    _factory = sessionmaker(bind=_engine, expire_on_commit=False)
    return _engine


def bind(connection: Connection) -> None:
    """Bind sessions to one open connection (tests: every commit becomes a savepoint)."""
    global _factory
    _factory = sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint"
    )


def engine() -> Engine:
    if _engine is None:
        raise RuntimeError("models.db.configure() was not called")
    return _engine


def new_session() -> Session:
    if _factory is None:
        raise RuntimeError("models.db.configure() was not called")
    return _factory()


def read_session() -> Session:
    """A session for reads only (a USSD hop): on SQLite it never takes the write lock."""
    if _factory is None:
        raise RuntimeError("models.db.configure() was not called")
    bind = _factory.kw.get("bind")
    if isinstance(bind, Engine):
        return _factory(bind=bind.execution_options(**{READONLY: True}))
    return _factory()  # bound to one connection (tests): share it


@contextmanager
def session_scope() -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any exception."""
    session = new_session()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
