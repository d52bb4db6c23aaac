"""What clubs report: meetings, readings, visits, help requests, activities, fund money.

Every recorded row belongs to a Report (one per SMS or USSD form) whose reference cancels it;
a cancelled row keeps its data and gets voided_at, so history and audit stay whole.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from menus.clock import utcnow
from models.db import Base
from models.enums import AlertLevel, RequestStatus


class Report(Base):
    """One accepted report and its short reference (unique within the club)."""

    __tablename__ = "reports"
    __table_args__ = (
        UniqueConstraint("club_id", "ref"),
        # A club's latest report (silent-club checks, summaries).
        Index("ix_reports_club_created", "club_id", "created_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    club_id: Mapped[int] = mapped_column(ForeignKey("clubs.id"), index=True)
    ref: Mapped[str] = mapped_column(String(4))
    source_key: Mapped[str] = mapped_column(String(80), unique=True)
    inbound_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_messages.id"))
    reporter_phone: Mapped[str | None] = mapped_column(String(16))
    reporter_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    summary: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column()
    cancelled_by_phone: Mapped[str | None] = mapped_column(String(16))


class _Recorded:
    """Columns every recorded row carries."""

    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"), index=True)
    voided_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Meeting(Base):
    __tablename__ = "meetings"
    __table_args__ = (UniqueConstraint("club_id", "held_on"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    club_id: Mapped[int] = mapped_column(ForeignKey("clubs.id"))
    held_on: Mapped[date] = mapped_column(Date)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"))
    voided_at: Mapped[datetime | None] = mapped_column()
    attendance: Mapped[list[Attendance]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan"
    )


class Attendance(Base):
    """A member present at a meeting; a later DD for the same date replaces the set."""

    __tablename__ = "attendance"
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True, index=True)
    meeting: Mapped[Meeting] = relationship(back_populates="attendance")


class HealthReading(_Recorded, Base):
    __tablename__ = "health_readings"
    __table_args__ = (
        Index("ix_health_readings_member_taken", "member_id", "taken_on"),
        Index("ix_health_readings_club_taken", "club_id", "taken_on"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    club_id: Mapped[int] = mapped_column(ForeignKey("clubs.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    taken_on: Mapped[date] = mapped_column(Date)
    systolic: Mapped[int | None] = mapped_column(Integer)
    diastolic: Mapped[int | None] = mapped_column(Integer)
    pulse: Mapped[int | None] = mapped_column(Integer)
    weight_kg: Mapped[Decimal | None] = mapped_column(Numeric(5, 1))
    glucose_mmol: Mapped[Decimal | None] = mapped_column(Numeric(4, 1))
    grade: Mapped[str | None] = mapped_column(String(12))
    alert: Mapped[str] = mapped_column(String(8), default=AlertLevel.NONE)


class HomeVisit(_Recorded, Base):
    __tablename__ = "home_visits"
    __table_args__ = (Index("ix_home_visits_club_visited", "club_id", "visited_on"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    club_id: Mapped[int] = mapped_column(ForeignKey("clubs.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    volunteer_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    visited_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)


class HelpRequest(_Recorded, Base):
    __tablename__ = "help_requests"
    id: Mapped[int] = mapped_column(primary_key=True)
    club_id: Mapped[int] = mapped_column(ForeignKey("clubs.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    note: Mapped[str | None] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(8), default="sms")
    status: Mapped[str] = mapped_column(String(8), default=RequestStatus.OPEN)


class Activity(_Recorded, Base):
    """An activity in one of the 8 areas."""

    __tablename__ = "activities"
    __table_args__ = (
        CheckConstraint("area BETWEEN 1 AND 8", name="area"),
        CheckConstraint("people >= 0", name="people"),
        Index("ix_activities_club_held", "club_id", "held_on"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    club_id: Mapped[int] = mapped_column(ForeignKey("clubs.id"))
    area: Mapped[int] = mapped_column(Integer)
    held_on: Mapped[date] = mapped_column(Date)
    people: Mapped[int] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)


class FundContribution(_Recorded, Base):
    """Money into the club fund, from a member or from outside (member_id NULL)."""

    __tablename__ = "fund_contributions"
    __table_args__ = (CheckConstraint("amount_vnd > 0", name="amount"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    club_id: Mapped[int] = mapped_column(ForeignKey("clubs.id"), index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), index=True)
    amount_vnd: Mapped[int] = mapped_column(Integer)
    given_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)


class AuditEntry(Base):
    """Cancellations and changes: who, what, when, and the values before."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    club_id: Mapped[int | None] = mapped_column(ForeignKey("clubs.id"), index=True)
    actor_phone: Mapped[str | None] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[str | None] = mapped_column(Text)
