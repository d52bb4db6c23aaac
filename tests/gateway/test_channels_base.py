"""Inbound parsing for AT, channel selection, masking and the console channel."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest

from runtime.channels import (
    BadInbound,
    Channel,
    SendStatus,
    build_channel,
    mask_number,
)
from runtime.channels.africastalking import from_at_form
from runtime.channels.base import ChannelConfigError
from runtime.channels.console import ConsoleChannel, read_outbox

FORM = {
    "from": "+84912345678",
    "to": "8088",
    "text": "TRA 12 200k",
    "date": "2026-11-21 08:30:12",
    "id": "ATXid_in_1",
    "linkId": "link-1",
    "networkCode": "45204",
}


def test_from_at_form() -> None:
    inbound = from_at_form(FORM)

    assert inbound.provider_id == "ATXid_in_1"
    assert (inbound.sender, inbound.to, inbound.text) == ("+84912345678", "8088", "TRA 12 200k")
    assert inbound.received_at == datetime(2026, 11, 21, 8, 30, 12, tzinfo=UTC)
    assert (inbound.link_id, inbound.network_code, inbound.provider) == (
        "link-1",
        "45204",
        "africastalking",
    )


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        ("2026-11-21T08:30:12.000Z", datetime(2026, 11, 21, 8, 30, 12, tzinfo=UTC)),
        ("2026-11-21T15:30:12+07:00", datetime(2026, 11, 21, 8, 30, 12, tzinfo=UTC)),
    ],
)
def test_iso_dates(date: str, expected: datetime) -> None:
    assert from_at_form({**FORM, "date": date}).received_at == expected


def test_missing_or_bad_date_becomes_now() -> None:
    before = datetime.now(UTC)
    for form in ({k: v for k, v in FORM.items() if k != "date"}, {**FORM, "date": "hôm qua"}):
        received = from_at_form(form).received_at
        assert received.tzinfo is not None and received >= before


def test_optional_fields_and_decomposed_text() -> None:
    form = {"from": "+84912345678", "id": "x", "text": "Tra\u0300 no\u031b\u0323"}
    inbound = from_at_form(form)
    assert inbound.to is None and inbound.link_id is None
    assert inbound.text == "Trà nợ"


def test_empty_text_is_allowed() -> None:
    assert from_at_form({**FORM, "text": ""}).text == ""


@pytest.mark.parametrize("missing", ["from", "id", "text"])
def test_missing_required_field_is_bad_inbound(missing: str) -> None:
    with pytest.raises(BadInbound) as info:
        from_at_form({k: v for k, v in FORM.items() if k != missing})
    assert missing in info.value.reason


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("+84912345678", "+84******678"),
        ("0912345678", "0******678"),
        ("123", "***"),
        (None, "<none>"),
    ],
)
def test_mask_number(number: str | None, masked: str) -> None:
    assert mask_number(number) == masked


def test_build_channel_defaults_to_console_and_rejects_unknown() -> None:
    assert isinstance(build_channel({}), ConsoleChannel)
    with pytest.raises(ChannelConfigError):
        build_channel({"SMS_CHANNEL": "pigeon"})


def test_shared_settings() -> None:
    channel = build_channel(
        {
            "SMS_CHANNEL": "console",
            "SMS_ACCENTS": "true",
            "SMS_REJECTED_CHARS": "#&",
            "SMS_RATE_PER_SECOND": 5,
        }
    )
    assert isinstance(channel, Channel)
    assert (channel.accents_allowed, channel.rejected_chars, channel.rate_per_second) == (
        True,
        "#&",
        5.0,
    )


def test_console_records_and_accepts(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    outbox = tmp_path / "outbox.jsonl"
    console = build_channel({"CONSOLE_OUTBOX": str(outbox)})
    assert isinstance(console, ConsoleChannel)

    with caplog.at_level(logging.INFO, logger="runtime.channels"):
        result = console.send("+84912345678", "Hẹn họp ngày 21")
        console.send("+84900000001", "Khác")

    assert result.status is SendStatus.ACCEPTED
    assert result.provider_id and result.provider_id.startswith("console-")
    [entry] = read_outbox(outbox, to="+84912345678")
    assert entry["text"] == "Hẹn họp ngày 21" and entry["provider_id"] == result.provider_id
    assert entry["encoding"] == "UCS-2" and entry["segments"] == 1
    assert len(console.outbox) == 2 and len(read_outbox(outbox)) == 2
    assert "Hẹn họp" not in caplog.text and "+84912345678" not in caplog.text


def test_console_text_only_at_debug(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="runtime.channels"):
        ConsoleChannel().send("+84912345678", "chi tiet")
    [debug] = [r for r in caplog.records if r.levelno == logging.DEBUG]
    assert "chi tiet" in debug.getMessage()


def test_console_unwritable_outbox_is_retry(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = ConsoleChannel(outbox_path=blocker / "outbox.jsonl").send("+84912345678", "x")
    assert result.status is SendStatus.RETRY


def test_read_outbox_missing_file(tmp_path: Path) -> None:
    assert read_outbox(tmp_path / "none.jsonl") == []
