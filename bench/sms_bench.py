"""Inbound SMS: accepted per second by the webhook, recorded per second by one worker.

    .venv/bin/python -m bench.sms_bench [--seconds 8] [--connections 16] [--messages 600]

1. Webhook: POST /sms/inbound (parse, store and commit, enqueue) beside a bare Flask endpoint
   answering "OK" to the same request, each under gunicorn (2 sync workers) on 127.0.0.1, loaded
   by wrk (or Python threads when wrk is missing) in the same run; every request has a new id.
2. Worker: N realistic messages from the demo club's phones (repayments, readings with red
   alerts, attendance, visits, fund, queries, a stranger), stored and enqueued up front, then
   recorded by one RQ worker: SimpleWorker, then the forking Worker on N/4. A no-op job gives
   each worker class's bare rate in the same run.

PostgreSQL + Redis from TEST_DATABASE_URL / TEST_REDIS_URL when set (the database is dropped and
migrated), else SQLite + the embedded Redis. Not a test: figures depend on the machine.
"""

from __future__ import annotations

import random
import re
import shutil
import threading
import time
import urllib.parse
import urllib.request
from typing import Any

from flask import Flask, Response
from rq import Queue, SimpleWorker, Worker

from bench.common import (
    Gunicorn,
    bench_args,
    bench_config,
    fresh_database,
    in_threads,
    run_wrk,
    seeded_database,
    server_env,
    wrk_errors,
)

SECRETARY, HEALTH = "+84905000003", "+84905000005"  # models.demo.PHONES
WEBHOOK_TEXTS = ["TRA 12 200k", "HA 12 150/95 M80", "DD vang 3 7 9", "Trả 12 450k, 15 1tr5"]

bare_app = Flask(__name__)


@bare_app.post("/sms/inbound")
def bare() -> Response:
    """The baseline: the same request, answered without storing or enqueueing."""
    return Response("OK", mimetype="text/plain")


@bare_app.get("/healthz")
def bare_health() -> Response:
    return Response("ok", mimetype="text/plain")


# ---------------------------------------------------------------------------------------------
# 1. The webhook under gunicorn


# request() for wrk, after bench.common.WRK_PRELUDE (tid, n).
LUA = """
local texts = {%(texts)s}
function request()
  n = n + 1
  local body = "from=%%2B84905000003&to=8085&networkCode=45204&date=2026-11-21+02%%3A00%%3A00"
    .. "&id=%(run)s-" .. tid .. "-" .. n .. "&text=" .. texts[n %% #texts + 1]
  return wrk.format(nil, "/sms/inbound", nil, body)
end
"""


def load_wrk(port: int, seconds: int, connections: int, run: str) -> tuple[float, int]:
    """(requests/s, errors) from wrk with 2 threads."""
    texts = ", ".join(f'"{urllib.parse.quote(t)}"' for t in WEBHOOK_TEXTS)
    out = run_wrk(
        LUA % {"texts": texts, "run": run},
        f"http://127.0.0.1:{port}/sms/inbound",
        threads=2,
        connections=connections,
        seconds=seconds,
        timeout=seconds + 30,
    )
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])  # type: ignore[index]
    return rps, wrk_errors(out)


def load_threads(port: int, seconds: int, connections: int, run: str) -> tuple[float, int]:
    """The fallback: one thread per connection posting until the time is up."""
    done, errors, lock = [0], [0], threading.Lock()
    stop = time.monotonic() + seconds

    def worker(tid: int) -> None:
        n = ok = bad = 0
        while time.monotonic() < stop:
            n += 1
            form = {"from": SECRETARY, "to": "8085", "id": f"{run}-{tid}-{n}",
                    "text": WEBHOOK_TEXTS[n % len(WEBHOOK_TEXTS)]}  # fmt: skip
            req = urllib.request.Request(
                f"http://127.0.0.1:{port}/sms/inbound",
                data=urllib.parse.urlencode(form).encode(), method="POST",
            )  # fmt: skip
            try:
                with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310
                    resp.read()
                ok += 1
            except OSError:
                bad += 1
        with lock:
            done[0] += ok
            errors[0] += bad

    in_threads(worker, range(connections))
    return done[0] / seconds, errors[0]


def bench_webhook(cfg: dict[str, Any], seconds: int, connections: int) -> None:
    import runtime
    from models import db
    from models.messages import InboundMessage
    from runtime import INBOUND

    load = load_wrk if shutil.which("wrk") else load_threads
    env = server_env(cfg)
    rates: dict[str, tuple[float, int]] = {}
    for name, target in (("bare", "bench.sms_bench:bare_app"), ("webhook", "gateway.wsgi:app")):
        server = Gunicorn(target, env)
        try:
            load(server.port, 2, connections, f"warm-{name}")
            rates[name] = load(server.port, seconds, connections, name)
        finally:
            server.stop()
    with db.session_scope() as s:
        stored = s.query(InboundMessage).count()
    queued = runtime.queue(INBOUND).count  # every stored message enqueued once, warm-up included
    print(f"\n1. webhook, gunicorn 2 sync workers, {connections} connections, {seconds}s each, "
          f"load by {'wrk' if load is load_wrk else 'python threads'}")  # fmt: skip
    print(f"   {'':30} {'req/s':>8} {'errors':>7}")
    for name, (rps, errors) in rates.items():
        print(f"   {name:30} {rps:8.0f} {errors:7d}")
    ratio = rates["webhook"][0] / rates["bare"][0]
    print(f"   webhook / bare: {ratio:.0%}   ({stored} messages stored, {queued} jobs queued)")


# ---------------------------------------------------------------------------------------------
# 2. One worker recording a preloaded queue


def noop() -> None:
    """RQ's own cost per job, for each worker class's bare rate."""


def realistic(n: int, phones: dict[int, str], seed: int = 7) -> list[tuple[str, str]]:
    """(sender, text) pairs as a meeting day brings them, numbers varied like real ones;
    phones: the members' own phones by member number."""
    rng = random.Random(seed)
    own = sorted(phones.items())
    out: list[tuple[str, str]] = []
    for _ in range(n):
        m = rng.randint(12, 60)
        kind = rng.random()
        if kind < 0.30:
            amount = rng.choice(["100k", "200k", "450k", "1tr", "1tr5", "300.000d", "500"])
            out.append((SECRETARY, f"TRA {m} {amount}, {rng.randint(12, 60)} {amount}"))
        elif kind < 0.55:
            sys_, dia = rng.randint(100, 195), rng.randint(60, 115)
            who = rng.choice([SECRETARY, HEALTH])
            out.append((who, f"HA {m} {max(sys_, dia + 10)}/{dia} M{rng.randint(55, 100)}"))
        elif kind < 0.62:
            out.append((SECRETARY, f"DD vang {rng.randint(2, 30)} {rng.randint(31, 60)}"))
        elif kind < 0.70:
            out.append((SECRETARY, f"THAM {m} don nha, do HA {rng.randint(110, 170)}/85"))
        elif kind < 0.76:
            out.append((SECRETARY, f"GOP {m} {rng.randint(1, 9)}00k quy thang"))
        elif kind < 0.80:
            out.append((SECRETARY, f"MANG {rng.randint(1, 8)} {rng.randint(5, 60)} sinh hoat"))
        elif kind < 0.92:
            number, phone = rng.choice(own)
            out.append((phone, rng.choice(["NO", "SK", "LICH", "QUY", f"NO {number}"])))
        elif kind < 0.96:
            phone = rng.choice(own)[1]
            out.append((phone, f"ha {rng.randint(120, 160)}/{rng.randint(70, 95)}"))
        else:
            out.append((f"+8498{rng.randint(1000000, 9999999)}", "alo ai day"))
    return out


def preload(messages: list[tuple[str, str]], tag: str) -> None:
    import runtime
    from models import db
    from models.inbox import store_inbound
    from runtime import INBOUND

    with db.session_scope() as s:
        ids = [
            store_inbound(s, provider="bench", provider_id=f"{tag}-{i}", sender=who, text=text)[0]
            for i, (who, text) in enumerate(messages)
        ]
    q = runtime.queue(INBOUND)
    q.enqueue_many(
        [Queue.prepare_data("workers.jobs.process_inbound", args=(i,), failure_ttl=3600)
         for i in ids]
    )  # fmt: skip


def drain(worker_class: type[Worker]) -> float:
    import runtime
    from models import db
    from runtime import INBOUND

    db.engine().dispose()  # a forked job must open its own connections
    worker = worker_class([INBOUND], connection=runtime.redis())
    start = time.perf_counter()
    worker.work(burst=True, with_scheduler=False)
    elapsed = time.perf_counter() - start
    failed = runtime.queue(INBOUND).failed_job_registry.count
    if failed:
        raise SystemExit(f"{failed} jobs failed under {worker_class.__name__}")
    return elapsed


def bench_worker(n: int) -> None:
    from sqlalchemy import func, select

    import runtime
    from models import db
    from models.clubs import Member
    from models.messages import OutboundMessage
    from models.records import Report
    from runtime import INBOUND

    with db.session_scope() as s:
        phones = {
            m.number: m.phone
            for m in s.scalars(select(Member).where(Member.phone.is_not(None)))
            if m.phone not in (SECRETARY, HEALTH)
        }

    print(f"\n2. one worker on a preloaded queue ({n} messages; forking Worker {n // 4})")
    print(f"   {'':30} {'jobs/s':>8} {'vs no-op':>9}")
    for cls, count in ((SimpleWorker, n), (Worker, max(n // 4, 50))):
        q = runtime.queue(INBOUND)
        q.enqueue_many(
            [Queue.prepare_data("bench.sms_bench.noop", failure_ttl=3600) for _ in range(count)]
        )
        base = count / drain(cls)
        with db.session_scope() as s:
            reports0 = s.scalar(select(func.count()).select_from(Report)) or 0
            out0 = s.scalar(select(func.count()).select_from(OutboundMessage)) or 0
        preload(realistic(count, phones, seed=count), f"{cls.__name__}-{count}")
        rate = count / drain(cls)
        with db.session_scope() as s:
            reports = (s.scalar(select(func.count()).select_from(Report)) or 0) - reports0
            outs = (s.scalar(select(func.count()).select_from(OutboundMessage)) or 0) - out0
        print(f"   {cls.__name__ + ' no-op':30} {base:8.0f}")
        print(f"   {cls.__name__ + ' process_inbound':30} {rate:8.0f} {rate / base:9.0%}"
              f"   ({reports} reports, {outs} replies and alerts)")  # fmt: skip
        runtime.queue("outbound").empty()


def main() -> None:
    args = bench_args(__doc__, seconds=8, connections=16, messages=600)
    cfg = bench_config()
    print(f"db {cfg['DATABASE_URL'].split(':')[0]}, redis "
          f"{'embedded' if cfg['REDIS_URL'].startswith('unix') else cfg['REDIS_URL']}")  # fmt: skip
    fresh_database(cfg)
    bench_webhook(cfg, args.seconds, args.connections)
    seeded_database(cfg)
    bench_worker(args.messages)


if __name__ == "__main__":
    main()
