"""The README's first command: web, worker and clock on SQLite and the embedded Redis."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

from runtime.settings import ROOT


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_quickstart_brings_everything_up_on_embedded_defaults(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env["VAR_DIR"] = str(tmp_path / "var")
    proc = subprocess.run(
        [sys.executable, "-m", "workers.quickstart", "--check", "--port", str(_free_port())],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    line = next(x for x in proc.stdout.splitlines() if x.startswith("healthz: "))
    health = json.loads(line.removeprefix("healthz: "))
    assert health["status"] == "ok" and health["database"] == "ok" and health["redis"] == "ok"
    assert "processes: web, worker, clock running" in proc.stdout
    assert "demo club GL01 ready" in proc.stdout
    assert "simulator: 200" in proc.stdout
    assert "console/login: 200" in proc.stdout and "metrics: 200" in proc.stdout
    assert (tmp_path / "var" / "dientua.db").exists()
    # Nothing outlives the command: the embedded Redis is stopped with the rest.
    leftover = subprocess.run(["pgrep", "-f", str(tmp_path)], capture_output=True, text=True)
    assert leftover.stdout.strip() == ""


def test_a_port_in_use_is_said_at_once(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env["VAR_DIR"] = str(tmp_path / "var")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = subprocess.run(
            [sys.executable, "-m", "workers.quickstart", "--check", "--port", str(port)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert proc.returncode != 0
    assert f"port {port} on 127.0.0.1 is already in use" in proc.stderr
    assert f"./run --port {port + 1}" in proc.stderr
    assert not (tmp_path / "var").exists()  # nothing was started
