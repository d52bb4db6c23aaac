"""USSD member hop against a bare Flask endpoint, both through gunicorn (2 sync workers), same run.

    .venv/bin/python -m bench.ussd_bench [--seconds 4] [--rounds 4] [--connections 50]

Seeds the demo club (SQLite file, or TEST_DATABASE_URL; Redis from TEST_REDIS_URL or embedded),
starts both servers, then loads them from this machine over 127.0.0.1 with wrk (or a threaded
Python client when wrk is missing) in alternating short rounds, so that both see the same
background load, and prints the median requests/s, p50 and p99 latency and the ratio to bare:

- bare: a Flask app with one POST route answering a constant "END ok";
- loan hop: member 12 presses "1" (loan screen) in a live session at the main menu; every request
  is a distinct pre-made session, so each is a real second hop (state read, views, state write);
- loan repeat: the same session and text "1" again and again (a provider retrying the hop);
- first hop: a new session per request dialling straight into "1" (identity read too).
Not a test: figures depend on the machine; the target is loan hop >= 40% of bare.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass

from flask import Flask, Response

from bench.common import (
    Gunicorn,
    bench_args,
    bench_config,
    in_threads,
    run_wrk,
    seeded_database,
    server_env,
    wrk_errors,
)

PHONE = "+84905000012"  # models.demo PHONES["member"]: member 12, with a loan
THREADS = 2
SESSIONS_PER_ROUND = 8_000  # per wrk thread: more than one round can use at these rates

bare_app = Flask(__name__)


@bare_app.post("/ussd")
def bare() -> Response:
    return Response("END ok", mimetype="text/plain")


@dataclass(frozen=True)
class Result:
    name: str
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


def _form(session_id: str, text: str) -> str:
    return urllib.parse.urlencode(
        {
            "sessionId": session_id,
            "serviceCode": "*384*123#",
            "phoneNumber": PHONE,
            "networkCode": "45204",
            "text": text,
        }
    )


def _post(port: int, session_id: str, text: str) -> str:
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/ussd", data=_form(session_id, text).encode(), method="POST"
    )
    with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310 - our own localhost
        return resp.read().decode()


def _warm_up(port: int) -> None:
    _post(port, "warmup", "")


# request() for wrk, after bench.common.WRK_PRELUDE (tid, n).
LUA = """
local mode, fixed, round = "%(mode)s", "%(fixed)s", "%(round)s"
local phone = "%%2B84905000012&serviceCode=%%2A384%%2A123%%23&networkCode=45204"
function request()
  n = n + 1
  local sid = fixed
  if mode == "hop" then sid = "b" .. round .. "-" .. tid .. "-" .. n end
  if mode == "first" then sid = "f" .. round .. "-" .. tid .. "-" .. n end
  return wrk.format(nil, "/ussd", nil, "sessionId=" .. sid .. "&phoneNumber=" .. phone .. "&text=1")
end
"""


def _ms(value: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s)", value)
    if m is None:
        raise ValueError(value)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[m[2]]
    return float(m[1]) * scale


def load_wrk(name: str, port: int, seconds: int, connections: int, mode: str, rnd: int) -> Result:
    out = run_wrk(
        LUA % {"mode": mode, "fixed": "bench-fixed", "round": rnd},
        f"http://127.0.0.1:{port}/ussd",
        threads=THREADS,
        connections=connections,
        seconds=seconds,
        latency=True,
    )
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p50 = re.search(r"^\s+50%\s+(\S+)\s*$", out, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)\s*$", out, re.M)
    if not (rps and p50 and p99):
        raise SystemExit(f"wrk gave no figures for {name}:\n{out}")
    return Result(name, float(rps[1]), _ms(p50[1]), _ms(p99[1]), wrk_errors(out))


def load_threads(
    name: str, port: int, seconds: int, connections: int, mode: str, rnd: int
) -> Result:
    """The fallback load loop: one thread per connection, each posting until time is up."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def worker(tid: int) -> None:
        n, mine = 0, []
        while time.monotonic() < stop:
            n += 1
            prefix = "f" if mode == "first" else "b"
            sid = "bench-fixed" if mode == "fixed" else f"{prefix}{rnd}-{tid}-{n}"
            start = time.perf_counter()
            try:
                _post(port, sid, "1")
                mine.append(time.perf_counter() - start)
            except OSError:
                with lock:
                    errors[0] += 1
        with lock:
            latencies.extend(mine)

    in_threads(worker, (i % THREADS + 1 for i in range(connections)))
    q = statistics.quantiles(latencies, n=100)
    return Result(name, len(latencies) / seconds, q[49] * 1000, q[98] * 1000, errors[0])


def premade_sessions(port: int, rounds: int) -> None:
    """Sessions at the main menu for every request a loan-hop round can make ("b<r>-<t>-<n>")."""
    import runtime
    from gateway.ussd import session_key

    assert _post(port, "bench-template", "").startswith("CON ")
    r = runtime.redis()
    template = json.loads(r.get(session_key("bench-template")))
    assert template["state"]["at"] == "home"
    raw = json.dumps(template)
    pipe = r.pipeline(transaction=False)
    for rnd in range(rounds):
        for tid in range(1, THREADS + 1):
            for n in range(1, SESSIONS_PER_ROUND + 1):
                pipe.set(session_key(f"b{rnd}-{tid}-{n}"), raw, ex=600)
            pipe.execute()
    pipe.execute()
    _post(port, "bench-fixed", "")
    assert "no" in _post(port, "bench-fixed", "1").lower()  # "Con no", the loan screen


SCENARIOS = (
    ("bare", "fixed"),
    ("loan hop", "hop"),
    ("loan repeat", "fixed"),
    ("first hop", "first"),
)


def main() -> None:
    args = bench_args(__doc__, seconds=4, rounds=4, connections=50)
    cfg = bench_config()
    seeded_database(cfg)
    load = load_wrk if shutil.which("wrk") else load_threads
    print(
        f"load: {'wrk' if load is load_wrk else 'python threads'}, {args.connections} "
        f"connections, {args.rounds} rounds of {args.seconds}s per scenario, alternating; "
        f"db {cfg['DATABASE_URL'].split(':')[0]}; load average {os.getloadavg()[0]:.1f}"
    )
    env = server_env(cfg)
    servers = [
        Gunicorn("bench.ussd_bench:bare_app", env, _warm_up),
        Gunicorn("gateway.wsgi:app", env, _warm_up),
    ]
    runs: dict[str, list[Result]] = {name: [] for name, _ in SCENARIOS}
    try:
        premade_sessions(servers[1].port, args.rounds)
        for server in servers:
            load("warm-up", server.port, 1, args.connections, "fixed", 0)
        for rnd in range(args.rounds):
            for name, mode in SCENARIOS:
                port = servers[0 if name == "bare" else 1].port
                runs[name].append(load(name, port, args.seconds, args.connections, mode, rnd))
    finally:
        for server in servers:
            server.stop()
    base = statistics.median(r.rps for r in runs["bare"])
    print(
        f"{'median':12} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'vs bare':>8}"
        f"   req/s per round"
    )
    for name, rs in runs.items():
        rps = statistics.median(r.rps for r in rs)
        print(
            f"{name:12} {rps:8.0f} {statistics.median(r.p50_ms for r in rs):8.2f} "
            f"{statistics.median(r.p99_ms for r in rs):8.2f} {sum(r.errors for r in rs):7d} "
            f"{rps / base:8.0%}   {' '.join(f'{r.rps:.0f}' for r in rs)}"
        )
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
