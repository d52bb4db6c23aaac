"""Fixtures for conversation tests: a club, a fixed Vietnam time, a console channel."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from sqlalchemy.orm import Session

from gateway.channels.console import ConsoleChannel
from models.clubs import Club
from tests.conversations.support import give_loan
from tests.conversations.transcript import Conversation
from tests.factories import make_board_club

NOW = "2026-11-21 09:00:00+07:00"  # a meeting day (the 21st), Vietnam time


@pytest.fixture
def traveller() -> Iterator[Any]:
    with time_machine.travel(NOW, tick=False) as t:
        yield t


@pytest.fixture
def channel(rt: Any) -> ConsoleChannel:
    ch = ConsoleChannel()
    rt.set_channel(ch)
    return ch


@pytest.fixture
def club(session: Session, traveller: Any) -> Club:
    return make_board_club(session)


@pytest.fixture
def conv(
    client: Any,
    session: Session,
    run_jobs: Any,
    channel: ConsoleChannel,
    traveller: Any,
    club: Club,
) -> Conversation:
    return Conversation(client, session, run_jobs, channel, traveller)


@pytest.fixture
def loan_12(session: Session, club: Club) -> None:
    """Member 12 owes 10,000,000."""
    give_loan(session, club, 12, 10_000_000)
