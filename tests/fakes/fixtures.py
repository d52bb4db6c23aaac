"""Pytest fixtures for the fake providers; import them into a conftest to use them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.fake_android import FakeAndroidGateway
from tests.fakes.fake_at import FakeAfricasTalking


@pytest.fixture
def fake_at() -> Iterator[FakeAfricasTalking]:
    """A fake Africa's Talking messaging server on 127.0.0.1 (.url, .requests, .script())."""
    server = FakeAfricasTalking().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def fake_android() -> Iterator[FakeAndroidGateway]:
    """A fake SMS Gateway for Android API on 127.0.0.1 (.url, .requests, .script())."""
    server = FakeAndroidGateway().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def at_channel(rt, fake_at, monkeypatch):  # noqa: ANN001, ANN201
    """The Africa's Talking channel, through the SDK, aimed at the fake; retries without waiting."""
    from runtime.channels import build_channel
    from workers import sending

    cfg = dict(rt.config(), **fake_at.config(AT_READ_TIMEOUT="0.3", SMS_RATE_PER_SECOND="100"))
    monkeypatch.setattr(rt, "_config", cfg)
    rt.set_channel(build_channel(cfg))
    monkeypatch.setattr(sending, "BACKOFF", [0, 0, 0, 0])
    return fake_at
