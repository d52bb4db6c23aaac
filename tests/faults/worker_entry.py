"""`python -m workers` as deployed, with RQ's maintenance at every loop instead of every
WORKER_MAINTENANCE_SECONDS, so that a test sees a dead scheduler forked again at once."""

from rq.worker.base import BaseWorker

BaseWorker.should_run_maintenance_tasks = property(lambda self: True)  # type: ignore[assignment]

if __name__ == "__main__":
    from workers.__main__ import main

    main()
