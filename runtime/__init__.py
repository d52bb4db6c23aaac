"""Process wiring shared by web, worker, clock and CLI: configuration, database, Redis and its
queues, the provider channel. Below gateway/ and workers/; above models/ and menus/."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Retry

from models import db
from runtime.connection import connect, resolve_redis_url

log = logging.getLogger(__name__)

# Queue names.
INBOUND = "inbound"
OUTBOUND = "outbound"
DEFAULT = "default"
QUEUES = (INBOUND, OUTBOUND, DEFAULT)
_config: dict[str, Any] | None = None
_redis: Redis | None = None
_channel: Any = None


def init(config: Mapping[str, Any], *, bind_db: bool = True) -> None:
    """Configure the database from a config mapping (see runtime.settings); Redis on first use.

    A command that never touches a queue never starts or attaches to the embedded Redis.
    """
    global _config, _redis, _channel
    _config = dict(config)
    if bind_db:
        db.configure(_config["DATABASE_URL"], limits=db_limits(_config))
    _redis = None
    _channel = None


def db_limits(cfg: Mapping[str, Any]) -> dict[str, int]:
    """The PostgreSQL session bounds from the configuration (models.db.PG_LIMITS)."""
    return {
        "idle_in_transaction_session_timeout": cfg["DB_IDLE_TX_TIMEOUT"],
        "lock_timeout": cfg["DB_LOCK_TIMEOUT"],
        "statement_timeout": cfg["DB_STATEMENT_TIMEOUT"],
    }


def config() -> dict[str, Any]:
    if _config is None:
        from runtime.settings import load_config

        init(load_config())
    assert _config is not None
    return _config


def redis() -> Redis:
    """This process's Redis connection, resolving (and for "embedded" attaching) on first use."""
    global _redis
    cfg = config()
    if _redis is None:
        cfg["REDIS_URL"] = resolve_redis_url(cfg["REDIS_URL"], cfg["VAR_DIR"])
        _redis = connect(cfg["REDIS_URL"])
    return _redis


def queue(name: str) -> Queue:
    return Queue(name, connection=redis())


def channel() -> Any:
    """The configured outbound channel (built once per process)."""
    global _channel
    if _channel is None:
        from runtime.channels import build_channel

        _channel = build_channel(config())
    return _channel


def set_channel(channel: Any) -> None:
    global _channel
    _channel = channel


# How long a job may run before RQ stops it, per queue. A message takes milliseconds; a short
# bound also means a job whose worker vanished (a host cut off) is failed, and swept, sooner.
JOB_TIMEOUTS = {"inbound": 60, "outbound": 60}


def enqueue(
    queue_name: str,
    func: str,
    *args: Any,
    retry: Retry | None = None,
    job_id: str | None = None,
    job_timeout: int | None = None,
) -> bool:
    """Enqueue by dotted path after commit; False (and a warning) if Redis is unreachable.

    A stored row that could not be enqueued is picked up later by the sweeper.
    """
    try:
        # The description is what RQ logs at INFO: the function only, never its arguments
        # (a USSD form carries a phone number and perhaps a blood-pressure value).
        queue(queue_name).enqueue(
            func,
            *args,
            retry=retry,
            job_id=job_id,
            job_timeout=job_timeout or JOB_TIMEOUTS.get(queue_name),
            failure_ttl=30 * 86400,
            description=func,
        )
        return True
    except RedisError as exc:
        log.warning("enqueue %s failed, left for the sweeper: %s", func, type(exc).__name__)
        return False


# Jobs keyed by the row they work on, so the sweeper can ask Redis whether a row's job is still
# alive (queued, running, scheduled for a retry) or was lost (a Redis restart, a failover).
PROCESS_INBOUND = "workers.jobs.process_inbound"
SEND_OUTBOUND = "workers.sending.send_outbound"


def inbound_job_id(inbound_id: int) -> str:
    return f"in-{inbound_id}"


def send_job_id(outbound_id: int) -> str:
    return f"out-{outbound_id}"


def enqueue_inbound(inbound_id: int) -> bool:
    """Hand a stored inbound message to the workers (False: Redis is down; the sweeper will)."""
    return enqueue(INBOUND, PROCESS_INBOUND, inbound_id, job_id=inbound_job_id(inbound_id))


SWEEP_HEARTBEAT = "dientua:sweep:last"  # when the clock's sweeper last finished (epoch seconds)
