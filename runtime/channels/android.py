"""An Android phone as the SMS gateway ("SMS Gateway for Android", android-sms-gateway client)."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Mapping
from typing import Any

import requests
from android_sms_gateway import APIClient, Message, MessageState, ProcessState, TextMessage
from android_sms_gateway.constants import DEFAULT_URL
from android_sms_gateway.errors import APIError
from android_sms_gateway.http import RequestsHttpClient

from menus.clock import VN_TZ
from menus.text import nfc
from models.messages import PROVIDER_ID_LIMIT
from runtime.channels.base import (
    BadWebhookPayload,
    ChannelConfigError,
    InboundSMS,
    SendResult,
    SendStatus,
    WebhookRejected,
    channel_options,
    mask_number,
    parse_timestamp,
    scrub_numbers,
)
from runtime.channels.reports import DeliveryReport, is_final

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Signature"
TIMESTAMP_HEADER = "X-Timestamp"
DEFAULT_MAX_SKEW = 300
# Status events the device posts for messages we sent, as the status names reports.py ranks.
_STATUS_EVENTS = {"sms:sent": "Sent", "sms:delivered": "Delivered", "sms:failed": "Failed"}


class _TimeoutSession(requests.Session):
    """The client posts without a timeout; a phone that went away must not hang a worker."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self._timeout = timeout

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs.setdefault("timeout", self._timeout)
        return super().request(*args, **kwargs)


def _classify_http(status_code: int | None) -> SendStatus:
    if status_code is None or status_code >= 500 or status_code in (408, 429):
        return SendStatus.RETRY
    return SendStatus.FAILED


def result_from_state(state: MessageState) -> SendResult:
    """The gateway's message state right after a send, as a SendResult."""
    failed = state.state is ProcessState.Failed or any(
        r.state is ProcessState.Failed for r in state.recipients
    )
    if failed:
        errors = [r.error for r in state.recipients if r.error]
        reason = scrub_numbers(errors[0]) if errors else "Failed"
        return SendResult(SendStatus.FAILED, state.id, reason=reason, provider_status="Failed")
    return SendResult(SendStatus.ACCEPTED, state.id, provider_status=state.state.value)


class AndroidChannel:
    """Posts each message to the gateway (cloud, private or the phone's local server)."""

    name = "android"

    def __init__(
        self,
        *,
        url: str = DEFAULT_URL,
        user: str | None = None,
        password: str,
        timeout: float = 15.0,
        ttl_seconds: int | None = 86400,
        sim_number: int | None = None,
        rate_per_second: float = 1.0,
        accents_allowed: bool = False,
        rejected_chars: str = "",
    ) -> None:
        if not password:
            raise ChannelConfigError("android needs ANDROID_GW_PASSWORD (with _USER, or a token)")
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.ttl_seconds = ttl_seconds
        self.sim_number = sim_number
        self.rate_per_second = rate_per_second
        self.accents_allowed = accents_allowed
        self.rejected_chars = rejected_chars
        self._session = _TimeoutSession(timeout)
        self.client = APIClient(
            user or None,
            password,
            base_url=self.url,
            http=RequestsHttpClient(session=self._session),
        )

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> AndroidChannel:
        """Built from ANDROID_GW_URL, _USER, _PASSWORD, _TIMEOUT, _TTL_SECONDS, _SIM and SMS_*."""
        ttl = config.get("ANDROID_GW_TTL_SECONDS", 86400)
        sim = config.get("ANDROID_GW_SIM")
        return cls(
            url=str(config.get("ANDROID_GW_URL") or DEFAULT_URL),
            user=config.get("ANDROID_GW_USER") or None,
            password=str(config.get("ANDROID_GW_PASSWORD") or ""),
            timeout=float(config.get("ANDROID_GW_TIMEOUT") or 15.0),
            ttl_seconds=int(ttl) if ttl not in (None, "", 0, "0") else None,
            sim_number=int(sim) if sim not in (None, "") else None,
            **channel_options(config, default_rate=1.0),
        )

    def send(self, to: str, text: str) -> SendResult:
        """Queue one SMS on the phone; HTTP errors and network trouble become a SendResult."""
        message = Message(
            phone_numbers=[to],
            text_message=TextMessage(text=text),
            with_delivery_report=True,
            ttl=self.ttl_seconds,
            sim_number=self.sim_number,
        )
        try:
            state = self.client.send(message)
        except APIError as exc:
            result = SendResult(
                _classify_http(exc.status_code),
                reason=f"HTTP {exc.status_code}: {_api_error_text(exc)}",
            )
        except (requests.Timeout, requests.ConnectionError) as exc:
            result = SendResult(SendStatus.RETRY, reason=type(exc).__name__)
        except requests.RequestException as exc:
            result = SendResult(SendStatus.RETRY, reason=type(exc).__name__)
        except (KeyError, TypeError, ValueError) as exc:
            # A 2xx we cannot read may have been queued: a retry risks a duplicate, not a loss.
            result = SendResult(SendStatus.RETRY, reason=f"unreadable answer: {type(exc).__name__}")
        else:
            result = result_from_state(state)
        level = logging.INFO if result.status is SendStatus.ACCEPTED else logging.WARNING
        log.log(
            level,
            "android sms to %s: %s id=%s state=%s reason=%s",
            mask_number(to),
            result.status,
            result.provider_id,
            result.provider_status,
            result.reason,
        )
        return result

    def state(self, provider_id: str) -> DeliveryReport | None:
        """Poll the gateway for a sent message's state (None if it cannot be read now)."""
        try:
            state = self.client.get_state(provider_id)
        except (APIError, requests.RequestException, KeyError, TypeError, ValueError) as exc:
            log.warning("android state for %s unavailable: %s", provider_id, type(exc).__name__)
            return None
        errors = [r.error for r in state.recipients if r.error]
        return DeliveryReport(
            provider_id=state.id,
            status=state.state.value,
            final=is_final(state.state.value),
            failure_reason=scrub_numbers(errors[0]) if errors else None,
        )


def _api_error_text(exc: APIError) -> str:
    detail = exc.response.get("message") if isinstance(exc.response, dict) else None
    return scrub_numbers(str(detail or exc))[:150]


def _header(headers: Mapping[str, Any], name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        lowered = name.lower()
        value = next((v for k, v in headers.items() if str(k).lower() == lowered), None)
    return None if value is None else str(value)


def verify_android_signature(
    body: bytes,
    headers: Mapping[str, Any],
    secret: str,
    *,
    now: float | None = None,
    max_skew: int | None = DEFAULT_MAX_SKEW,
) -> None:
    """Check X-Signature = hex HMAC-SHA256(secret, raw body + X-Timestamp); raise WebhookRejected.

    A timestamp further than max_skew seconds from now is rejected too (replays).
    """
    signature, timestamp = _header(headers, SIGNATURE_HEADER), _header(headers, TIMESTAMP_HEADER)
    if not signature or not timestamp:
        raise WebhookRejected("missing signature headers")
    expected = hmac.new(secret.encode(), body + timestamp.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature.strip().lower()):
        raise WebhookRejected("bad signature")
    try:
        sent_at = int(timestamp)
    except ValueError:
        raise WebhookRejected("bad timestamp") from None
    if max_skew is not None and abs((time.time() if now is None else now) - sent_at) > max_skew:
        raise WebhookRejected("stale timestamp")


def _received(payload: Mapping[str, Any]) -> InboundSMS:
    message_id = str(payload.get("messageId") or "").strip()
    sender = str(payload.get("sender") or payload.get("phoneNumber") or "").strip()
    text = payload.get("message")
    if not message_id:
        raise BadWebhookPayload("missing messageId")
    if not sender:
        raise BadWebhookPayload("missing sender")
    if text is None:
        raise BadWebhookPayload("missing message")
    received_at = parse_timestamp(str(payload.get("receivedAt") or ""), naive_tz=VN_TZ)
    if received_at is None:
        raise BadWebhookPayload("missing or bad receivedAt")
    # messageId is a 32-bit hash of the message; with the receive time it stays stable across
    # webhook retries and inbox exports, and two different messages cannot share it in practice.
    millis = int(received_at.timestamp() * 1000)
    return InboundSMS(
        provider_id=f"{message_id}@{millis}",
        sender=str(sender).strip(),
        to=str(payload["recipient"]) if payload.get("recipient") else None,
        text=nfc(str(text)),
        received_at=received_at,
        provider="android",
    )


def _status(event: str, payload: Mapping[str, Any]) -> DeliveryReport:
    message_id = str(payload.get("messageId") or "").strip()
    if not message_id:
        raise BadWebhookPayload("missing messageId")
    if len(message_id) > PROVIDER_ID_LIMIT:
        raise BadWebhookPayload(f"messageId longer than {PROVIDER_ID_LIMIT} characters")
    status = _STATUS_EVENTS[event]
    reason = payload.get("reason")
    phone = payload.get("phoneNumber")
    return DeliveryReport(
        provider_id=message_id,
        status=status,
        final=is_final(status),
        failure_reason=scrub_numbers(str(reason)) if reason else None,
        phone_number=str(phone) if phone else None,
    )


def _envelope(payload: Mapping[str, Any] | bytes | str, raw: bytes | None) -> Mapping[str, Any]:
    if raw is not None:
        try:
            envelope = json.loads(raw)
        except ValueError:
            raise BadWebhookPayload("body is not JSON") from None
    else:
        envelope = payload
    if not isinstance(envelope, Mapping):
        raise BadWebhookPayload("body is not a JSON object")
    return envelope


def parse_android_event(
    payload: Mapping[str, Any] | bytes | str,
    headers: Mapping[str, Any],
    secret: str | None,
    *,
    raw_body: bytes | None = None,
    now: float | None = None,
    max_skew: int | None = DEFAULT_MAX_SKEW,
) -> InboundSMS | DeliveryReport | None:
    """A gateway webhook: sms:received as InboundSMS, sms:sent/delivered/failed as a
    DeliveryReport, None for other events. Pass the raw body (payload or raw_body): it is signed.
    """
    if isinstance(payload, (bytes, str)):
        raw_body = payload.encode() if isinstance(payload, str) else payload
    if secret:
        if raw_body is None:
            raise TypeError("verifying the signature needs the raw request body (raw_body=)")
        verify_android_signature(raw_body, headers, secret, now=now, max_skew=max_skew)
    # With a raw body, parse what was signed rather than a copy parsed elsewhere.
    envelope = _envelope(payload, raw_body)
    event = envelope.get("event")
    body = envelope.get("payload")
    if event == "sms:received" or event in _STATUS_EVENTS:
        if not isinstance(body, Mapping):
            raise BadWebhookPayload("missing payload")
        if event == "sms:received":
            return _received(body)
        return _status(str(event), body)
    return None
