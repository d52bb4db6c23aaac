"""Webhook authentication: a secret token in the callback URL and an optional IP allow-list.

Africa's Talking does not sign callbacks, so the URL carries the secret (?token=...).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, current_app, request


def check_webhook() -> None:
    """Abort with 403 (and a reason) unless the request carries the configured token."""
    token = current_app.config.get("WEBHOOK_TOKEN")
    if token:
        given = request.args.get("token", "")
        if not hmac.compare_digest(given.encode(), token.encode()):
            abort(403, description="missing or wrong token")
    allowed = current_app.config.get("WEBHOOK_ALLOW_IPS") or []
    if allowed and request.remote_addr not in allowed:
        abort(403, description="address not allowed")


def webhook(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        check_webhook()
        return view(*args, **kwargs)

    return wrapped
