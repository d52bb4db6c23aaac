"""`python -m workers.clock`: the one scheduler process (RQ cron) on Vietnam time, and the
sweeper, which it runs itself so that recovery never waits behind a queue or for Redis."""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from redis.exceptions import RedisError
from rq.cron import CronScheduler

import runtime
from runtime.logs import configure_logging, init_sentry, one_line
from workers.schedule import ENTRIES, Entry

log = logging.getLogger(__name__)
RETRY_SECONDS = 2  # while Redis is away, how often the clock tries again


class ResilientCron(CronScheduler):
    """RQ's cron scheduler that outlives a Redis outage: a job that could not be enqueued stays
    due and goes as soon as Redis answers again (every job is once-per-period, so late is
    safe; lost is not)."""

    redis_down = False

    def enqueue_jobs(self) -> list[Any]:
        try:
            jobs = super().enqueue_jobs()
        except RedisError as exc:
            if not self.redis_down:
                log.error("clock: Redis unreachable, jobs stay due: %s", one_line(exc))
            self.redis_down = True
            return []
        if self.redis_down:
            log.warning("clock: Redis is back")
        self.redis_down = False
        return jobs

    def save(self, pipeline: Any = None) -> None:
        try:
            super().save(pipeline)
        except RedisError:
            self.redis_down = True

    def heartbeat(self) -> None:
        try:
            super().heartbeat()
        except RedisError:
            self.redis_down = True

    def register_birth(self) -> None:
        try:
            super().register_birth()
        except RedisError:
            self.redis_down = True

    def register_death(self, pipeline: Any = None) -> None:
        with contextlib.suppress(RedisError):
            super().register_death(pipeline)

    def calculate_sleep_interval(self) -> float:
        if self.redis_down:
            return RETRY_SECONDS
        return float(super().calculate_sleep_interval())


def _resolve(entry: Entry) -> Callable[..., Any]:
    module, _, name = entry.func.rpartition(".")
    return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]


def build_scheduler() -> CronScheduler:
    sched = ResilientCron(connection=runtime.redis(), name=f"clock:{os.getpid()}")
    for e in ENTRIES:
        if e.in_clock:
            continue
        sched.register(
            _resolve(e),
            e.queue,
            cron=e.cron,
            interval=e.interval,
            name=e.func,
            job_timeout=e.timeout,
        )
    return sched


def run_in_clock(entry: Entry, stop: threading.Event) -> None:
    """Run an in-clock entry every entry.interval seconds until stopped; a failure (database or
    Redis down) is one log line, and the next round comes all the same."""
    func = _resolve(entry)
    assert entry.interval is not None
    while not stop.is_set():
        started = time.monotonic()
        try:
            func()
        except Exception as exc:  # noqa: BLE001 - reported, then tried again next round
            log.error("clock: %s failed: %s", entry.func, one_line(exc))
            log.debug("traceback", exc_info=exc)
        stop.wait(max(0.0, entry.interval - (time.monotonic() - started)))


def start_in_clock_entries(stop: threading.Event) -> list[threading.Thread]:
    threads = [
        threading.Thread(target=run_in_clock, args=(e, stop), name=e.func, daemon=True)
        for e in ENTRIES
        if e.in_clock
    ]
    for thread in threads:
        thread.start()
    return threads


def main() -> None:
    # RQ cron reads cron fields in the host's local time: make that Vietnam time.
    os.environ["TZ"] = "Asia/Ho_Chi_Minh"
    time.tzset()
    cfg = runtime.config()
    configure_logging(cfg["LOG_LEVEL"], cfg["LOG_FORMAT"])
    init_sentry(cfg, "clock")
    stop = threading.Event()
    start_in_clock_entries(stop)
    try:
        build_scheduler().start()
    finally:
        stop.set()


if __name__ == "__main__":
    main()
