"""Delivery reports: parsing them and ordering statuses so late or repeated reports do no harm."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from models.messages import PROVIDER_ID_LIMIT
from runtime.channels.base import BadInbound

# Higher is more final. AT: Sent/Submitted/Buffered, then Rejected/Failed/AbsentSubscriber/
# Expired, then Success. Android gateway: Pending/Processed/Sent, then Failed, then Delivered.
# Delivery to the handset ranks above failures: a handset receipt cannot be undone.
_RANK: dict[str, int] = {
    "pending": 1,
    "processed": 2,
    "sent": 3,
    "submitted": 4,
    "buffered": 5,
    "rejected": 10,
    "failed": 10,
    "absentsubscriber": 10,
    "expired": 10,
    "success": 20,
    "delivered": 20,
}
FINAL_RANK = 10
DELIVERED_STATUSES = frozenset({"success", "delivered"})


def status_rank(status: str | None) -> int:
    """How final a provider status is (0 for unknown or none); compare with should_replace()."""
    if not status:
        return 0
    return _RANK.get(status.strip().casefold(), 0)


def is_final(status: str | None) -> bool:
    """True for statuses after which the provider reports nothing new."""
    return status_rank(status) >= FINAL_RANK


def should_replace(current: str | None, new: str | None) -> bool:
    """True if a report with status new should overwrite the stored status current.

    Ties keep the first status, so repeated reports change nothing.
    """
    return status_rank(new) > status_rank(current)


class BadReport(BadInbound):
    """A delivery report missing its id or status; the webhook answers 400."""


@dataclass(frozen=True)
class DeliveryReport:
    """A provider's word on one outbound message, keyed by the provider_id the send returned."""

    provider_id: str
    status: str
    final: bool
    failure_reason: str | None = None
    phone_number: str | None = None
    network_code: str | None = None

    @property
    def delivered(self) -> bool:
        """The handset received it."""
        return self.status.strip().casefold() in DELIVERED_STATUSES

    @property
    def failed(self) -> bool:
        """A final status other than delivered."""
        return self.final and not self.delivered


def parse_at_delivery_report(form: Mapping[str, Any]) -> DeliveryReport:
    """Africa's Talking's delivery report callback (id, status, phoneNumber, networkCode,
    failureReason); raises BadReport (a BadInbound) without id or status."""
    provider_id = str(form.get("id") or "").strip()
    status = str(form.get("status") or "").strip()
    if not provider_id:
        raise BadReport("missing id")
    if len(provider_id) > PROVIDER_ID_LIMIT:
        raise BadReport(f"id longer than {PROVIDER_ID_LIMIT} characters")
    if not status:
        raise BadReport("missing status")
    return DeliveryReport(
        provider_id=provider_id,
        status=status,
        final=is_final(status),
        failure_reason=str(form.get("failureReason") or "") or None,
        phone_number=str(form.get("phoneNumber") or "") or None,
        network_code=str(form.get("networkCode") or "") or None,
    )
