"""The web side: app factory, webhooks, channels and the phone simulator. No business rules."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from runtime.logs import configure_logging, init_sentry, one_line, report_error
from runtime.settings import load_config

log = logging.getLogger(__name__)


def create_app(overrides: Mapping[str, Any] | None = None, *, init_runtime: bool = True) -> Flask:
    """Build the app from the environment, with optional overrides (tests pass their own)."""
    import runtime

    app = Flask(__name__)
    cfg = load_config()
    cfg.update(overrides or {})
    app.config.update(cfg)
    if cfg["PROXIES"]:
        # Behind nginx (deploy/nginx.conf): the client's address and scheme come from the
        # X-Forwarded-For/-Proto headers the PROXIES hops set; without this every caller would
        # look like 127.0.0.1 (the simulator's local-only guard, login limits per address).
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=cfg["PROXIES"], x_proto=cfg["PROXIES"]
        )
    if cfg["SMS_CHANNEL"] != "console" and not cfg["WEBHOOK_TOKEN"] and not cfg["OPEN_WEBHOOKS"]:
        # Callbacks are not signed: without the token anyone could report as a secretary.
        raise RuntimeError(
            "WEBHOOK_TOKEN is not set: set it (and add ?token=... to the provider's callback "
            "URLs), or set OPEN_WEBHOOKS=true if a private network guards the webhooks"
        )
    configure_logging(cfg["LOG_LEVEL"], cfg["LOG_FORMAT"])
    init_sentry(cfg, "web")
    if cfg["SMS_CHANNEL"] == "android" and not cfg["ANDROID_WEBHOOK_SECRET"]:
        log.warning(
            "ANDROID_WEBHOOK_SECRET is not set: the Android gateway's webhooks are accepted "
            "unsigned, guarded by WEBHOOK_TOKEN alone; set the signing key in the gateway app "
            "and here"
        )
    if init_runtime:
        runtime.init(cfg)
    else:
        runtime._config = dict(cfg)  # noqa: SLF001 - tests wire db and Redis themselves

    from gateway import health, metrics, webhooks

    app.register_blueprint(health.bp)
    app.register_blueprint(webhooks.bp)
    app.register_blueprint(metrics.bp)
    from gateway.console import init_console

    init_console(app)  # the staff console, on wherever the service runs
    _register_optional(app)
    _install_error_handlers(app)
    return app


def _register_optional(app: Flask) -> None:
    """Blueprints that exist once their part of the product is built."""
    import importlib

    for module, attr in (("gateway.ussd", "bp"), ("gateway.simulator", "bp")):
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            continue
        if module == "gateway.simulator" and not app.config["SIMULATOR"]:
            continue
        app.register_blueprint(getattr(mod, attr))


def _install_error_handlers(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        if request.path.startswith("/ussd") and (exc.code or 500) >= 500:
            return _ussd_sorry()
        body = f"{exc.code} {exc.name}: {exc.description}\n"
        return Response(body, status=exc.code, mimetype="text/plain")

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:
        log.error("unhandled error on %s: %s", request.path, one_line(exc))
        log.debug("traceback", exc_info=exc)
        report_error(exc)
        if request.path.startswith("/ussd"):
            return _ussd_sorry()
        # 503 makes a provider deliver the message again later; nothing was acknowledged.
        return Response("503 Service Unavailable: try again\n", status=503, mimetype="text/plain")


def _ussd_sorry() -> Response:
    from menus.i18n import t

    return Response("END " + t("vi", "ussd.sorry"), mimetype="text/plain")
