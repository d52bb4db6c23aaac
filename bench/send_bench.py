"""Messages sent per second by one worker, against a no-op job in the same run.

    .venv/bin/python -m bench.send_bench [--messages 300]

Three rates through one RQ SimpleWorker on the same queue: a job that does nothing (the bare
baseline), the send job on the console channel, and the send job through the africastalking SDK
to the local fake provider over HTTP. Ratios are against the baseline.
"""

from __future__ import annotations

import argparse
import logging
import time

from rq import SimpleWorker

import runtime
from bench.common import bench_config, fresh_database
from models import db
from models.enums import OutboundKind
from models.outbox import queue_message
from runtime import OUTBOUND
from runtime.channels import build_channel
from tests.fakes.fake_at import FakeAfricasTalking
from workers.sending import enqueue_send


def noop() -> None:
    """The bare baseline: RQ's own cost per job."""


def _drain() -> float:
    start = time.perf_counter()
    SimpleWorker([OUTBOUND], connection=runtime.redis()).work(burst=True)
    return time.perf_counter() - start


def _queue_rows(n: int) -> list[int]:
    with db.session_scope() as s:
        return [
            queue_message(
                s,
                to=f"+849120{i:05d}",
                text=f"OK #K7QA: TRA TV{i % 60 + 1} 450.000d, con no 1.550.000d. Sai? HUY K7QA",
                kind=OutboundKind.REPLY,
            )
            for i in range(n)
        ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=300)
    args = parser.parse_args()
    logging.disable(logging.INFO)
    n = args.messages
    fake = FakeAfricasTalking().start()
    cfg = bench_config(SMS_RATE_PER_SECOND="100000", **fake.config())
    fresh_database(cfg)
    q = runtime.queue(OUTBOUND)

    for _ in range(n):
        q.enqueue("bench.send_bench.noop")
    base = n / _drain()

    runtime.set_channel(build_channel(dict(cfg, SMS_CHANNEL="console")))
    for out in _queue_rows(n):
        enqueue_send(out)
    console = n / _drain()

    runtime.set_channel(build_channel(cfg))
    for out in _queue_rows(n):
        enqueue_send(out)
    at = n / _drain()
    fake.stop()
    assert len(fake.requests) == n, f"fake saw {len(fake.requests)} sends, expected {n}"

    backend = cfg["DATABASE_URL"].split(":")[0]
    print(f"send bench: {n} messages, one SimpleWorker, database {backend}")
    print(f"  no-op job (baseline)          {base:8.1f} jobs/s")
    print(f"  send job, console channel     {console:8.1f} msg/s   ratio {console / base:.2f}")
    print(f"  send job, AT SDK -> fake HTTP {at:8.1f} msg/s   ratio {at / base:.2f}")


if __name__ == "__main__":
    main()
