"""Provider webhooks: incoming SMS (Africa's Talking and the Android gateway), delivery reports.

Each stores first and commits, then answers; work happens in jobs enqueued by id.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from flask import Blueprint, Response, abort, current_app, request

import runtime
from gateway.auth import webhook
from models import db
from models.inbox import store_inbound
from runtime.channels.africastalking import from_at_form
from runtime.channels.base import BadInbound, InboundSMS, WebhookRejected
from runtime.channels.reports import DeliveryReport
from workers.sending import record_delivery_report

log = logging.getLogger(__name__)
bp = Blueprint("webhooks", __name__)


# Column sizes an inbound message must fit (any provider); a longer value is a 400, not a 5xx.
INBOUND_LIMITS = {"provider_id": 120, "sender": 32, "to": 32, "link_id": 120, "network_code": 16}


# The longest text a provider can deliver: a concatenated SMS of 255 parts of 153 GSM-7
# characters. Anything longer is not an SMS: 413 before it is stored.
MAX_INBOUND_TEXT = 255 * 153


def accept_inbound(msg: InboundSMS, provider: str) -> tuple[int, bool]:
    """Store (once) and commit, then enqueue the processing job; shared by every SMS webhook."""
    if len(msg.text) > MAX_INBOUND_TEXT:
        abort(413, description=f"text longer than {MAX_INBOUND_TEXT} characters")
    for name, limit in INBOUND_LIMITS.items():
        value = getattr(msg, name)
        if value and len(value) > limit:
            abort(400, description=f"{name} longer than {limit} characters")
    msg = replace(msg, text=msg.text.replace("\x00", ""), sender=msg.sender.replace("\x00", ""))
    with db.session_scope() as s:
        msg_id, new = store_inbound(
            s,
            provider=provider,
            provider_id=msg.provider_id,
            sender=msg.sender,
            text=msg.text,
            to=msg.to,
            received_at=msg.received_at,
            link_id=msg.link_id,
            network_code=msg.network_code,
        )
    if new:
        runtime.enqueue_inbound(msg_id)
        log.info("inbound stored id=%s provider=%s", msg_id, provider)
    else:
        log.info("inbound duplicate id=%s provider=%s ignored", msg_id, provider)
    return msg_id, new


@bp.post("/sms/inbound")
@webhook
def sms_inbound() -> Response:
    try:
        msg = from_at_form(request.form)
    except BadInbound as exc:
        abort(400, description=str(exc))
    accept_inbound(msg, "africastalking")
    return Response("OK", mimetype="text/plain")


@bp.post("/sms/delivery")
@webhook
def sms_delivery() -> Response:
    from runtime.channels.reports import BadReport, parse_at_delivery_report

    try:
        report = parse_at_delivery_report(request.form)
    except BadReport as exc:
        abort(400, description=str(exc))
    record_delivery_report(report)
    return Response("OK", mimetype="text/plain")


@bp.post("/android/webhook")
@webhook
def android_inbound() -> Response:
    from runtime.channels.android import parse_android_event

    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        abort(400, description="expected a JSON object")
    try:
        event = parse_android_event(
            payload,
            request.headers,
            current_app.config.get("ANDROID_WEBHOOK_SECRET"),
            raw_body=request.get_data(),
        )
    except WebhookRejected as exc:
        abort(403 if exc.auth else 400, description=str(exc))
    if isinstance(event, InboundSMS):
        accept_inbound(event, "android")
    elif isinstance(event, DeliveryReport):
        record_delivery_report(event)
    return Response("OK", mimetype="text/plain")
