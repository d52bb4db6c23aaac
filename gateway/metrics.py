"""Prometheus metrics: counters and histograms kept by the processes that do the work, gauges
read at scrape time, served at GET /metrics.

With PROMETHEUS_MULTIPROC_DIR set (the quick start sets it; set it in production for gunicorn
and for workers on the same host), every process writes its samples there and /metrics adds
them up. A worker host without a web can serve its own with METRICS_PORT.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, abort, current_app, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from runtime.metrics import registry as metrics_registry

log = logging.getLogger(__name__)
bp = Blueprint("metrics", __name__)


class _Backlog(Collector):
    """Read at scrape time: queue lengths and registries (Redis), messages waiting (database)."""

    def collect(self) -> Iterator[Any]:
        from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry
        from sqlalchemy import func, select

        import runtime
        from models import db
        from models.messages import InboundMessage, OutboundMessage
        from runtime import QUEUES

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
    body = generate_latest(metrics_registry()) + generate_latest(_OnlyBacklog())
    return Response(body, mimetype=CONTENT_TYPE_LATEST)


class _OnlyBacklog(CollectorRegistry):
    def __init__(self) -> None:
        super().__init__(auto_describe=False)
        self.register(_backlog)
