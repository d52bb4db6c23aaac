"""Outbound SMS providers ("channels") and the parsing of what providers post back.

Providers are named in one table; the base module imports none of them, and a process imports
only the one it is configured for.
"""

import importlib
from collections.abc import Mapping
from typing import Any

from runtime.channels.base import (
    BadInbound,
    Channel,
    ChannelConfigError,
    InboundSMS,
    SendResult,
    SendStatus,
    WebhookRejected,
    mask_number,
)
from runtime.channels.reports import (
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
    "PROVIDERS",
    "build_channel",
    "is_final",
    "mask_number",
    "parse_at_delivery_report",
    "should_replace",
    "status_rank",
]


PROVIDERS: dict[str, str] = {
    "console": "runtime.channels.console:ConsoleChannel",
    "africastalking": "runtime.channels.africastalking:AfricasTalkingChannel",
    "android": "runtime.channels.android:AndroidChannel",
}


def build_channel(config: Mapping[str, Any]) -> Channel:
    """The channel named by config["SMS_CHANNEL"], built from the configuration."""
    kind = str(config.get("SMS_CHANNEL") or "console").strip().lower()
    if kind not in PROVIDERS:
        raise ChannelConfigError(f"unknown SMS_CHANNEL {kind!r} ({', '.join(PROVIDERS)})")
    module, _, name = PROVIDERS[kind].partition(":")
    channel: Channel = getattr(importlib.import_module(module), name).from_config(config)
    return channel
