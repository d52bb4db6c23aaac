"""Several hosts on one machine: PostgreSQL, Redis, two web hosts, two worker hosts (the clock on
the second), each in its own network namespace on one bridge. A stream of SMS goes through both
webs; halfway, the first worker host is cut off the network without stopping anything on it (a
partition: its processes run on, holding whatever they held). Every acknowledged message must
end recorded exactly once and answered exactly once, and the test says how long that took.

Needs root (network namespaces); fails, never skips, where they are not permitted.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from redis import Redis
from rq import Queue, Worker
from rq.job import Job
from rq.registry import FailedJobRegistry, StartedJobRegistry
from rq.utils import parse_composite_key
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.orm import Session

from models.enums import InboundStatus, OutboundKind, OutboundStatus
from models.messages import InboundMessage, OutboundMessage
from models.records import HealthReading
from runtime.settings import ROOT
from tests.factories import SECRETARY_PHONE, make_board_club
from tests.faults.conftest import Processes, service_env, wait_for
from tests.faults.netns import SUBNET, InNamespace, NetnsError, Network

# The hosts and their addresses on the test's own bridge (10.251.0.0/24, see netns.SUBNET).
HOSTS = {"db": 10, "redis": 11, "web1": 21, "web2": 22, "work1": 31, "work2": 32, "client": 100}
WEB_PORT = 8000
STREAM = 240  # messages in the stream, alternating between the two webs
CUT_AT = STREAM // 2
# When work1 is cut: "job" (default) while it runs an inbound job, the case the product recovers
# from; "idle" while it waits in BLPOP, which loses the next job Redis hands it (see the README).
CUT_WHEN = os.environ.get("TOPOLOGY_CUT", "job")
# Seconds between two posts: about 12 a second (sends go at 10 a second, so the workers stay
# busy), or 4 a second for "idle" (so that work1 waits for work).
PACE = 0.25 if CUT_WHEN == "idle" else 0.08
# How long after the cut everything acknowledged must be recorded and answered. A job running on
# the partitioned host stays "started" in Redis until its StartedJobRegistry entry expires (RQ's
# SimpleWorker: job timeout 180 s + 60 s), a worker's maintenance (WORKER_MAINTENANCE_SECONDS)
# then fails it and the clock's sweeper (every 20 s) hands its row over again: 240 + 10 + 20 s.
RECOVERY_BOUND = 285
ANSWERED = (OutboundStatus.ACCEPTED, OutboundStatus.DELIVERED)


def reading(n: int) -> tuple[int, int]:
    """Message n's blood pressure, distinct for every n, so each is recorded (none is a loop)."""
    return 100 + n % 80, 60 + n // 80


def post_sms(addr: str, sender: str, text_: str, provider_id: str) -> int:
    """An SMS as Africa's Talking posts it to a web host; the HTTP status (0: nothing answered)."""
    form = {"from": sender, "to": "8085", "text": text_, "id": provider_id}
    data = urllib.parse.urlencode(form).encode()
    url = f"http://{addr}:{WEB_PORT}/sms/inbound"
    try:
        with urllib.request.urlopen(url, data=data, timeout=10) as resp:  # noqa: S310 - test host
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except OSError:
        return 0


def web_up(addr: str) -> bool:
    try:
        with urllib.request.urlopen(f"http://{addr}:{WEB_PORT}/healthz", timeout=2):  # noqa: S310
            return True
    except OSError as exc:
        return getattr(exc, "code", None) == 503  # answering, though degraded


def postgres_bin() -> Path:
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4])
    )
    if not found:
        pytest.fail("no PostgreSQL server binaries (/usr/lib/postgresql/*/bin): apt-get install "
                    "postgresql", pytrace=False)  # fmt: skip
    return Path(found[-1]).parent


AS_POSTGRES = ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"]


@dataclass
class Topology:
    net: Network
    client: InNamespace  # the test's own thread on the "client" host
    db_url: str
    redis_url: str
    env: dict[str, str]  # the product's environment, shared by every host
    processes: Processes
    hosts_dir: Path
    _redis: Redis | None = None

    def start(self, host: str, module: str, *args: str, **extra: str) -> Any:
        """`python -m module` on a host, with its own VAR_DIR (and console outbox)."""
        var = self.hosts_dir / host
        var.mkdir(parents=True, exist_ok=True)
        env = {
            **self.env,
            "VAR_DIR": str(var),
            "CONSOLE_OUTBOX": str(var / "outbox.jsonl"),
            **extra,
        }
        argv = self.net.exec_argv(host, [sys.executable, "-m", module, *args])
        return self.processes.start_program(argv, name=f"{host}-{module}", env=env)

    def redis(self) -> Redis:
        """A client for the test's own thread on the client host (made there on first use)."""
        if self._redis is None:
            self._redis = Redis.from_url(self.redis_url, socket_timeout=5, socket_connect_timeout=3)
        return self._redis


@pytest.fixture
def topology(processes: Processes, tmp_path: Path) -> Iterator[Topology]:
    net = Network(HOSTS)
    print(f"\nnamespaces: dt-<host>-{net.suffix}; logs in {tmp_path}")
    base = Path(tempfile.mkdtemp(prefix=f"dt-topo-{net.suffix}-"))  # postgres must reach it
    base.chmod(0o755)
    client: InNamespace | None = None
    pg: subprocess.Popen[bytes] | None = None
    try:
        try:
            net.build()
        except NetnsError as exc:
            pytest.fail(
                f"cannot build the test hosts: {exc}. This test makes network namespaces with "
                "`ip netns add`, veth and a bridge: it must run as root (CAP_SYS_ADMIN and "
                "CAP_NET_ADMIN), as CI does on this machine.",
                pytrace=False,
            )
        db, rds = net["db"], net["redis"]
        client = InNamespace(net["client"].ns)

        # PostgreSQL on the db host, as the postgres user, trusting the hosts' subnet.
        bindir, data, sock = postgres_bin(), base / "pgdata", base / "pgsock"
        for d in (data, sock):
            d.mkdir()
            shutil.chown(d, "postgres", "postgres")
        subprocess.run(
            [*AS_POSTGRES, str(bindir / "initdb"), "-D", str(data), "-U", "postgres",
             "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        with (data / "pg_hba.conf").open("a") as hba:
            hba.write(f"host all all {SUBNET}.0/24 trust\n")
        pg = processes.start_program(
            net.exec_argv("db", [*AS_POSTGRES, str(bindir / "postgres"), "-D", str(data),
                                 "-k", str(sock), "-h", db.addr, "-p", "5432",
                                 "-c", "max_connections=200", "-c", "fsync=off"]),
            name="db-postgres",
        )  # fmt: skip
        admin_url = f"postgresql+psycopg://postgres@{db.addr}:5432/postgres"

        def create_database() -> bool:
            eng = create_engine(admin_url, isolation_level="AUTOCOMMIT")
            try:
                with eng.connect() as conn:
                    conn.execute(text("CREATE DATABASE dientua"))
                return True
            except Exception:  # noqa: BLE001 - not up yet
                return False
            finally:
                eng.dispose()

        wait_for(lambda: client(create_database), 60, "PostgreSQL answers on the db host", 0.3)
        db_url = f"postgresql+psycopg://postgres@{db.addr}:5432/dientua"

        # Redis on its own host.
        redis_dir = base / "redis"
        redis_dir.mkdir()
        processes.start_program(
            net.exec_argv("redis", [shutil.which("redis-server") or "redis-server",
                                    "--bind", rds.addr, "--port", "6379", "--protected-mode", "no",
                                    "--save", "", "--appendonly", "no", "--dir", str(redis_dir)]),
            name="redis-server",
        )  # fmt: skip
        redis_url = f"redis://{rds.addr}:6379/0"
        topo = Topology(
            net, client, db_url, redis_url, service_env(db_url, redis_url, base / "var"),
            processes, tmp_path / "hosts",
        )  # fmt: skip

        def redis_up() -> bool:
            try:
                return bool(topo.redis().ping())
            except Exception:  # noqa: BLE001
                return False

        wait_for(lambda: client(redis_up), 30, "Redis answers on the redis host", 0.2)

        # The release step from a web host, then a club (from the client host).
        migrate = subprocess.run(
            net.exec_argv("web1", [sys.executable, "-m", "alembic", "upgrade", "head"]),
            cwd=ROOT, env=topo.env, capture_output=True, text=True, timeout=180,
        )  # fmt: skip
        assert migrate.returncode == 0, f"alembic upgrade head failed:\n{migrate.stderr[-3000:]}"

        def seed() -> None:
            eng = create_engine(db_url)
            with Session(eng) as s:
                make_board_club(s)
                s.commit()
            eng.dispose()

        client(seed)
        yield topo
    finally:
        if client is not None:
            client.close()
        if pg is not None and pg.poll() is None:
            pg.send_signal(signal.SIGINT)  # fast shutdown: its shared memory goes with it
            with contextlib.suppress(subprocess.TimeoutExpired):
                pg.wait(timeout=15)
        processes.kill_all()
        left = net.teardown()
        shutil.rmtree(base, ignore_errors=True)
        if left:
            print(f"could not delete namespaces: {left}")


def _outbox(topo: Topology) -> Counter[tuple[str, str]]:
    """(to, text) of every message the console channel of any worker host sent."""
    sent: Counter[tuple[str, str]] = Counter()
    for path in topo.hosts_dir.glob("*/outbox.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            with contextlib.suppress(ValueError):
                entry = json.loads(line)
                sent[(entry["to"], entry["text"])] += 1
    return sent


def _tally(engine: Engine, acked: dict[str, int], outbox: Counter[tuple[str, str]]) -> dict:
    """Per acknowledged message: stored, processed, its reading recorded, its reply row, the reply
    accepted by the channel, and how often the channel actually sent it."""
    with Session(engine) as s:
        rows = {
            pid: (rid, status)
            for pid, rid, status in s.execute(
                select(InboundMessage.provider_id, InboundMessage.id, InboundMessage.status)
            )
        }
        readings = Counter(
            (sys_, dia)
            for sys_, dia in s.execute(select(HealthReading.systolic, HealthReading.diastolic))
        )
        replies: dict[int, list[tuple[str, str, str]]] = {}
        for inbound_id, status, to, body in s.execute(
            select(OutboundMessage.inbound_id, OutboundMessage.status, OutboundMessage.to,
                   OutboundMessage.text)
            .where(OutboundMessage.kind == OutboundKind.REPLY)
        ):  # fmt: skip
            replies.setdefault(inbound_id, []).append((status, to, body))
    c: Counter[str] = Counter()
    incomplete: list[str] = []
    for pid, n in acked.items():
        rid, status = rows.get(pid, (None, None))
        mine = replies.get(rid, []) if rid is not None else []
        times_recorded = readings[reading(n)]
        answered = [r for r in mine if r[0] in ANSWERED]
        channel_sends = sum(outbox[(to, body)] for st, to, body in answered)
        c["stored"] += rid is not None
        c["processed"] += status == InboundStatus.PROCESSED
        c["recorded"] += times_recorded >= 1
        c["replied"] += len(mine) >= 1
        c["sent"] += len(answered) >= 1
        c["channel_sends"] += channel_sends
        done = status == InboundStatus.PROCESSED and times_recorded and answered
        if not done:
            incomplete.append(pid)
        if times_recorded > 1 or len(mine) > 1 or channel_sends > 1:
            c["duplicated"] += 1
    c["lost"] = len(incomplete)
    c["inbound_rows"] = len(rows)
    return {"counts": dict(c), "incomplete": incomplete}


def _job(r: Redis, job_id: str, queue: str, worker_names: dict[str, str]) -> str:
    """Where RQ has a job: its status, the worker it last ran on, and which lists hold it."""
    names = ("status", "worker_name", "enqueued_at", "started_at")
    values = r.hmget(Job.key_for(job_id), names)
    if not r.exists(Job.key_for(job_id)):
        return f"{job_id}: no such job in Redis"
    fields = {k: v.decode() for k, v in zip(names, values, strict=True) if v is not None}
    where = []
    if job_id in Queue(queue, connection=r).get_job_ids():
        where.append(f"queue {queue}")
    if job_id in StartedJobRegistry(queue, connection=r).get_job_ids(cleanup=False):
        where.append("started registry")
    if job_id in FailedJobRegistry(queue, connection=r).get_job_ids(cleanup=False):
        where.append("failed registry")
    worker = fields.get("worker_name", "")
    return (
        f"{job_id}: status {fields.get('status')!r}, worker {worker_names.get(worker, worker)!r}, "
        f"enqueued {fields.get('enqueued_at')}, started {fields.get('started_at')}, "
        f"in {', '.join(where) or 'no queue and no registry'}"
    )


def _diagnose(topo: Topology, engine: Engine, pids: list[str], worker_names: dict[str, str]) -> str:
    """For each message not finished: its row and its jobs, as the sweeper would see them."""
    r = topo.redis()
    lines = []
    with Session(engine) as s:
        for pid in pids[:20]:
            msg = s.scalar(select(InboundMessage).where(InboundMessage.provider_id == pid))
            if msg is None:
                lines.append(f"{pid}: acknowledged but not stored")
                continue
            lines.append(
                f"{pid}: inbound row {msg.id} status {msg.status!r} sweeps {msg.sweeps} "
                f"note {msg.note!r}; job {_job(r, f'in-{msg.id}', 'inbound', worker_names)}"
            )
            for out in s.scalars(select(OutboundMessage).where(
                OutboundMessage.inbound_id == msg.id, OutboundMessage.kind == OutboundKind.REPLY
            )):  # fmt: skip
                lines.append(
                    f"    reply row {out.id} status {out.status!r} attempts {out.attempts} "
                    f"reason {out.failure_reason!r}; job "
                    f"{_job(r, f'out-{out.id}', 'outbound', worker_names)}"
                )
    return "\n".join(lines)


@pytest.mark.timeout(480)
def test_partitioned_worker_host_loses_nothing(topology: Topology):
    topo, net, client = topology, topology.net, topology.client
    print("hosts: " + ", ".join(f"{h.name} {h.addr}" for h in net.hosts.values()))
    for web in ("web1", "web2"):  # the Procfile's web line, on port 8000 of the host's address
        topo.start(web, "gunicorn", "--config", "python:gateway.gunicorn_conf", "gateway.wsgi:app",
                   HOST=net[web].addr, PORT=str(WEB_PORT))  # fmt: skip
    worker1 = topo.start("work1", "workers", WORKER_MAINTENANCE_SECONDS="10")
    worker2 = topo.start("work2", "workers", WORKER_MAINTENANCE_SECONDS="10")
    clock = topo.start("work2", "workers.clock")
    for web in ("web1", "web2"):
        addr = net[web].addr
        wait_for(lambda a=addr: client(web_up, a), 60, f"{web} answers at {addr}:{WEB_PORT}")

    def workers() -> dict[int, str]:
        return {w.pid: w.name for w in Worker.all(connection=topo.redis()) if w.pid}

    names = wait_for(lambda: (w := client(workers)) and len(w) >= 2 and w, 60, "two workers up")
    worker_names = {names.get(worker1.pid, "?"): "work1", names.get(worker2.pid, "?"): "work2"}
    assert "?" not in worker_names, f"worker pids {worker1.pid}, {worker2.pid} not in {names}"
    engine = client(create_engine, topo.db_url)

    acked: dict[str, int] = {}
    posted = 0

    def send(n: int) -> None:
        nonlocal posted
        pid = f"topo-{n}"
        sys_, dia = reading(n)
        web = net["web1" if n % 2 == 0 else "web2"]
        posted += 1
        if client(post_sms, web.addr, SECRETARY_PHONE, f"HA 12 {sys_}/{dia}", pid) == 200:
            acked[pid] = n

    work1_key = Worker.redis_worker_namespace_prefix + next(
        k for k, v in worker_names.items() if v == "work1"
    )

    def work1_doing() -> str | None:
        """What work1 is doing now as RQ shows it, when it is the moment to cut (else None)."""
        pipe = topo.redis().pipeline(transaction=False)
        pipe.hget(work1_key, "state")
        pipe.smembers(f"{work1_key}:executions")
        state, executions = pipe.execute()
        if CUT_WHEN == "idle":
            return "nothing (idle in BLPOP)" if state == b"idle" and not executions else None
        jobs = [parse_composite_key(e.decode())[0] for e in executions]
        running = next((j for j in jobs if j.startswith("in-")), None)
        return f"job {running}" if state == b"busy" and running else None

    start = time.monotonic()
    cut: float | None = None
    for n in range(STREAM):
        send(n)
        pause_until = time.monotonic() + PACE
        # From halfway on, cut work1 off at the first moment CUT_WHEN asks for. By default
        # the hard case: mid-job (its transaction may hold the row's lock, its RQ job stays
        # "started" in Redis), which the product must recover from by itself.
        while cut is None and n + 1 >= CUT_AT and time.monotonic() < pause_until:
            doing = client(work1_doing)
            if doing:
                net.cut("work1")
                cut = time.monotonic()
                print(f"cut work1 off the network {cut - start:.1f} s into the stream, after "
                      f"message {n}, while its worker was running {doing}")  # fmt: skip
            time.sleep(0.002)
        time.sleep(max(0.0, pause_until - time.monotonic()))
    assert cut is not None, f"work1 never in the state to cut ({CUT_WHEN}) in the second half"
    print(f"stream: sent {posted}, acknowledged {len(acked)} in {time.monotonic() - start:.1f} s")

    # Traffic goes on (one message a second, both webs) until everything acknowledged is done.
    n = STREAM
    recovered: float | None = None
    shown = 0.0
    while time.monotonic() - cut < RECOVERY_BOUND:
        tally = client(_tally, engine, acked, _outbox(topo))
        if not tally["incomplete"]:
            recovered = time.monotonic() - cut
            break
        if time.monotonic() - shown >= 30:
            shown = time.monotonic()
            print(f"  {shown - cut:3.0f} s after the cut: not yet done {tally['incomplete'][:5]}")
        send(n)
        n += 1
        time.sleep(1)
    tally = client(_tally, engine, acked, _outbox(topo))
    counts = tally["counts"]
    print(
        f"sent {posted}, acknowledged {len(acked)}, stored {counts.get('stored', 0)}, "
        f"processed {counts.get('processed', 0)}, recorded {counts.get('recorded', 0)}, "
        f"replied {counts.get('replied', 0)} (accepted by the channel {counts.get('sent', 0)}, "
        f"channel sends {counts.get('channel_sends', 0)}), lost {counts.get('lost', 0)}, "
        f"duplicated {counts.get('duplicated', 0)}"
    )
    print(f"recovered {recovered:.0f} s after the cut" if recovered is not None else
          f"NOT recovered {RECOVERY_BOUND} s after the cut")  # fmt: skip
    try:
        assert worker1.poll() is None, "the partitioned worker's process should still be running"
        assert worker2.poll() is None and clock.poll() is None, "work2's worker or clock died"
        assert len(acked) == posted, "a web refused messages while only a worker host was cut"
        assert counts.get("lost", 0) == 0, (
            f"{counts['lost']} acknowledged messages not recorded and answered "
            f"{RECOVERY_BOUND} s after the cut:\n"
            + client(_diagnose, topo, engine, tally["incomplete"], worker_names)
        )
        assert counts.get("duplicated", 0) == 0, f"recorded or answered twice: {counts}"
        assert counts["channel_sends"] == len(acked), f"sends through the channel: {counts}"
    finally:
        client(engine.dispose)
