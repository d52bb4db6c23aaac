"""What every SMS channel promises: one send, a typed result, and parsed inbound messages."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from menus.phones import mask_number as mask_number  # the one log masker, for the channels
from runtime.settings import as_bool

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


def channel_options(config: Mapping[str, Any], *, default_rate: float) -> dict[str, Any]:
    """The settings every channel shares: SMS_RATE_PER_SECOND, SMS_ACCENTS, SMS_REJECTED_CHARS."""
    options: dict[str, Any] = {
        "rate_per_second": float(config.get("SMS_RATE_PER_SECOND") or default_rate),
        "accents_allowed": as_bool(config.get("SMS_ACCENTS"), False),
    }
    if config.get("SMS_REJECTED_CHARS") is not None:
        options["rejected_chars"] = str(config["SMS_REJECTED_CHARS"])
    return options
