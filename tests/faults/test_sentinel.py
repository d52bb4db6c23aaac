"""Redis Sentinel: the master dies under a stream of SMS and a replica takes over; web, workers
(with RQ's scheduler child) and the clock follow it, nothing acknowledged is lost or answered
twice, and processing goes on after the failover.

A master, a replica and three sentinels (Debian's redis-server, `--sentinel` for the sentinels)
run on free local ports; web (gunicorn as the Procfile runs it), two workers and the clock run
as real processes with REDIS_SENTINELS set and REDIS_URL giving only the database number.
"""

from __future__ import annotations

import contextlib
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psutil
import pytest
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Worker
from rq.cron import cron_scheduler_registry
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from models.enums import InboundStatus, OutboundKind, OutboundStatus
from models.messages import InboundMessage, OutboundMessage
from models.records import HealthReading
from runtime.connection import connect, limits_storage
from tests.factories import SECRETARY_PHONE, make_board_club
from tests.faults.conftest import (
    Processes,
    RedisServer,
    free_port,
    redis_server_binary,
    service_env,
    wait_for,
)

MASTER_NAME = "fault-master"
SENTINELS = 3
BEFORE_S, AFTER_S = 6.0, 14.0  # SMS stream before and after the master is killed
SETTLE_S = 120  # bound, after the stream, on all of it being processed and answered


class Sentinels:
    """A master, a replica and three sentinels watching them (quorum 2, down after 1 s)."""

    def __init__(self, workdir: Path, processes: Processes) -> None:
        self.master = RedisServer(workdir / "master")
        self.replica = RedisServer(workdir / "replica")
        self.replica.extra = ("--replicaof", "127.0.0.1", str(self.master.port))
        self.ports = [free_port() for _ in range(SENTINELS)]
        self.workdir, self.processes = workdir, processes

    @property
    def addresses(self) -> list[str]:
        return [f"127.0.0.1:{p}" for p in self.ports]

    def sentinel(self, port: int) -> Redis:
        return Redis(host="127.0.0.1", port=port, socket_timeout=2, decode_responses=True)

    def start(self) -> Sentinels:
        self.master.start()
        self.replica.start()
        for port in self.ports:
            folder = self.workdir / f"sentinel-{port}"
            folder.mkdir(parents=True)
            conf = folder / "sentinel.conf"
            conf.write_text(
                f"port {port}\nbind 127.0.0.1\ndir {folder}\n"
                f"sentinel monitor {MASTER_NAME} 127.0.0.1 {self.master.port} 2\n"
                f"sentinel down-after-milliseconds {MASTER_NAME} 1000\n"
                f"sentinel failover-timeout {MASTER_NAME} 3000\n"
                f"sentinel parallel-syncs {MASTER_NAME} 1\n",
                encoding="utf-8",
            )
            self.processes.start_program(
                [redis_server_binary(), str(conf), "--sentinel"], name=f"sentinel-{port}"
            )
        wait_for(self.ready, 30, "the replica in sync and the sentinels seeing all the others")
        return self

    def ready(self) -> bool:
        try:
            info = self.replica.client().info("replication")
            if info.get("master_link_status") != "up":
                return False
            for port in self.ports:
                raw = self.sentinel(port).execute_command("SENTINEL", "MASTER", MASTER_NAME)
                state = dict(zip(raw[::2], raw[1::2], strict=True))
                if (
                    int(state["num-other-sentinels"]) < SENTINELS - 1
                    or int(state["num-slaves"]) < 1
                ):
                    return False
            return True
        except (RedisError, OSError):
            return False

    def master_port(self) -> int | None:
        """The master's port as a majority of sentinels names it."""
        named = []
        for port in self.ports:
            with contextlib.suppress(RedisError, OSError):
                ask = ("SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER_NAME)
                named.append(int(self.sentinel(port).execute_command(*ask)[1]))
        best = max(set(named), key=named.count) if named else None
        return best if best is not None and named.count(best) > SENTINELS // 2 else None

    def stop(self) -> None:
        self.master.kill()
        self.replica.kill()


@pytest.fixture
def sentinels(tmp_path: Path, processes: Processes) -> Any:
    cluster = Sentinels(tmp_path / "redis", processes)
    try:
        yield cluster.start()
    finally:
        cluster.stop()


def _post_sms(port: int, n: int) -> int:
    """A distinct reading for member 12 from the secretary, as Africa's Talking posts it; the
    HTTP status, 0 when nothing answered (the provider would deliver it again)."""
    form = {
        "from": SECRETARY_PHONE,
        "to": "8085",
        "text": f"HA 12 {100 + n % 60}/{60 + n // 60}",
        "id": f"sentinel-{n}",
        "date": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
    }
    data = urllib.parse.urlencode(form).encode()
    try:
        with urllib.request.urlopen(  # noqa: S310 - our own localhost
            f"http://127.0.0.1:{port}/sms/inbound", data=data, timeout=20
        ) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except OSError:
        return 0


def _counts(url: str, acknowledged: set[str], since: float) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with Session(engine) as s:
            rows = s.execute(
                select(InboundMessage.id, InboundMessage.provider_id, InboundMessage.status)
            ).all()
            replies = dict(
                s.execute(
                    select(OutboundMessage.inbound_id, func.count())
                    .where(OutboundMessage.kind == OutboundKind.REPLY)
                    .group_by(OutboundMessage.inbound_id)
                ).all()
            )
            done = {pid for _, pid, status in rows if status == InboundStatus.PROCESSED}
            # Stored ones whose answer did not reach the poster are processed too (a provider
            # would deliver them again, and the duplicate is ignored).
            replied = {pid for id_, pid, _ in rows if replies.get(id_, 0) >= 1}
            after = s.scalar(
                select(func.count(InboundMessage.id)).where(
                    InboundMessage.status == InboundStatus.PROCESSED,
                    InboundMessage.processed_at > _utc(since),
                )
            )
            return {
                "stored": len({pid for _, pid, _ in rows} & acknowledged),
                "processed": len(done & acknowledged),
                "processed_all": len(done),
                "recorded": s.scalar(select(func.count(HealthReading.id))) or 0,
                "replied": len(replied & acknowledged),
                "sent": s.scalar(
                    select(func.count(OutboundMessage.id)).where(
                        OutboundMessage.kind == OutboundKind.REPLY,
                        OutboundMessage.status == OutboundStatus.ACCEPTED,
                    )
                )
                or 0,
                "lost": len(acknowledged - (done & replied)),
                "duplicated": sum(1 for n in replies.values() if n > 1),
                "processed_after_failover": after or 0,
            }
    finally:
        engine.dispose()


def _utc(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def _scheduler_children(pids: list[int]) -> set[int]:
    found: set[int] = set()
    for pid in pids:
        with contextlib.suppress(psutil.NoSuchProcess):
            found |= {c.pid for c in psutil.Process(pid).children() if c.is_running()}
    return found


def test_master_killed_under_sms_stream_fails_over_without_loss(
    scratch_db, sentinels, processes, tmp_path, monkeypatch
):
    engine = create_engine(scratch_db)
    with Session(engine) as s:
        make_board_club(s)
        s.commit()
    engine.dispose()
    env = service_env(
        scratch_db,
        "redis:///0",  # under Sentinel only the database number (and a password) counts
        tmp_path / "var",
        REDIS_SENTINELS=",".join(sentinels.addresses),
        REDIS_SENTINEL_MASTER=MASTER_NAME,
    )
    conn = connect("redis:///0", sentinels=sentinels.addresses, master=MASTER_NAME)
    for name in ("REDIS_SENTINELS", "REDIS_SENTINEL_MASTER"):
        monkeypatch.setenv(name, env[name])  # for limits_storage below, as the web reads it
    port = free_port()
    web = processes.start_gunicorn(env, port)
    workers = [processes.start("workers", env, name="worker") for _ in range(2)]
    clock = processes.start("workers.clock", env, name="clock")
    wait_for(lambda: Worker.count(connection=conn) >= 2, 60, "both workers register")
    children = wait_for(lambda: _scheduler_children([w.pid for w in workers]), 30, "RQ scheduler")

    sent, acknowledged = [0], set()
    stop = threading.Event()

    def stream() -> None:
        while not stop.is_set():
            n = sent[0]
            sent[0] += 1
            if _post_sms(port, n) == 200:
                acknowledged.add(f"sentinel-{n}")
            time.sleep(0.05)

    poster = threading.Thread(target=stream, daemon=True)
    poster.start()
    time.sleep(BEFORE_S)
    old_port = sentinels.master.port
    sentinels.master.kill()  # SIGKILL: whatever it had not passed to the replica is gone
    killed = time.time()
    wait_for(lambda: sentinels.master_port() == sentinels.replica.port, 30, "the replica promoted")
    failover_s = time.time() - killed
    time.sleep(max(0.0, AFTER_S - failover_s))
    stop.set()
    poster.join(timeout=30)
    stream_end = time.time()

    # RQ's scheduler (a forked child rebuilding its connection) moves a delayed job on the new
    # master; the clock (rq cron) heartbeats there within its 60 s loop.
    delayed = Queue("default", connection=conn).enqueue_in(
        timedelta(seconds=1), "tests.faults.jobs.count_clubs"
    )

    def clock_beat_after_failover() -> bool:
        beats = conn.zrange(cron_scheduler_registry.get_registry_key(), 0, -1, withscores=True)
        return any(score > killed + failover_s for _, score in beats)

    # The console's login limits (the `limits` library) on the new master too.
    uri, options = limits_storage(env["REDIS_URL"], str(tmp_path / "var"))
    limiter = FixedWindowRateLimiter(storage_from_string(uri, **options))
    limits_ok = all(limiter.hit(parse("5/minute"), "sentinel-test") for _ in range(5))
    limits_ok = limits_ok and not limiter.hit(parse("5/minute"), "sentinel-test")

    # One bound for all of it; the counts are printed whether or not it is met.
    settled_s = None
    while time.time() - stream_end < SETTLE_S:
        counts = _counts(scratch_db, acknowledged, killed + failover_s)
        if settled_s is None and counts["processed"] == counts["replied"] == len(acknowledged):
            settled_s = time.time() - stream_end
        scheduled = delayed.get_status(refresh=True) == "finished"
        clock_beat = clock_beat_after_failover()
        if settled_s is not None and scheduled and clock_beat:
            break
        time.sleep(1)
    alive = {
        "web": web.poll() is None,
        "workers": sum(w.poll() is None for w in workers),
        "clock": clock.poll() is None,
    }
    same_scheduler = bool(children & _scheduler_children([w.pid for w in workers]))
    print(
        f"\nmaster :{old_port} killed after {BEFORE_S:.0f} s of SMS; replica :"
        f"{sentinels.replica.port} promoted in {failover_s:.1f} s; sent {sent[0]}, acknowledged "
        f"{len(acknowledged)}, {counts}; all processed and answered "
        f"{f'{settled_s:.0f} s' if settled_s is not None else f'NOT within {SETTLE_S} s'} after "
        f"the stream ended; delayed job run by RQ's scheduler: {scheduled}; clock heartbeat on "
        f"the new master: {clock_beat}; login limits counted there: {limits_ok}; alive {alive}; "
        f"scheduler child "
        f"{'survived' if same_scheduler else 'was forked again'}"
    )
    assert counts["lost"] == 0 and counts["duplicated"] == 0
    assert counts["stored"] == counts["processed"] == counts["replied"] == len(acknowledged)
    assert counts["recorded"] == counts["processed_all"] >= len(acknowledged)
    assert counts["processed_after_failover"] > 0, "nothing was processed after the failover"
    assert scheduled and clock_beat and limits_ok
    assert alive == {"web": True, "workers": 2, "clock": True}
    assert Worker.count(connection=conn) == 2  # registered on the new master


def test_a_command_retried_after_the_master_died_reaches_the_promoted_replica(sentinels):
    """redis-py reconnects a connection it is retrying on without asking the sentinels (the dead
    master's address again): runtime.connection.FailoverConnection asks them."""
    client = connect("redis:///0", sentinels=sentinels.addresses, master=MASTER_NAME)
    client.set("before", "kept")
    assert client.wait(1, 5000) == 1  # on the replica too (replication is asynchronous)
    # One connection held throughout, as a worker's blocking read or a command in flight has.
    held = Redis(connection_pool=client.connection_pool, single_connection_client=True)
    assert held.get("before") == b"kept"
    assert held.connection is not None and held.connection.port == sentinels.master.port
    sentinels.master.kill()
    wait_for(lambda: sentinels.master_port() == sentinels.replica.port, 30, "the replica promoted")
    assert held.get("before") == b"kept"  # the broken socket, then a retry on a new one
    assert held.connection.port == sentinels.replica.port
    assert held.set("after", "1") and client.get("after") == b"1"
