"""Shared set-up for the benchmarks: a migrated database and a Redis, chosen like the tests;
gunicorn on a free local port, and the wrk or threaded load against it."""

from __future__ import annotations

import argparse
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import text

import runtime
from models import db
from runtime.connection import resolve_redis_url
from runtime.settings import ROOT, load_config


def bench_config(**overrides: Any) -> dict[str, Any]:
    """TEST_DATABASE_URL / TEST_REDIS_URL when set (PostgreSQL, Redis), else SQLite + embedded."""
    tmp = Path(tempfile.mkdtemp(prefix="dientua-bench-"))
    cfg = load_config({})
    cfg.update(
        VAR_DIR=str(tmp),
        DATABASE_URL=os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp / 'bench.db'}",
        REDIS_URL=resolve_redis_url(os.environ.get("TEST_REDIS_URL") or "embedded", str(tmp)),
        QUIET_HOURS="",
        DAILY_CAP_PER_RECIPIENT=0,
        LOG_LEVEL="WARNING",
    )
    cfg.update(overrides)
    return cfg


def fresh_database(cfg: dict[str, Any]) -> None:
    """Drop and migrate the bench database, then wire the runtime to it."""
    from tests.conftest import migrate

    engine = db.make_engine(cfg["DATABASE_URL"])
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    migrate(engine)
    engine.dispose()
    runtime.init(cfg)
    runtime.redis().flushdb()


def seeded_database(cfg: dict[str, Any]) -> None:
    """fresh_database, then the demo club as of today."""
    from menus.clock import vn_today
    from models.demo import seed_demo

    fresh_database(cfg)
    with db.session_scope() as s:
        seed_demo(s, vn_today())


def bench_args(doc: str, **defaults: int) -> argparse.Namespace:
    """Whole-number options --name (default given) under the docstring's first line; quiets
    logging below WARNING."""
    parser = argparse.ArgumentParser(description=doc.split("\n")[0])
    for name, default in defaults.items():
        parser.add_argument(f"--{name}", type=int, default=default)
    args = parser.parse_args()
    logging.disable(logging.INFO)
    return args


def server_env(cfg: dict[str, Any]) -> dict[str, str]:
    """The environment a gunicorn of the gateway needs to use the bench database and Redis."""
    return {"DATABASE_URL": cfg["DATABASE_URL"], "REDIS_URL": cfg["REDIS_URL"],
            "VAR_DIR": cfg["VAR_DIR"], "LOG_LEVEL": "WARNING", "SIMULATOR": "0",
            "WEBHOOK_TOKEN": "", "PYTHONPATH": str(ROOT)}  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get_healthz(port: int) -> None:
    urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)  # noqa: S310


class Gunicorn:
    """gunicorn with 2 sync workers on 127.0.0.1, in its own process group; ready once
    probe(port) answers without OSError."""

    def __init__(
        self, target: str, env: dict[str, str], probe: Callable[[int], object] = get_healthz
    ) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen(
            [str(Path(sys.executable).with_name("gunicorn")), "--workers", "2",
             "--worker-class", "sync", "--bind", f"127.0.0.1:{self.port}",
             "--log-level", "warning", target],
            cwd=ROOT, env={**os.environ, **env}, start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"gunicorn {target} exited early")
            try:
                probe(self.port)
                return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise SystemExit(f"gunicorn {target} did not answer")

    def stop(self) -> None:
        """SIGTERM to the group, then wait until every worker is gone (they finish requests
        still queued on the socket after the load ends)."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=30)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                os.killpg(self.proc.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)


WRK_PRELUDE = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
function init(args)
  n = 0
end
"""


def run_wrk(
    lua: str,
    url: str,
    *,
    threads: int,
    connections: int,
    seconds: int,
    latency: bool = False,
    timeout: float | None = None,
) -> str:
    """wrk's report for WRK_PRELUDE (form POSTs; `tid` numbers the threads from 1, `n` counts
    each thread's requests) followed by `lua`, which defines request()."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(WRK_PRELUDE + lua)
        script = fh.name
    try:
        return subprocess.run(
            ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s",
             *(["--latency"] if latency else []), "-s", script, url],
            capture_output=True, text=True, check=True, timeout=timeout,
        ).stdout  # fmt: skip
    finally:
        os.unlink(script)


def wrk_errors(out: str) -> int:
    """Non-2xx/3xx responses plus socket errors in a wrk report."""
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return (int(bad[1]) if bad else 0) + (sum(map(int, sock.groups())) if sock else 0)


def in_threads(worker: Callable[[int], None], tids: Iterable[int]) -> None:
    """worker(tid) in a thread of its own for each tid, all at once; returns when all end."""
    threads = [threading.Thread(target=worker, args=(tid,)) for tid in tids]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
