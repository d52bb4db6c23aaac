"""A worker that dies or hangs mid-transaction holds nothing for long (issue: one killed worker
froze all processing)."""

from __future__ import annotations

import os
import signal

import psutil
import pytest
from rq import Queue, Worker
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from models.clubs import Club
from tests.factories import make_club
from tests.faults.conftest import service_env, wait_for


def _club_in(url: str) -> int:
    engine = create_engine(url)
    with Session(engine) as s:
        club_id = make_club(s).id
        s.commit()
    engine.dispose()
    return club_id


def _lock_within(url: str, club_id: int, seconds: int) -> bool:
    """Take the club's row lock from a fresh connection, waiting at most this long."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(text(f"SET lock_timeout = '{seconds}s'"))
            conn.execute(select(Club.id).where(Club.id == club_id).with_for_update())
            conn.rollback()
        return True
    except OperationalError:
        return False
    finally:
        engine.dispose()


def _scheduler_children(pid: int) -> set[int]:
    try:
        return {c.pid for c in psutil.Process(pid).children() if c.is_running()}
    except psutil.NoSuchProcess:
        return set()


@pytest.fixture
def postgres_only(engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("row locks and session bounds are PostgreSQL's (SQLite frees a dead writer)")


def test_killed_worker_leaves_no_lock_behind_in_its_scheduler_child(
    postgres_only, scratch_db, redis_server, processes, tmp_path
):
    club_id = _club_in(scratch_db)
    conn = redis_server.client()
    env = service_env(scratch_db, redis_server.url, tmp_path / "var")
    worker = processes.start("tests.faults.worker_entry", env, name="worker")
    wait_for(lambda: Worker.count(connection=conn) >= 1, 30, "the worker registers")
    queue = Queue("default", connection=conn)
    job = queue.enqueue("tests.faults.jobs.count_clubs")
    wait_for(lambda: job.get_status(refresh=True) == "finished", 30, "a first job ran")

    # The scheduler child dies (as it can when Redis goes away) and the worker forks it again,
    # while the worker's pool holds a connection from the first job.
    first = wait_for(lambda: _scheduler_children(worker.pid), 30, "the scheduler child runs")
    for pid in first:
        os.kill(pid, signal.SIGKILL)
    redis_server.restart()  # its scheduler locks are gone with Redis's data
    wait_for(lambda: _scheduler_children(worker.pid) - first, 60, "the scheduler is forked again")
    Queue("default", connection=conn).enqueue(
        "tests.faults.jobs.hold_club_lock", club_id, "held", 300
    )
    wait_for(lambda: conn.get("held"), 30, "the job holds the club's row lock")

    os.kill(worker.pid, signal.SIGKILL)  # the worker alone: its scheduler child lives on
    assert _lock_within(scratch_db, club_id, 20), "the dead worker's transaction still locks"


def test_a_hung_transaction_is_ended_by_the_server(
    postgres_only, scratch_db, redis_server, processes, tmp_path
):
    club_id = _club_in(scratch_db)
    conn = redis_server.client()
    env = service_env(scratch_db, redis_server.url, tmp_path / "var", DB_IDLE_TX_TIMEOUT="2")
    processes.start("tests.faults.worker_entry", env, name="worker")
    Queue("default", connection=conn).enqueue(
        "tests.faults.jobs.hold_club_lock", club_id, "held", 300, job_timeout=600
    )
    wait_for(lambda: conn.get("held"), 30, "the job holds the club's row lock")
    # The job sleeps inside its transaction, as a process stopped by the kernel would.
    assert _lock_within(scratch_db, club_id, 20), "an idle transaction kept its lock"
