"""`python -m workers`: an RQ worker with the scheduler on the product's queues."""

from __future__ import annotations

import argparse
import logging
import time
from typing import Any

from rq import SimpleWorker, Worker
from rq.exceptions import DeserializationError
from rq.job import Job
from rq.job_lifecycle import call_exception_handlers, format_exc_info

import runtime
from runtime import QUEUES
from runtime.logs import configure_logging, init_sentry, one_line, report_error
from runtime.metrics import JOB_SECONDS, serve_worker_metrics


class _ProductWorker:
    """A failed job is one ERROR line naming the job and the cause; the traceback goes to DEBUG
    and, as always, to RQ's failed-job registry (a database outage is not 163 tracebacks).
    Every job's duration goes to the dientua_job_duration_seconds histogram."""

    log: logging.Logger
    _exc_handlers: list[Any]

    def perform_job(self, job: Job, *args: Any) -> bool:
        started = time.perf_counter()
        ok = False
        try:
            ok = bool(super().perform_job(job, *args))  # type: ignore[misc]
            return ok
        finally:
            try:
                name = job.func_name
            except DeserializationError:
                name = "<undeserialisable>"
            JOB_SECONDS.labels(name, "ok" if ok else "failed").observe(
                time.perf_counter() - started
            )

    def handle_exception(self, job: Job, *exc_info: Any) -> None:
        try:
            func_name = job.func_name
        except DeserializationError:
            func_name = "<undeserialisable>"
        self.log.error("job %s (%s) failed: %s", job.id, func_name, one_line(exc_info[1]))
        self.log.debug("job %s traceback:\n%s", job.id, format_exc_info(exc_info))
        report_error(exc_info[1])
        call_exception_handlers(self._exc_handlers, job, *exc_info)


class InProcessWorker(_ProductWorker, SimpleWorker):
    """Jobs run in the worker process (the default: about 4x the throughput of forking)."""


class ForkingWorker(_ProductWorker, Worker):
    """A work horse forked per job (--fork): more isolation."""


def main() -> None:
    parser = argparse.ArgumentParser(description="Run a Diem Tua worker.")
    parser.add_argument("--burst", action="store_true", help="stop when the queues are empty")
    parser.add_argument(
        "--fork",
        action="store_true",
        help="fork a process per job (RQ's default Worker): more isolation, about 4x slower",
    )
    parser.add_argument("--queues", default=",".join(QUEUES))
    args = parser.parse_args()
    cfg = runtime.config()
    configure_logging(cfg["LOG_LEVEL"], cfg["LOG_FORMAT"])
    init_sentry(cfg, "worker")
    serve_worker_metrics()
    # Jobs are plain functions opening their own sessions, so no fork is needed per job.
    cls = ForkingWorker if args.fork else InProcessWorker
    worker = cls(
        args.queues.split(","),
        connection=runtime.redis(),
        # A scheduler child that died (Redis restarted, say) is forked again within this time.
        maintenance_interval=cfg["WORKER_MAINTENANCE_SECONDS"],
    )
    worker.work(with_scheduler=True, burst=args.burst)


if __name__ == "__main__":
    main()
