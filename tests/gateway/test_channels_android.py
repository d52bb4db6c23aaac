"""The android channel against a fake SMS Gateway for Android, and its signed webhooks."""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime

import pytest

from runtime.channels import (
    BadInbound,
    DeliveryReport,
    InboundSMS,
    SendStatus,
    WebhookRejected,
    build_channel,
)
from runtime.channels.android import AndroidChannel, parse_android_event
from tests.fakes import fixtures
from tests.fakes.fake_android import (
    FakeAndroidGateway,
    failed_state,
    gw_error,
    gw_slow,
    sign,
    webhook_body,
)

fake_android = fixtures.fake_android

NUMBER = "+84912345678"
SECRET = "s3cret-signing-key"


def channel(fake: FakeAndroidGateway, **extra: object) -> AndroidChannel:
    built = build_channel(fake.config(**extra))
    assert isinstance(built, AndroidChannel)
    return built


# Sending


def test_send_is_accepted_with_the_gateway_message_id(fake_android: FakeAndroidGateway) -> None:
    result = channel(fake_android).send(NUMBER, "Hop CLB ngay 21")

    assert result.status is SendStatus.ACCEPTED
    assert result.provider_id in fake_android.messages
    assert result.provider_status == "Pending"
    [request] = fake_android.requests
    assert request.path == "/3rdparty/v1/messages"
    assert request.json["phoneNumbers"] == [NUMBER]
    assert request.json["textMessage"] == {"text": "Hop CLB ngay 21"}
    assert request.json["withDeliveryReport"] is True
    assert request.json["ttl"] == 86400


def test_state_follows_the_phone(fake_android: FakeAndroidGateway) -> None:
    gw = channel(fake_android)
    result = gw.send(NUMBER, "hello")
    assert result.provider_id
    fake_android.set_state(result.provider_id, "Delivered")

    report = gw.state(result.provider_id)

    assert report == DeliveryReport(result.provider_id, "Delivered", final=True)
    assert report.delivered


def test_state_failed_at_once_is_failed(fake_android: FakeAndroidGateway) -> None:
    fake_android.script(failed_state("Invalid number"))

    result = channel(fake_android).send(NUMBER, "hello")

    assert result.status is SendStatus.FAILED
    assert result.reason == "Invalid number"


@pytest.mark.parametrize(
    ("http_status", "expected"),
    [
        (500, SendStatus.RETRY),
        (503, SendStatus.RETRY),
        (429, SendStatus.RETRY),
        (400, SendStatus.FAILED),
        (403, SendStatus.FAILED),
    ],
)
def test_http_errors(
    fake_android: FakeAndroidGateway, http_status: int, expected: SendStatus
) -> None:
    fake_android.script(gw_error(http_status, "nope"))

    result = channel(fake_android).send(NUMBER, "hello")

    assert result.status is expected
    assert result.reason and str(http_status) in result.reason


def test_wrong_password_is_failed(fake_android: FakeAndroidGateway) -> None:
    result = channel(fake_android, ANDROID_GW_PASSWORD="wrong").send(NUMBER, "hello")

    assert result.status is SendStatus.FAILED
    assert result.reason and "401" in result.reason


def test_timeout_is_retry(fake_android: FakeAndroidGateway) -> None:
    fake_android.script(gw_slow(2.0))

    result = channel(fake_android, ANDROID_GW_TIMEOUT=0.2).send(NUMBER, "hello")

    assert result.status is SendStatus.RETRY


def test_unreachable_phone_is_retry() -> None:
    gone = FakeAndroidGateway().start()
    config = gone.config()
    gone.stop()

    assert build_channel(config).send(NUMBER, "hello").status is SendStatus.RETRY


def parse_android_webhook(*args, **kwargs):  # noqa: ANN002, ANN003, ANN201
    """An sms:received webhook as InboundSMS; None for any other event."""
    event = parse_android_event(*args, **kwargs)
    return event if isinstance(event, InboundSMS) else None


def test_logs_mask_number_and_hold_no_text(
    fake_android: FakeAndroidGateway, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="runtime.channels"):
        channel(fake_android).send(NUMBER, "noi dung rieng")

    assert "noi dung rieng" not in caplog.text
    assert NUMBER not in caplog.text


def test_config_without_password_is_an_error() -> None:
    with pytest.raises(ValueError):
        build_channel({"SMS_CHANNEL": "android", "ANDROID_GW_USER": "u"})


# Webhooks


def test_signed_sms_received_is_parsed() -> None:
    body = webhook_body(
        message="Tra\u0300 no\u031b\u0323 200k", received_at="2026-11-21T15:30:12.000+07:00"
    )

    inbound = parse_android_webhook(body, sign(body, SECRET), SECRET)

    assert isinstance(inbound, InboundSMS)
    assert inbound.sender == NUMBER
    assert inbound.to == "+84987654321"
    assert inbound.text == "Trà nợ 200k"  # NFD from the phone arrives composed
    assert inbound.received_at == datetime(2026, 11, 21, 8, 30, 12, tzinfo=UTC)
    assert inbound.provider == "android"
    assert inbound.provider_id.startswith("9f2c1a7b@")


def test_retries_and_exports_keep_the_same_provider_id() -> None:
    first, again = webhook_body(), webhook_body()  # new envelope id, same message
    assert json.loads(first)["id"] != json.loads(again)["id"]

    a = parse_android_webhook(first, {}, None)
    b = parse_android_webhook(again, {}, None)
    other = parse_android_webhook(
        webhook_body(received_at="2026-11-21T15:31:00.000+07:00"), {}, None
    )

    assert a and b and other
    assert a.provider_id == b.provider_id != other.provider_id


def test_older_payload_without_sender_and_naive_time() -> None:
    body = webhook_body()
    envelope = json.loads(body)
    del envelope["payload"]["sender"]
    envelope["payload"]["receivedAt"] = "2026-11-21T15:30:12"
    inbound = parse_android_webhook(json.dumps(envelope), {}, None)

    assert inbound and inbound.sender == NUMBER
    assert inbound.received_at == datetime(2026, 11, 21, 8, 30, 12, tzinfo=UTC)  # phone is in VN


def test_lowercase_header_names_are_accepted() -> None:
    body = webhook_body()
    headers = {k.lower(): v for k, v in sign(body, SECRET).items()}

    assert parse_android_webhook(body, headers, SECRET) is not None


@pytest.mark.parametrize(
    "tamper",
    ["body", "signature", "other-key", "missing-signature", "missing-timestamp", "stale", "bad-ts"],
)
def test_bad_signatures_are_rejected(tamper: str) -> None:
    body = webhook_body()
    headers = sign(body, SECRET)
    if tamper == "body":
        body = body.replace(b"200k", b"900k")
    elif tamper == "signature":
        headers["X-Signature"] = "0" * 64
    elif tamper == "other-key":
        headers = sign(body, "another-key")
    elif tamper == "missing-signature":
        del headers["X-Signature"]
    elif tamper == "missing-timestamp":
        del headers["X-Timestamp"]
    elif tamper == "stale":
        headers = sign(body, SECRET, timestamp=int(time.time()) - 3600)
    elif tamper == "bad-ts":
        headers = sign(body, SECRET)
        headers["X-Timestamp"] = "soon"

    with pytest.raises(WebhookRejected):
        parse_android_webhook(body, headers, SECRET)


def test_skew_check_can_be_disabled_for_phones_with_bad_clocks() -> None:
    body = webhook_body()
    headers = sign(body, SECRET, timestamp=int(time.time()) - 86400)

    assert parse_android_webhook(body, headers, SECRET, max_skew=None) is not None


def test_no_secret_means_no_check() -> None:
    assert parse_android_webhook(webhook_body(), {}, None) is not None


def test_other_events_are_none_or_reports() -> None:
    ping = webhook_body(event="system:ping", payload={"health": {"status": "pass"}})
    failed = webhook_body(
        event="sms:failed",
        payload={
            "messageId": "abc",
            "phoneNumber": NUMBER,
            "reason": "RESULT_ERROR_GENERIC_FAILURE",
            "failedAt": "2026-11-21T15:30:12.000+07:00",
        },
    )

    assert parse_android_webhook(ping, sign(ping, SECRET), SECRET) is None
    assert parse_android_webhook(failed, sign(failed, SECRET), SECRET) is None
    report = parse_android_event(failed, sign(failed, SECRET), SECRET)
    assert isinstance(report, DeliveryReport)
    assert (report.provider_id, report.status, report.final, report.failed) == (
        "abc",
        "Failed",
        True,
        True,
    )
    assert report.failure_reason == "RESULT_ERROR_GENERIC_FAILURE"


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        b'{"event": "sms:received"}',
        b'{"event": "sms:received", "payload": {"message": "x", "phoneNumber": "+849"}}',
        b'{"event": "sms:received", "payload": {"messageId": "a", "message": "x",'
        b' "phoneNumber": "+849", "receivedAt": "yesterday"}}',
    ],
)
def test_malformed_bodies_are_bad_inbound(body: bytes) -> None:
    with pytest.raises(BadInbound):
        parse_android_webhook(body, sign(body, SECRET), SECRET)


def test_parsed_dict_with_raw_body_as_flask_gives_them() -> None:
    body = webhook_body()
    headers = sign(body, SECRET)

    inbound = parse_android_webhook(json.loads(body), headers, SECRET, raw_body=body)

    assert inbound is not None and inbound.sender == NUMBER
    with pytest.raises(WebhookRejected) as info:
        parse_android_webhook(json.loads(body), {}, SECRET, raw_body=body)
    assert info.value.auth is True


def test_a_dict_without_raw_body_cannot_be_verified() -> None:
    with pytest.raises(TypeError):
        parse_android_webhook(json.loads(webhook_body()), {}, SECRET)
    assert parse_android_webhook(json.loads(webhook_body()), {}, None) is not None


def test_malformed_is_a_non_auth_rejection_and_a_bad_inbound() -> None:
    body = b'{"event": "sms:received"}'
    with pytest.raises(WebhookRejected) as info:
        parse_android_webhook(body, sign(body, SECRET), SECRET)
    assert info.value.auth is False and isinstance(info.value, BadInbound)
