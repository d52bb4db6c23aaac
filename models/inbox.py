"""Storing inbound messages exactly once, keyed by the provider's id."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from menus.clock import utcnow
from models.enums import InboundStatus
from models.messages import InboundMessage

MAX_CLOCK_SKEW = timedelta(days=1)


def store_inbound(
    session: Session,
    *,
    provider: str,
    provider_id: str,
    sender: str,
    text: str,
    to: str | None = None,
    received_at: datetime | None = None,
    channel: str = "sms",
    link_id: str | None = None,
    network_code: str | None = None,
    acting_member_id: int | None = None,
) -> tuple[int, bool]:
    """Insert the message unless (provider, provider_id) is known; returns (id, newly stored)."""
    now = utcnow()
    if received_at is not None and abs(received_at - now) > MAX_CLOCK_SKEW:
        received_at = now  # a phone or provider clock far off must not move "today"
    values = dict(
        provider=provider,
        provider_id=provider_id,
        channel=channel,
        sender=sender,
        to=to,
        text=text,
        link_id=link_id,
        network_code=network_code,
        acting_member_id=acting_member_id,
        received_at=received_at or now,
        stored_at=now,
        status=InboundStatus.RECEIVED,
    )
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = (
        insert(InboundMessage)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["provider", "provider_id"])
        .returning(InboundMessage.id)
    )
    new_id = session.execute(stmt).scalar()
    if new_id is not None:
        return new_id, True
    existing = session.scalar(
        select(InboundMessage.id).where(
            InboundMessage.provider == provider, InboundMessage.provider_id == provider_id
        )
    )
    assert existing is not None
    return existing, False


def store_ussd_form(
    session: Session, phone: str, member_id: int | None, command_text: str, form_key: str
) -> tuple[int, bool]:
    """A USSD form as an inbound message, recorded exactly as the same SMS from that phone would
    be, for the member chosen on the screen; keyed so a repeated hop stores it once."""
    return store_inbound(
        session,
        provider="ussd",
        provider_id=form_key,
        sender=phone,
        text=command_text,
        channel="ussd",
        acting_member_id=member_id,
    )
