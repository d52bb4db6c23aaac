"""Africa's Talking bulk SMS through the official SDK (africastalking==2.0.3, pinned)."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import requests
from africastalking.Service import AfricasTalkingException, Service, validate_phone
from africastalking.SMS import SMSService

from menus.clock import utcnow
from menus.text import nfc
from models.messages import INBOUND_LIMITS
from runtime.channels.base import (
    BadInbound,
    ChannelConfigError,
    InboundSMS,
    SendResult,
    SendStatus,
    channel_options,
    mask_number,
    parse_timestamp,
    scrub_numbers,
)

log = logging.getLogger(__name__)

# Some aggregators that copy AT's protocol reject these characters, so avoid them by default.
DEFAULT_REJECTED_CHARS = "#&%@[]{}\\<"
DEFAULT_TIMEOUT = (3.05, 9.05)
ACCEPTED_CODE_NAMES = {100: "Processed", 101: "Sent", 102: "Queued"}

# The SDK's private transport (name-mangled in Service); wrapped below to keep the HTTP status.
_sdk_post = Service._Service__make_post_request  # type: ignore[attr-defined]


class ATHTTPError(AfricasTalkingException):
    """A non-2xx answer, with the status code the SDK's own exception drops."""

    def __init__(self, status_code: int, text: str) -> None:
        super().__init__(text)
        self.status_code = status_code
        self.text = text


class _SMSService(SMSService):
    """SMSService aimed at an optional base URL, raising ATHTTPError with the status code."""

    def __init__(self, username: str, api_key: str, base_url: str | None) -> None:
        self._override_url = base_url
        super().__init__(username, api_key)

    def _init_service(self) -> None:
        super()._init_service()
        if self._override_url:
            base = self._override_url.rstrip("/")
            self._baseUrl = base if base.endswith("/version1") else base + "/version1"

    # Overrides the SDK's name-mangled static helper; Service._make_request calls it through self.
    @staticmethod
    def _Service__make_post_request(  # noqa: N802
        url: str,
        headers: dict[str, str],
        data: Any,
        params: Any,
        callback: Any = None,
        timeout: Any = DEFAULT_TIMEOUT,
    ) -> requests.Response:
        res = _sdk_post(url, headers, data, params, None, timeout)
        if not 200 <= res.status_code < 300:
            raise ATHTTPError(res.status_code, res.text)
        return res


def parse_cost(value: Any) -> tuple[Decimal | None, str | None]:
    """AT's cost string ("VND 250.0000", "KES 0.8000", "0") as (amount, currency)."""
    if value is None:
        return None, None
    parts = str(value).split()
    currency = None
    if len(parts) == 2 and len(parts[0]) == 3 and parts[0].isalpha():
        currency, parts = parts[0].upper(), parts[1:]
    if len(parts) != 1:
        return None, None
    try:
        return Decimal(parts[0]), currency
    except InvalidOperation:
        return None, None


def classify_status_code(code: int | None) -> SendStatus:
    """AT's per-recipient statusCode: 100–102 accepted, 5xx worth a retry, others permanent."""
    if code is None:
        return SendStatus.FAILED
    if 100 <= code <= 102:
        return SendStatus.ACCEPTED
    if 500 <= code <= 599:
        return SendStatus.RETRY
    return SendStatus.FAILED


def _recipient_for(recipients: list[Any], to: str) -> dict[str, Any] | None:
    entries = [r for r in recipients if isinstance(r, dict)]
    for entry in entries:
        if entry.get("number") == to:
            return entry
    return entries[0] if entries else None


def result_from_response(body: Any, to: str) -> SendResult:
    """A send answer (dict, or the JSON text the SDK hands back) as the result for one recipient."""
    if isinstance(body, (str, bytes)):
        try:
            body = json.loads(body)
        except ValueError:
            # A 2xx we cannot read may still have been sent; a retry risks a duplicate, not a loss.
            return SendResult(SendStatus.RETRY, reason="unreadable answer from provider")
    data = body.get("SMSMessageData") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        return SendResult(SendStatus.RETRY, reason="answer without SMSMessageData")
    recipients = data.get("Recipients")
    entry = _recipient_for(recipients if isinstance(recipients, list) else [], to)
    if entry is None:
        # e.g. {"Message": "InvalidSenderId", "Recipients": []}
        return SendResult(SendStatus.FAILED, reason=str(data.get("Message") or "no recipients"))
    try:
        code: int | None = int(entry.get("statusCode"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        code = None
    status = classify_status_code(code)
    provider_status = str(entry.get("status") or "") or None
    if status is SendStatus.ACCEPTED and code in ACCEPTED_CODE_NAMES:
        # The send answer says "Success" for accepted; that word means delivered in reports.
        provider_status = ACCEPTED_CODE_NAMES[code]
    message_id = entry.get("messageId")
    provider_id = str(message_id) if message_id not in (None, "", "None") else None
    cost, currency = parse_cost(entry.get("cost"))
    if status is SendStatus.ACCEPTED and provider_id is None:
        status = SendStatus.RETRY
    reason = None if status is SendStatus.ACCEPTED else f"{provider_status} ({code})"
    return SendResult(status, provider_id, cost, currency, reason, provider_status)


class AfricasTalkingChannel:
    """Sends one SMS per call through AT's bulk endpoint (POST /version1/messaging)."""

    name = "africastalking"

    def __init__(
        self,
        *,
        username: str,
        api_key: str,
        sender_id: str | None = None,
        api_url: str | None = None,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        rate_per_second: float = 10.0,
        accents_allowed: bool = False,
        rejected_chars: str = DEFAULT_REJECTED_CHARS,
    ) -> None:
        if not username or not api_key:
            raise ChannelConfigError("africastalking needs AT_USERNAME and AT_API_KEY")
        self.service = _SMSService(username, api_key, api_url)
        self.sender_id = sender_id or None
        self.timeout = timeout
        self.rate_per_second = rate_per_second
        self.accents_allowed = accents_allowed
        self.rejected_chars = rejected_chars

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> AfricasTalkingChannel:
        """Built from AT_USERNAME, AT_API_KEY, AT_SENDER_ID, AT_API_URL, AT_*_TIMEOUT, SMS_*."""
        timeout = (
            float(config.get("AT_CONNECT_TIMEOUT") or DEFAULT_TIMEOUT[0]),
            float(config.get("AT_READ_TIMEOUT") or DEFAULT_TIMEOUT[1]),
        )
        return cls(
            username=str(config.get("AT_USERNAME") or ""),
            api_key=str(config.get("AT_API_KEY") or ""),
            sender_id=config.get("AT_SENDER_ID") or None,
            api_url=config.get("AT_API_URL") or None,
            timeout=timeout,
            **channel_options(config, default_rate=10.0),
        )

    @property
    def base_url(self) -> str:
        """Where the SDK will post (…/version1)."""
        return self.service._baseUrl

    def send(self, to: str, text: str) -> SendResult:
        """Send to one number; AT's answer, HTTP errors and network trouble become a SendResult."""
        if not validate_phone(to):
            result = SendResult(SendStatus.FAILED, reason="InvalidPhoneNumber (not E.164)")
            self._log(to, result)
            return result
        try:
            body = self.service.send(text, [to], sender_id=self.sender_id, timeout=self.timeout)
        except ATHTTPError as exc:
            retry = exc.status_code >= 500 or exc.status_code == 429
            result = SendResult(
                SendStatus.RETRY if retry else SendStatus.FAILED,
                reason=f"HTTP {exc.status_code}: {scrub_numbers(exc.text)[:150]}",
            )
        except (requests.Timeout, requests.ConnectionError) as exc:
            result = SendResult(SendStatus.RETRY, reason=f"{type(exc).__name__}")
        except AfricasTalkingException as exc:
            result = SendResult(
                SendStatus.RETRY, reason=f"provider error: {scrub_numbers(str(exc))[:150]}"
            )
        except requests.RequestException as exc:
            result = SendResult(SendStatus.RETRY, reason=f"{type(exc).__name__}")
        else:
            result = result_from_response(body, to)
        self._log(to, result)
        return result

    def _log(self, to: str, result: SendResult) -> None:
        level = logging.INFO if result.status is SendStatus.ACCEPTED else logging.WARNING
        log.log(
            level,
            "africastalking sms to %s: %s id=%s status=%s cost=%s %s reason=%s",
            mask_number(to),
            result.status,
            result.provider_id,
            result.provider_status,
            result.cost,
            result.currency,
            result.reason,
        )


# Longest value each callback field may carry: the column it is stored in.
_STORED_AS = {
    "from": "sender",
    "to": "to",
    "id": "provider_id",
    "linkId": "link_id",
    "networkCode": "network_code",
}
FIELD_LIMITS = {field: INBOUND_LIMITS[column] for field, column in _STORED_AS.items()}


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
