"""The africastalking channel through the real SDK against a fake AT server over real HTTP."""

from __future__ import annotations

import logging
from decimal import Decimal

import pytest

from runtime.channels import SendStatus, build_channel
from runtime.channels.africastalking import AfricasTalkingChannel, parse_cost, result_from_response
from tests.fakes import fixtures
from tests.fakes.fake_at import FakeAfricasTalking, http_error, ok, recipient_fails, slow

fake_at = fixtures.fake_at

NUMBER = "+84912345678"


def channel(fake: FakeAfricasTalking, **extra: object) -> AfricasTalkingChannel:
    built = build_channel(fake.config(**extra))
    assert isinstance(built, AfricasTalkingChannel)
    return built


def test_success_parses_id_cost_and_reaches_the_overridden_url(fake_at: FakeAfricasTalking) -> None:
    result = channel(fake_at, AT_SENDER_ID="DIEMTUA").send(NUMBER, "Xin chao bac")

    assert result.status is SendStatus.ACCEPTED
    assert result.provider_id and result.provider_id.startswith("ATXid_")
    assert (result.cost, result.currency) == (Decimal("250.0000"), "VND")
    # Not "Success": in delivery reports that word means delivered and would outrank them all.
    assert result.provider_status == "Sent"
    [request] = (
        fake_at.requests
    )  # AT_API_URL override: the SDK posted here, not to africastalking.com
    assert request.path == "/version1/messaging"
    assert request.headers["Apikey"] == fake_at.api_key
    assert request.form["to"] == NUMBER
    assert request.form["message"] == "Xin chao bac"
    assert request.form["from"] == "DIEMTUA"
    assert request.form["username"] == fake_at.username


def test_failure_inside_a_201_is_failed_with_reason(fake_at: FakeAfricasTalking) -> None:
    fake_at.script(recipient_fails(403, "InvalidPhoneNumber"))

    result = channel(fake_at).send(NUMBER, "hello")

    assert result.status is SendStatus.FAILED
    assert result.provider_id is None
    assert result.reason and "InvalidPhoneNumber" in result.reason and "403" in result.reason


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (500, SendStatus.RETRY),
        (502, SendStatus.RETRY),
        (405, SendStatus.FAILED),
        (409, SendStatus.FAILED),
    ],
)
def test_per_recipient_status_codes(
    fake_at: FakeAfricasTalking, code: int, expected: SendStatus
) -> None:
    fake_at.script(recipient_fails(code, "Whatever"))

    assert channel(fake_at).send(NUMBER, "hello").status is expected


def test_http_5xx_is_retry(fake_at: FakeAfricasTalking) -> None:
    fake_at.script(http_error(500))

    result = channel(fake_at).send(NUMBER, "hello")

    assert result.status is SendStatus.RETRY
    assert result.reason and "500" in result.reason


def test_http_4xx_is_failed_with_reason(fake_at: FakeAfricasTalking) -> None:
    result = channel(fake_at, AT_API_KEY="wrong-key").send(NUMBER, "hello")

    assert result.status is SendStatus.FAILED
    assert result.reason and "401" in result.reason and "authentication" in result.reason


def test_timeout_is_retry(fake_at: FakeAfricasTalking) -> None:
    fake_at.script(slow(2.0))

    result = channel(fake_at, AT_READ_TIMEOUT=0.2).send(NUMBER, "hello")

    assert result.status is SendStatus.RETRY
    assert result.reason and "Timeout" in result.reason


def test_connection_refused_is_retry() -> None:
    gone = FakeAfricasTalking().start()
    config = gone.config()
    gone.stop()

    assert build_channel(config).send(NUMBER, "hello").status is SendStatus.RETRY


def test_json_with_charset_is_still_parsed(fake_at: FakeAfricasTalking) -> None:
    fake_at.script(
        ok(content_type="application/json; charset=utf-8"),
        ok(),
        ok("KES 0.8000", content_type="application/json; charset=utf-8"),
    )
    at = channel(fake_at)
    # The SDK quirk this guards against: with a charset it hands back text, not a dict.
    assert isinstance(at.service.send("hi", [NUMBER]), str)
    assert isinstance(at.service.send("hi", [NUMBER]), dict)

    result = at.send(NUMBER, "hello")

    assert result.status is SendStatus.ACCEPTED
    assert (result.cost, result.currency) == (Decimal("0.8000"), "KES")


def test_accented_text_travels_intact(fake_at: FakeAfricasTalking) -> None:
    channel(fake_at).send(NUMBER, "Trả nợ 200.000đ")

    assert fake_at.requests[0].form["message"] == "Trả nợ 200.000đ"


def test_non_e164_number_fails_without_a_request(fake_at: FakeAfricasTalking) -> None:
    result = channel(fake_at).send("0912345678", "hello")

    assert result.status is SendStatus.FAILED
    assert fake_at.requests == []


def test_logs_mask_the_number_and_never_hold_the_text(
    fake_at: FakeAfricasTalking, caplog: pytest.LogCaptureFixture
) -> None:
    fake_at.script(ok(), recipient_fails())
    with caplog.at_level(logging.DEBUG, logger="runtime.channels"):
        channel(fake_at).send(NUMBER, "bi mat 123")
        channel(fake_at).send(NUMBER, "bi mat 456")

    logged = caplog.text
    assert "bi mat" not in logged
    assert NUMBER not in logged
    assert "+84******678" in logged


def test_config_without_credentials_is_an_error() -> None:
    with pytest.raises(ValueError):
        build_channel({"SMS_CHANNEL": "africastalking", "AT_USERNAME": "sandbox", "AT_API_KEY": ""})


def test_default_base_urls_follow_the_sdk() -> None:
    sandbox = build_channel(
        {"SMS_CHANNEL": "africastalking", "AT_USERNAME": "sandbox", "AT_API_KEY": "k"}
    )
    live = build_channel(
        {"SMS_CHANNEL": "africastalking", "AT_USERNAME": "club", "AT_API_KEY": "k"}
    )
    assert isinstance(sandbox, AfricasTalkingChannel) and isinstance(live, AfricasTalkingChannel)
    assert sandbox.base_url == "https://api.sandbox.africastalking.com/version1"
    assert live.base_url == "https://api.africastalking.com/version1"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("VND 250.0000", (Decimal("250.0000"), "VND")),
        ("KES 0.8000", (Decimal("0.8000"), "KES")),
        ("0", (Decimal("0"), None)),
        ("", (None, None)),
        (None, (None, None)),
        ("VND abc", (None, None)),
    ],
)
def test_parse_cost(raw: str | None, expected: tuple[Decimal | None, str | None]) -> None:
    assert parse_cost(raw) == expected


def test_unreadable_or_empty_answers() -> None:
    assert result_from_response("<html>", NUMBER).status is SendStatus.RETRY
    empty = {"SMSMessageData": {"Message": "InvalidSenderId", "Recipients": []}}
    result = result_from_response(empty, NUMBER)
    assert result.status is SendStatus.FAILED and result.reason == "InvalidSenderId"
