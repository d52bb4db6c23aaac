"""Fixtures for conversation tests: a club, a fixed Vietnam time, a console channel."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from models.clubs import Club
from runtime.channels.console import ConsoleChannel
from tests.conversations.support import give_loan
from tests.conversations.transcript import Conversation
from tests.factories import make_board_club


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
    monkeypatch: pytest.MonkeyPatch,
) -> Conversation:
    conversation = Conversation(client, session, run_jobs, channel, traveller)
    conversation.watch_composer(monkeypatch)
    return conversation


@pytest.fixture
def loan_12(session: Session, club: Club) -> None:
    """Member 12 owes 10,000,000."""
    give_loan(session, club, 12, 10_000_000)
