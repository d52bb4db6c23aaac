"""`python -m workers`: an RQ worker with the scheduler on the product's queues."""

from __future__ import annotations

import argparse
import logging
from typing import Any

from rq import SimpleWorker, Worker
from rq.exceptions import DeserializationError
from rq.job import Job
from rq.job_lifecycle import call_exception_handlers, format_exc_info

from gateway.config import configure_logging, one_line
from workers import QUEUES, runtime


class _OneLineFailures:
    """A failed job is one ERROR line naming the job and the cause; the traceback goes to DEBUG
    and, as always, to RQ's failed-job registry (a database outage is not 163 tracebacks)."""

    log: logging.Logger
    _exc_handlers: list[Any]

    def handle_exception(self, job: Job, *exc_info: Any) -> None:
        try:
            func_name = job.func_name
        except DeserializationError:
            func_name = "<undeserialisable>"
        self.log.error("job %s (%s) failed: %s", job.id, func_name, one_line(exc_info[1]))
        self.log.debug("job %s traceback:\n%s", job.id, format_exc_info(exc_info))
        call_exception_handlers(self._exc_handlers, job, *exc_info)


class InProcessWorker(_OneLineFailures, SimpleWorker):
    """Jobs run in the worker process (the default: about 4x the throughput of forking)."""


class ForkingWorker(_OneLineFailures, Worker):
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
    configure_logging(cfg["LOG_LEVEL"])
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
