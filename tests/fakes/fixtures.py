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
