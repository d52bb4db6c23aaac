"""`python -m workers.clock`: the one scheduler process (RQ cron) on Vietnam time."""

from __future__ import annotations

import importlib
import os
import time

from rq.cron import CronScheduler

from gateway.config import configure_logging
from workers import runtime
from workers.schedule import ENTRIES


def build_scheduler() -> CronScheduler:
    sched = CronScheduler(connection=runtime.redis(), name=f"clock:{os.getpid()}")
    for e in ENTRIES:
        module, _, name = e.func.rpartition(".")
        func = getattr(importlib.import_module(module), name)
        sched.register(
            func, e.queue, cron=e.cron, interval=e.interval, name=e.func, job_timeout=e.timeout
        )
    return sched


def main() -> None:
    # RQ cron reads cron fields in the host's local time: make that Vietnam time.
    os.environ["TZ"] = "Asia/Ho_Chi_Minh"
    time.tzset()
    cfg = runtime.config()
    configure_logging(cfg["LOG_LEVEL"])
    build_scheduler().start()


if __name__ == "__main__":
    main()
