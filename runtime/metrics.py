"""Prometheus metrics kept by the processes that do the work (see gateway/metrics.py for
/metrics). With PROMETHEUS_MULTIPROC_DIR set, every process writes its samples there and
/metrics adds them up; a worker host without a web serves its own on METRICS_PORT."""

from __future__ import annotations

import os
import re

from prometheus_client import CollectorRegistry, Counter, Histogram

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


def registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        from prometheus_client import REGISTRY

        registry = REGISTRY
    return registry


def serve_worker_metrics() -> None:
    """A worker host's own /metrics on METRICS_PORT (when set), for hosts that run no web."""
    port = os.environ.get("METRICS_PORT")
    if port:
        from prometheus_client import start_http_server

        start_http_server(int(port), registry=registry())
