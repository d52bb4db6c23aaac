"""Every process logs in one time zone, Vietnam time, with the offset shown."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from runtime.settings import ROOT

STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+07:00 ")


def test_worker_log_lines_carry_vietnam_time_with_offset(test_config, redis_conn, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "TZ"}
    env.update(
        VAR_DIR=str(tmp_path),
        DATABASE_URL=f"sqlite:///{tmp_path / 'x.db'}",
        REDIS_URL=test_config["REDIS_URL"],
        TZ="UTC",  # the host's zone does not matter
        LOG_LEVEL="INFO",
    )
    out = subprocess.run(
        [sys.executable, "-m", "workers", "--burst", "--queues", "logs-test"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert lines, "the worker logged nothing"
    assert all(STAMP.match(line) for line in lines), lines[:5]
