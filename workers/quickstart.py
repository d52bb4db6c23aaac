"""`./run`: web + worker + clock on the embedded defaults, with the demo club loaded.

Starts the embedded Redis once and hands its socket to every process, migrates, seeds the demo,
then supervises the three processes until Ctrl-C (or, with --check, until /healthz answers ok).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from runtime.connection import resolve_redis_url, stop_embedded
from runtime.settings import ROOT, load_config


def _wait_healthy(url: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:  # noqa: S310 - our own localhost
                body = json.loads(resp.read())
                if body.get("status") == "ok":
                    return body
                last = body
        except Exception as exc:  # noqa: BLE001 - not up yet
            last = exc
        time.sleep(0.5)
    raise SystemExit(f"web did not become healthy: {last}")


def _wait_processes(
    procs: dict[str, subprocess.Popen], redis_url: str, timeout: float = 30
) -> None:
    """Wait until the worker has registered with Redis; fail if any process died."""
    from rq import Worker

    from runtime.connection import connect

    conn = connect(redis_url)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        dead = [name for name, p in procs.items() if p.poll() is not None]
        if dead:
            raise SystemExit(f"{', '.join(dead)} exited early")
        if Worker.count(connection=conn) >= 1:
            print(f"processes: {', '.join(procs)} running")
            return
        time.sleep(0.5)
    raise SystemExit("the worker did not register with Redis")


def _port_free(host: str, port: int) -> bool:
    """True when nothing listens on host:port (checked before anything starts)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "5000")))
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument(
        "--check",
        action="store_true",
        help="start everything, wait for /healthz ok, print it, stop",
    )
    parser.add_argument("--no-demo", action="store_true", help="do not load the demo clubs")
    args = parser.parse_args()

    if not _port_free(args.host, args.port):
        raise SystemExit(
            f"port {args.port} on {args.host} is already in use (another ./run?): stop that, or "
            f"pick another port: ./run --port {args.port + 1}  (or PORT={args.port + 1} ./run)"
        )
    cfg = load_config()
    Path(cfg["VAR_DIR"]).mkdir(parents=True, exist_ok=True)
    redis_url = resolve_redis_url(cfg["REDIS_URL"], cfg["VAR_DIR"])
    env = dict(
        os.environ,
        REDIS_URL=redis_url,
        DATABASE_URL=cfg["DATABASE_URL"],
        VAR_DIR=cfg["VAR_DIR"],
        PYTHONUNBUFFERED="1",
        # One time zone in every process's log lines (gunicorn's included), offset shown.
        TZ="Asia/Ho_Chi_Minh",
    )
    env.setdefault("SIMULATOR", "true")  # the quick start is the demo: show the phone simulator
    # Metrics of web and worker processes add up in one folder, emptied at each start.
    metrics_dir = Path(cfg["VAR_DIR"]) / "metrics"
    shutil.rmtree(metrics_dir, ignore_errors=True)
    metrics_dir.mkdir(parents=True)
    env.setdefault("PROMETHEUS_MULTIPROC_DIR", str(metrics_dir))
    py = sys.executable
    print(f"database: {cfg['DATABASE_URL'].split('@')[-1]}")
    subprocess.run([py, "-m", "workers.cli", "migrate"], env=env, check=True, cwd=ROOT)
    if not args.no_demo:
        subprocess.run([py, "-m", "workers.cli", "seed-demo"], env=env, check=True, cwd=ROOT)

    gunicorn = str(Path(py).parent / "gunicorn")
    procs = {
        "web": subprocess.Popen(
            [
                gunicorn,
                # Threaded workers, keep-alive, timeouts and the access log without query
                # strings: gateway/gunicorn_conf.py, shared with the Procfile.
                "--config",
                "python:gateway.gunicorn_conf",
                "--bind",
                f"{args.host}:{args.port}",
                "gateway.wsgi:app",
            ],
            env=env,
            cwd=ROOT,
        ),
        "worker": subprocess.Popen([py, "-m", "workers"], env=env, cwd=ROOT),
        "clock": subprocess.Popen([py, "-m", "workers.clock"], env=env, cwd=ROOT),
    }

    def shutdown(*_: object) -> None:
        for p in procs.values():
            if p.poll() is None:
                p.terminate()
        for p in procs.values():
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        stop_embedded()

    signal.signal(signal.SIGTERM, lambda *_: (shutdown(), sys.exit(0)))
    base = f"http://{args.host}:{args.port}"
    try:
        health = _wait_healthy(f"{base}/healthz")
        print(f"healthz: {json.dumps(health)}")
        _wait_processes(procs, redis_url)
        print(f"\n  Phone simulator: {base}/simulator\n  Health:          {base}/healthz")
        print(f"  Staff console:   {base}/console (demo supervisor 0905 000 900)\n")
        if args.check:
            for page in ("simulator", "console/login", "metrics"):
                with urllib.request.urlopen(f"{base}/{page}", timeout=5) as resp:  # noqa: S310
                    print(f"{page}: {resp.status}")
            return
        print("Ctrl-C stops web, worker and clock.")
        while True:
            for name, p in procs.items():
                if p.poll() is not None:
                    raise SystemExit(f"{name} exited with {p.returncode}")
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        shutdown()


if __name__ == "__main__":
    main()
