"""Logging, error reporting and their one-line summaries, the same in web, worker, clock and CLI."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any


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
    from runtime.channels.base import scrub_numbers

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
