"""Outbound SMS providers ("channels") and the parsing of what providers post back."""

from gateway.channels.base import (
    BadInbound,
    Channel,
    ChannelConfigError,
    InboundSMS,
    SendResult,
    SendStatus,
    WebhookRejected,
    build_channel,
    from_at_form,
    mask_number,
)
from gateway.channels.reports import (
    DeliveryReport,
    is_final,
    parse_at_delivery_report,
    should_replace,
    status_rank,
)

__all__ = [
    "BadInbound",
    "Channel",
    "ChannelConfigError",
    "DeliveryReport",
    "InboundSMS",
    "SendResult",
    "SendStatus",
    "WebhookRejected",
    "build_channel",
    "from_at_form",
    "is_final",
    "mask_number",
    "parse_at_delivery_report",
    "should_replace",
    "status_rank",
]
