"""`python -m workers`: an RQ worker with the scheduler on the product's queues."""

from __future__ import annotations

import argparse

from rq import SimpleWorker, Worker

from gateway.config import configure_logging
from workers import QUEUES, runtime


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
    cls = Worker if args.fork else SimpleWorker
    worker = cls(
        args.queues.split(","),
        connection=runtime.redis(),
        # A scheduler child that died (Redis restarted, say) is forked again within this time.
        maintenance_interval=cfg["WORKER_MAINTENANCE_SECONDS"],
    )
    worker.work(with_scheduler=True, burst=args.burst)


if __name__ == "__main__":
    main()
