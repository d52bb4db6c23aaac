"""`./manage` run beside `./run` leaves the running service whole: the embedded Redis belongs to
`./run`, a command attaches to it (or never touches it) and never stops it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

from models.demo import PHONES
from runtime.settings import ROOT
from tests.test_quickstart import _free_port


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as resp:  # noqa: S310 - our own localhost
        return json.loads(resp.read())


def _post(url: str, form: dict[str, str]) -> str:
    data = urllib.parse.urlencode(form).encode()
    with urllib.request.urlopen(url, data=data, timeout=10) as resp:  # noqa: S310
        return resp.read().decode()


def _wait_for_line(proc: subprocess.Popen, needle: str, timeout: float = 240) -> list[str]:
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            if proc.poll() is not None:
                break
            continue
        seen.append(line)
        if needle in line:
            return seen
    raise AssertionError(f"./run never printed {needle!r}: {''.join(seen)[-3000:]}")


def test_manage_commands_while_run_is_up(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env["VAR_DIR"] = str(tmp_path / "var")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    service = subprocess.Popen(
        [sys.executable, "-m", "workers.quickstart", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        _wait_for_line(service, "Ctrl-C stops")
        members = tmp_path / "members.csv"
        members.write_text("so,ho ten,sdt\n1,Ksor H'Bla,0905111222\n2,Nay Blung,\n", "utf-8")
        commands = [
            ["queues"],
            ["create-club", "--code", "GL09", "--name", "CLB Ia Der 9", "--province", "52"],
            ["import-members", "GL09", str(members)],
            ["queues"],
        ]
        for args in commands:
            done = subprocess.run(
                [str(ROOT / "manage"), *args],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert done.returncode == 0, (args, done.stdout, done.stderr)
            health = _get(f"{base}/healthz")
            assert health["status"] == "ok" and health["redis"] == "ok", (args, health)
        assert service.poll() is None  # ./run is still up

        # The service still answers USSD at once and SMS through the worker.
        ussd = _post(
            f"{base}/ussd",
            {"sessionId": "s1", "serviceCode": "*384*123#", "phoneNumber": PHONES["member"],
             "text": ""},
        )  # fmt: skip
        assert ussd.startswith("CON ")
        secretary = PHONES["secretary"]
        sms = {"from": secretary, "to": "8085", "text": "HD", "id": "while-manage-1",
               "date": "2026-11-21 09:00:00"}  # fmt: skip
        assert _post(f"{base}/sms/inbound", sms) == "OK"
        deadline = time.monotonic() + 60
        replies: list[dict] = []
        while time.monotonic() < deadline and not replies:
            inbox = _get(f"{base}/simulator/api/inbox?phone={urllib.parse.quote(secretary)}")
            replies = [m for m in inbox["messages"] if m["status"] in ("accepted", "delivered")]
            time.sleep(0.5)
        assert replies, "the SMS got no reply"
    finally:
        service.send_signal(signal.SIGINT)
        try:
            service.wait(timeout=60)
        finally:
            if service.poll() is None:
                service.kill()
    leftover = subprocess.run(["pgrep", "-f", str(tmp_path)], capture_output=True, text=True)
    assert leftover.stdout.strip() == ""
