"""The inbox and outbox: every message in or out is a row before anything else happens."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import ForeignKey, Index, Integer, Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from menus.clock import utcnow
from models.db import Base
from models.enums import InboundStatus, OutboundStatus


class InboundMessage(Base):
    __tablename__ = "inbound_messages"
    __table_args__ = (
        UniqueConstraint("provider", "provider_id"),
        Index("ix_inbound_sender_received", "sender", "received_at"),
        Index("ix_inbound_status", "status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(24))
    provider_id: Mapped[str] = mapped_column(String(120))
    channel: Mapped[str] = mapped_column(String(16), default="sms")
    sender: Mapped[str] = mapped_column(String(32))
    to: Mapped[str | None] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    link_id: Mapped[str | None] = mapped_column(String(120))
    network_code: Mapped[str | None] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    stored_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(12), default=InboundStatus.RECEIVED)
    processed_at: Mapped[datetime | None] = mapped_column()
    # Times the sweeper handed the message to a worker again; it gives up after a few.
    sweeps: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    club_id: Mapped[int | None] = mapped_column(ForeignKey("clubs.id"))
    note: Mapped[str | None] = mapped_column(String(200))
    # A USSD form from a shared phone speaks for the member chosen on the screen.
    acting_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))


# The longest value each stored field takes, from the columns themselves (a webhook refuses longer).
INBOUND_LIMITS: dict[str, int] = {
    name: InboundMessage.__table__.c[name].type.length
    for name in ("provider_id", "sender", "to", "link_id", "network_code")
}


class OutboundMessage(Base):
    __tablename__ = "outbound_messages"
    __table_args__ = (
        Index("ix_outbound_to_created", "to", "created_at"),
        Index("ix_outbound_status_after", "status", "send_after"),
        Index("ix_outbound_club_created", "club_id", "created_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    to: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(16), default="vi")
    channel: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(12), default=OutboundStatus.QUEUED)
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    inbound_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_messages.id"), index=True)
    club_id: Mapped[int | None] = mapped_column(ForeignKey("clubs.id"))
    encoding: Mapped[str | None] = mapped_column(String(8))
    segments: Mapped[int | None] = mapped_column(Integer)
    provider_id: Mapped[str | None] = mapped_column(String(120), unique=True)
    provider_status: Mapped[str | None] = mapped_column(String(40))
    cost: Mapped[Decimal | None] = mapped_column(Numeric(12, 4))
    currency: Mapped[str | None] = mapped_column(String(3))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    failure_reason: Mapped[str | None] = mapped_column(String(200))
    send_after: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()
    delivered_at: Mapped[datetime | None] = mapped_column()


class JobRun(Base):
    """A scheduled job's period, claimed once so a second run of the same period does nothing."""

    __tablename__ = "job_runs"
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()
    detail: Mapped[str | None] = mapped_column(Text)


PROVIDER_ID_LIMIT: int = OutboundMessage.__table__.c.provider_id.type.length
