"""What every SMS channel promises: one send, a typed result, and parsed inbound messages."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from menus.clock import utcnow
from menus.text import nfc

_NUMBER_RUN = re.compile(r"\+?\d{7,}")


class SendStatus(StrEnum):
    ACCEPTED = "accepted"  # the provider took it
    RETRY = "retry"  # worth trying again later (provider 5xx, timeouts, connection errors)
    FAILED = "failed"  # permanent: retrying cannot help


@dataclass(frozen=True)
class SendResult:
    """The outcome of one send to one recipient."""

    status: SendStatus
    provider_id: str | None = None
    cost: Decimal | None = None
    currency: str | None = None
    reason: str | None = None
    provider_status: str | None = None


@runtime_checkable
class Channel(Protocol):
    """An outbound SMS provider. send() never raises for provider or network trouble."""

    name: str
    rate_per_second: float
    accents_allowed: bool
    rejected_chars: str

    def send(self, to: str, text: str) -> SendResult:
        """Send text to one E.164 number; provider and network problems come back as results."""
        ...


class ChannelConfigError(ValueError):
    """The configuration cannot build the requested channel."""


class BadInbound(ValueError):
    """A provider callback is missing what we need; the webhook answers 400."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class WebhookRejected(Exception):
    """A callback refused: auth=True for signature/timestamp failures (answer 403), else 400."""

    def __init__(self, reason: str, *, auth: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.auth = auth


class BadWebhookPayload(WebhookRejected, BadInbound):
    """A correctly signed (or unsigned) webhook whose body is malformed; answer 400."""

    def __init__(self, reason: str) -> None:
        WebhookRejected.__init__(self, reason, auth=False)


@dataclass(frozen=True)
class InboundSMS:
    """One message a member sent, as a provider reported it (provider_id is the idempotency key)."""

    provider_id: str
    sender: str
    to: str | None
    text: str
    received_at: datetime
    provider: str | None = None
    link_id: str | None = None
    network_code: str | None = None


def mask_number(number: str | None) -> str:
    """A phone number safe for logs: country prefix and last 3 digits ("+84******567")."""
    if not number:
        return "<none>"
    digits = number.strip()
    if len(digits) <= 5:
        return "*" * len(digits)
    head = 3 if digits.startswith("+") else 1
    return digits[:head] + "*" * (len(digits) - head - 3) + digits[-3:]


def scrub_numbers(text: str) -> str:
    """Provider error text with any phone-number-like digit run masked."""
    return _NUMBER_RUN.sub(lambda m: mask_number(m.group(0)), text)


def parse_timestamp(value: str | None, *, naive_tz: tzinfo = UTC) -> datetime | None:
    """An ISO 8601 or "YYYY-MM-DD HH:MM:SS" string as aware UTC; naive values are naive_tz."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=naive_tz)
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):  # unreadable, or beyond datetime's range once in UTC
        return None


# Longest value each callback field may carry (the columns they are stored in).
FIELD_LIMITS = {"from": 32, "to": 32, "id": 120, "linkId": 120, "networkCode": 16}


def _field(form: Mapping[str, Any], key: str) -> str | None:
    """A form field as text, NULs removed (PostgreSQL refuses them); too long is a BadInbound."""
    value = form.get(key)
    if value is None:
        return None
    text = str(value).replace("\x00", "")
    limit = FIELD_LIMITS.get(key)
    if limit is not None and len(text.strip()) > limit:
        raise BadInbound(f"{key} longer than {limit} characters")
    return text


def from_at_form(form: Mapping[str, Any]) -> InboundSMS:
    """Africa's Talking's incoming SMS callback (from, to, text, date, id, linkId, networkCode).

    AT sends dates in UTC; an unreadable or missing date becomes now.
    """
    sender, provider_id, text = _field(form, "from"), _field(form, "id"), _field(form, "text")
    sender, provider_id = (sender or "").strip(), (provider_id or "").strip()
    if not sender:
        raise BadInbound("missing from")  # blank counts as missing: nobody to answer
    if not provider_id:
        raise BadInbound("missing id")  # blank counts as missing: retries could not be told apart
    if text is None:
        raise BadInbound("missing text")
    return InboundSMS(
        provider_id=provider_id,
        sender=sender,
        to=_field(form, "to") or None,
        text=nfc(text),
        received_at=parse_timestamp(_field(form, "date")) or utcnow(),
        provider="africastalking",
        link_id=_field(form, "linkId") or None,
        network_code=_field(form, "networkCode") or None,
    )


def as_bool(value: Any, default: bool = False) -> bool:
    """A config value as bool ("1", "true", "yes", "on" are true)."""
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in {"1", "true", "yes", "on"}


def build_channel(config: Mapping[str, Any]) -> Channel:
    """The channel named by config["SMS_CHANNEL"]: console, africastalking or android."""
    kind = str(config.get("SMS_CHANNEL") or "console").strip().lower()
    if kind == "console":
        from gateway.channels.console import ConsoleChannel

        return ConsoleChannel.from_config(config)
    if kind == "africastalking":
        from gateway.channels.africastalking import AfricasTalkingChannel

        return AfricasTalkingChannel.from_config(config)
    if kind == "android":
        from gateway.channels.android import AndroidChannel

        return AndroidChannel.from_config(config)
    raise ChannelConfigError(f"unknown SMS_CHANNEL {kind!r} (console, africastalking, android)")


def channel_options(config: Mapping[str, Any], *, default_rate: float) -> dict[str, Any]:
    """The settings every channel shares: SMS_RATE_PER_SECOND, SMS_ACCENTS, SMS_REJECTED_CHARS."""
    options: dict[str, Any] = {
        "rate_per_second": float(config.get("SMS_RATE_PER_SECOND") or default_rate),
        "accents_allowed": as_bool(config.get("SMS_ACCENTS"), False),
    }
    if config.get("SMS_REJECTED_CHARS") is not None:
        options["rejected_chars"] = str(config["SMS_REJECTED_CHARS"])
    return options
