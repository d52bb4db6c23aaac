"""Prometheus metrics: counters and histograms kept by the processes that do the work, gauges
read at scrape time, served at GET /metrics.

With PROMETHEUS_MULTIPROC_DIR set (the quick start sets it; set it in production for gunicorn
and for workers on the same host), every process writes its samples there and /metrics adds
them up. A worker host without a web can serve its own with METRICS_PORT.
"""

from __future__ import annotations

import hmac
import logging
import os
import re
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, abort, current_app, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)
bp = Blueprint("metrics", __name__)

INBOUND_MESSAGES = Counter(
    "dientua_inbound_messages",
    "Inbound messages handled, by channel and outcome (processed, ignored, ...).",
    ["channel", "status"],
)
OUTBOUND_SENDS = Counter(
    "dientua_outbound_sends",
    "Send attempts by kind of message and result (accepted, retry, failed, held, skipped).",
    ["kind", "result"],
)
SEND_FAILURES = Counter(
    "dientua_send_failures",
    "Send attempts the provider did not take, by its status (e.g. InvalidPhoneNumber, 500).",
    ["reason"],
)
JOB_SECONDS = Histogram(
    "dientua_job_duration_seconds",
    "Time a worker spent on one job, by job function and outcome.",
    ["function", "outcome"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
)
USSD_HOP_SECONDS = Histogram(
    "dientua_ussd_hop_seconds",
    "Time to answer one USSD hop (the provider gives a few seconds).",
    buckets=(0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5),
)
_LABEL = re.compile(r"[A-Za-z0-9_.-]{1,40}")


def label(value: object) -> str:
    """A provider's word as a label value: short and plain, else "other" (bounded series)."""
    text = str(value or "").strip()
    return text if _LABEL.fullmatch(text) else "other"


class _Backlog(Collector):
    """Read at scrape time: queue lengths and registries (Redis), messages waiting (database)."""

    def collect(self) -> Iterator[Any]:
        from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry
        from sqlalchemy import func, select

        from models import db
        from models.messages import InboundMessage, OutboundMessage
        from workers import QUEUES, runtime

        queues = GaugeMetricFamily(
            "dientua_queue_jobs", "RQ jobs per queue and state.", labels=["queue", "state"]
        )
        try:
            conn = runtime.redis()
            for name in QUEUES:
                queues.add_metric([name, "waiting"], runtime.queue(name).count)
                for state, registry in (
                    ("started", StartedJobRegistry),
                    ("scheduled", ScheduledJobRegistry),
                    ("failed", FailedJobRegistry),
                ):
                    queues.add_metric([name, state], registry(name, connection=conn).count)
        except Exception as exc:  # noqa: BLE001 - Redis down: the gauge is absent, /healthz says why
            log.warning("metrics: queue lengths unavailable: %s", type(exc).__name__)
        yield queues
        rows = GaugeMetricFamily(
            "dientua_messages_waiting",
            "Messages whose work is not done yet, by direction and status.",
            labels=["direction", "status"],
        )
        waiting = (
            ("inbound", InboundMessage, ("received", "queued")),
            ("outbound", OutboundMessage, ("queued", "held", "sending")),
        )
        try:
            with db.read_session() as s:
                for direction, model, statuses in waiting:
                    counts = dict.fromkeys(statuses, 0)
                    counts.update(
                        s.execute(
                            select(model.status, func.count())
                            .where(model.status.in_(statuses))
                            .group_by(model.status)
                        ).all()
                    )
                    for status, count in counts.items():
                        rows.add_metric([direction, status], count)
        except Exception as exc:  # noqa: BLE001
            log.warning("metrics: message counts unavailable: %s", type(exc).__name__)
        yield rows


def _registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        from prometheus_client import REGISTRY

        registry = REGISTRY
    return registry


_backlog = _Backlog()


@bp.get("/metrics")
def metrics() -> Response:
    """The Prometheus text format; METRICS_TOKEN (Bearer) when set, else this machine only."""
    token = current_app.config.get("METRICS_TOKEN")
    if token:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), str(token).encode()):
            abort(403, description="a Bearer token is needed")
    elif request.remote_addr not in ("127.0.0.1", "::1"):
        abort(403, description="set METRICS_TOKEN to scrape from another machine")
    body = generate_latest(_registry()) + generate_latest(_OnlyBacklog())
    return Response(body, mimetype=CONTENT_TYPE_LATEST)


class _OnlyBacklog(CollectorRegistry):
    def __init__(self) -> None:
        super().__init__(auto_describe=False)
        self.register(_backlog)


def serve_worker_metrics() -> None:
    """A worker host's own /metrics on METRICS_PORT (when set), for hosts that run no web."""
    port = os.environ.get("METRICS_PORT")
    if port:
        from prometheus_client import start_http_server

        start_http_server(int(port), registry=_registry())
