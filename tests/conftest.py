"""Test wiring: real databases and Redis, one rolled-back transaction per test.

TEST_DATABASE_URL / TEST_REDIS_URL name the services (.ci/run sets PostgreSQL and Redis); with
neither set the suite runs on a SQLite file and the embedded Redis, like the quick start. A named
service that does not answer stops the run: it fails, it never skips.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from redis import Redis
from rq import SimpleWorker
from rq.registry import FailedJobRegistry
from sqlalchemy import Connection, Engine, text

import runtime
from models import db
from runtime import QUEUES
from runtime.connection import connect, resolve_redis_url
from runtime.settings import ROOT, load_config
from tests.fakes.fixtures import at_channel, fake_android, fake_at  # noqa: F401 - fixtures

_TMP = Path(tempfile.mkdtemp(prefix="dientua-tests-"))


def _database_url() -> str:
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{_TMP / 'test.db'}"


def _redis_url() -> str:
    return os.environ.get("TEST_REDIS_URL") or "embedded"


def migrate(engine: Engine) -> None:
    """Build the schema from the migrations (never create_all), from an empty database."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        cfg = Config(str(ROOT / "alembic.ini"))
        cfg.attributes["connection"] = conn
        cfg.attributes["skip_logging"] = True
        command.upgrade(cfg, "head")


@pytest.fixture(scope="session")
def test_config() -> dict[str, Any]:
    cfg = load_config({})
    cfg.update(
        VAR_DIR=str(_TMP),
        DATABASE_URL=_database_url(),
        REDIS_URL=resolve_redis_url(_redis_url(), str(_TMP)),
        SMS_CHANNEL="console",
        QUIET_HOURS="",
        LOG_LEVEL="WARNING",
    )
    return cfg


@pytest.fixture(scope="session")
def engine(test_config: dict[str, Any]) -> Iterator[Engine]:
    eng = db.make_engine(test_config["DATABASE_URL"])
    try:
        with eng.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001
        pytest.exit(f"database {eng.url!r} does not answer: {exc}", returncode=3)
    migrate(eng)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def redis_conn(test_config: dict[str, Any]) -> Redis:
    conn = connect(test_config["REDIS_URL"])
    try:
        conn.ping()
    except Exception as exc:  # noqa: BLE001
        pytest.exit(f"redis {test_config['REDIS_URL']!r} does not answer: {exc}", returncode=3)
    return conn


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    """One transaction per test, rolled back; every commit inside is a savepoint."""
    conn = engine.connect()
    trans = conn.begin()
    db.bind(conn)
    try:
        yield conn
    finally:
        trans.rollback()
        conn.close()


@pytest.fixture
def session(connection: Connection) -> Iterator[Any]:
    s = db.new_session()
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def rt(test_config: dict[str, Any], redis_conn: Redis, connection: Connection) -> Iterator[Any]:
    """The worker runtime wired to the test database and a flushed Redis."""
    redis_conn.flushdb()
    runtime._config = dict(test_config)  # noqa: SLF001
    runtime._redis = redis_conn  # noqa: SLF001
    runtime.set_channel(None)
    yield runtime
    runtime.set_channel(None)
    redis_conn.flushdb()


@pytest.fixture
def app(rt: Any, test_config: dict[str, Any]) -> Any:
    from gateway import create_app

    return create_app(test_config, init_runtime=False)


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


class BurstWorker(SimpleWorker):
    """A real RQ SimpleWorker without the pub/sub control thread, whose shutdown costs ~0.15 s
    per burst (stop/kill commands are never sent in tests)."""

    def subscribe(self) -> None:
        self.pubsub_thread = None

    def unsubscribe(self) -> None:
        pass


def burst(redis_conn: Redis, *, allow_failures: bool = False) -> int:
    """Run the queues empty with a real worker; failed jobs fail the test unless allowed."""
    from rq.job import Job

    worker = BurstWorker(list(QUEUES), connection=redis_conn)
    worker.work(burst=True, with_scheduler=False)
    failed = [j for q in QUEUES for j in FailedJobRegistry(q, connection=redis_conn).get_job_ids()]
    if failed and not allow_failures:
        results = [Job.fetch(j, connection=redis_conn).latest_result() for j in failed]
        raise AssertionError(f"jobs failed: {[r.exc_string if r else None for r in results]}")
    return worker.successful_job_count


@pytest.fixture
def run_jobs(rt: Any, redis_conn: Redis) -> Any:
    """Run a real RQ worker in burst mode until the queues are empty; failed jobs fail the test."""

    def run(*, allow_failures: bool = False) -> int:
        return burst(redis_conn, allow_failures=allow_failures)

    return run


MEETING_DAY = "2026-11-21 09:00:00+07:00"  # a meeting day (the 21st), Vietnam time


@pytest.fixture
def traveller() -> Iterator[Any]:
    """The clock frozen on a meeting day, movable with .shift()."""
    import time_machine

    with time_machine.travel(MEETING_DAY, tick=False) as t:
        yield t


@pytest.fixture
def channel(rt: Any) -> Any:
    """The console channel, keeping what was sent in .outbox."""
    from runtime.channels.console import ConsoleChannel

    ch = ConsoleChannel()
    rt.set_channel(ch)
    return ch
