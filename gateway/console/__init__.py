"""The staff console at /console: supervisors and administrators see their area's clubs,
members, alerts and help requests, and close the loop on them.

Server-rendered pages, plain JS only for the charts. Logins by a 6-digit SMS code (and a
password for administrators); sessions are rows (models.console.ConsoleSession) named by a
random token in a signed, HttpOnly, SameSite=Lax cookie. Every form carries a CSRF token
(Flask-WTF); the login forms are rate-limited per address and per phone (Flask-Limiter on the
product's Redis). No business rules here: the pages call models.console.
"""

from __future__ import annotations

import logging
import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect

from runtime.connection import limits_storage

log = logging.getLogger(__name__)

bp = Blueprint(
    "console",
    __name__,
    url_prefix="/console",
    static_folder="../static/console",
    static_url_path="/static",
)
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, key_prefix="dientua:limits", strategy="fixed-window")
KEY_FILE = "console_secret_key"


def secret_key(cfg: dict[str, Any]) -> str:
    """SECRET_KEY, or a key generated once and kept in VAR_DIR (mode 0600): right for the quick
    start and one web host; several hosts need the same SECRET_KEY, hence the warning."""
    if cfg.get("SECRET_KEY"):
        return str(cfg["SECRET_KEY"])
    if cfg["SMS_CHANNEL"] != "console":
        log.warning(
            "SECRET_KEY is not set: the console uses a key kept in VAR_DIR; set SECRET_KEY "
            "(the same on every web host) in production"
        )
    path = Path(cfg["VAR_DIR"]) / KEY_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(secrets.token_hex(32))
    return path.read_text(encoding="ascii").strip()


def init_console(app: Flask) -> None:
    """Register the console on the app: secret key, cookies, CSRF, rate limits, routes."""
    cfg = app.config
    app.secret_key = secret_key(cfg)
    # The product's Redis for the login limits: the master the sentinels name, when configured.
    storage_uri, storage_options = limits_storage(cfg["REDIS_URL"], cfg["VAR_DIR"])
    cfg.update(
        SESSION_COOKIE_NAME="dientua_console",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_PATH="/console",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=cfg["CONSOLE_SUPERVISOR_HOURS"]),
        # The console checks CSRF itself (its blueprint only): webhooks have no browser forms.
        WTF_CSRF_CHECK_DEFAULT=False,
        WTF_CSRF_TIME_LIMIT=None,  # a token lives as long as the session it belongs to
        RATELIMIT_STORAGE_URI=storage_uri,
        RATELIMIT_STORAGE_OPTIONS=storage_options,
        RATELIMIT_HEADERS_ENABLED=False,
    )
    csrf.init_app(app)
    limiter.init_app(app)
    from gateway.console import auth, views  # noqa: F401

    app.register_blueprint(bp)
