"""gunicorn settings for the web process, the one place both the Procfile and `./run` read:

    gunicorn -c python:gateway.gunicorn_conf gateway.wsgi:app

Threaded workers (gthread): an accepted connection waits in the worker's event loop until its
first bytes arrive, and a kept-alive one goes back there between requests, so idle clients hold
no thread (with sync workers two idle sockets stalled every webhook for 30 s). A client that
starts a request and then trickles it does hold a thread until it finishes: production serves
behind nginx (deploy/nginx.conf), which reads whole requests before passing them on.

Environment: WEB_CONCURRENCY worker processes (2), WEB_THREADS threads in each (8), HOST and
PORT to bind (127.0.0.1:5000: loopback, for nginx or the quick start), WEB_KEEPALIVE seconds an
idle kept-alive connection stays open (5), WEB_TIMEOUT seconds before a worker whose main loop
stopped answering is restarted (30). FORWARDED_ALLOW_IPS (gunicorn's own, default loopback)
names the proxies whose X-Forwarded-Proto is believed.
"""

from __future__ import annotations

import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


bind = [f"{os.environ.get('HOST') or '127.0.0.1'}:{_int('PORT', 5000)}"]
worker_class = "gthread"
workers = _int("WEB_CONCURRENCY", 2)
threads = _int("WEB_THREADS", 8)
keepalive = _int("WEB_KEEPALIVE", 5)
timeout = _int("WEB_TIMEOUT", 30)
graceful_timeout = 20
# Request line and headers stay at gunicorn's limits (4094 bytes, 100 fields of 8190 bytes).

accesslog = "-"
# The path without its query string: a token or a phone never reaches the log.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'


def child_exit(server: object, worker: object) -> None:
    """A worker process ended: its live gauges leave the shared metrics folder with it."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[attr-defined]
