"""What clubs report: meetings, readings, visits, help requests, activities, fund money.

Every recorded row belongs to a Report (one per SMS or USSD form) whose reference cancels it;
a cancelled row keeps its data and gets voided_at, so history and audit stay whole. The recorded
tables are the subclasses of RecordedRow (loans and repayments in models.ledger too): HUY voids
what recorded_tables() lists and the summaries count the same list, each on its counted_on column.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

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
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from menus.clock import utcnow
from menus.grammar import REF_LENGTH
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
    ref: Mapped[str] = mapped_column(String(REF_LENGTH))
    source_key: Mapped[str] = mapped_column(String(80), unique=True)
    inbound_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_messages.id"))
    reporter_phone: Mapped[str | None] = mapped_column(String(16))
    reporter_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    summary: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column()
    cancelled_by_phone: Mapped[str | None] = mapped_column(String(16))


class RecordedRow:
    """A row recorded under a report: HUY voids it by report_id, and the summaries count it on
    its counted_on column while voided_at is empty. Subclassing is registering: recorded_tables()
    is every subclass, so a new recorded table is voidable and counted without another list."""

    # The column the summaries count the row by: a date (the day it happened), or for a help
    # request the time it was asked (created_at).
    counted_on: ClassVar[str]
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"), index=True)
    voided_at: Mapped[datetime | None] = mapped_column()

    @classmethod
    def counted_column(cls) -> Any:
        """The counted_on column, for queries."""
        return getattr(cls, cls.counted_on)

    @classmethod
    def counted_by_day(cls) -> bool:
        """Counted on a day (a Date column), not at a moment (a help request's created_at)."""
        return isinstance(cls.__table__.c[cls.counted_on].type, Date)  # type: ignore[attr-defined]

    def void(self, session: Session, now: datetime) -> None:
        """Cancel the row with its report: it keeps its data and no longer counts."""
        self.voided_at = now


def recorded_tables() -> tuple[type[RecordedRow], ...]:
    """Every recorded table (each subclass of RecordedRow), in table-name order."""
    return tuple(sorted(RecordedRow.__subclasses__(), key=lambda table: table.__tablename__))


class Meeting(RecordedRow, Base):
    """A meeting and the members present (its attendance), as the latest DD for its date said."""

    __tablename__ = "meetings"
    __table_args__ = (UniqueConstraint("club_id", "held_on"),)
    counted_on = "held_on"
    id: Mapped[int] = mapped_column(primary_key=True)
    club_id: Mapped[int] = mapped_column(ForeignKey("clubs.id"))
    held_on: Mapped[date] = mapped_column(Date)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"))  # no index (yet)
    attendance: Mapped[list[Attendance]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan"
    )

    def record_attendance(
        self, session: Session, member_ids: list[int], report_id: int, actor_phone: str | None
    ) -> None:
        """The members present, recorded under a report. A later DD for the same date replaces
        the list; the audit keeps the one replaced (its report and members) for void()."""
        if self.id is not None:
            replaced = sorted(a.member_id for a in self.attendance)
            session.add(
                AuditEntry(
                    club_id=self.club_id,
                    actor_phone=actor_phone,
                    action="replace",
                    entity="meeting",
                    entity_id=self.id,
                    detail=json.dumps(
                        {"by_report": report_id, "report": self.report_id, "present": replaced}
                    ),
                )
            )
            self.attendance.clear()
            session.flush()
        self.report_id, self.voided_at = report_id, None
        self.attendance.extend(Attendance(member_id=m) for m in member_ids)
        session.flush()

    def void(self, session: Session, now: datetime) -> None:
        """Cancelling the DD that recorded this list brings back the list it replaced, when that
        report still stands; otherwise the meeting no longer counts."""
        cancelled = self.report_id
        self.attendance.clear()
        session.flush()
        entries = session.scalars(
            select(AuditEntry)
            .where(
                AuditEntry.entity == "meeting",
                AuditEntry.entity_id == self.id,
                AuditEntry.action == "replace",
            )
            .order_by(AuditEntry.id.desc())
        ).all()
        for entry in entries:
            try:
                detail = json.loads(entry.detail or "")
            except ValueError:
                continue
            if detail.get("by_report") != cancelled:
                continue
            earlier = session.get(Report, detail.get("report")) if detail.get("report") else None
            if earlier is not None and earlier.cancelled_at is None:
                self.report_id, self.voided_at = earlier.id, None
                self.attendance.extend(Attendance(member_id=m) for m in detail["present"])
                return
            break
        self.voided_at = now


class Attendance(Base):
    """A member present at a meeting; a later DD for the same date replaces the set."""

    __tablename__ = "attendance"
    meeting_id: Mapped[int] = mapped_column(
        ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True
    )
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True, index=True)
    meeting: Mapped[Meeting] = relationship(back_populates="attendance")


class HealthReading(RecordedRow, Base):
    __tablename__ = "health_readings"
    __table_args__ = (
        Index("ix_health_readings_member_taken", "member_id", "taken_on"),
        Index("ix_health_readings_club_taken", "club_id", "taken_on"),
    )
    counted_on = "taken_on"
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
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class HomeVisit(RecordedRow, Base):
    __tablename__ = "home_visits"
    __table_args__ = (Index("ix_home_visits_club_visited", "club_id", "visited_on"),)
    counted_on = "visited_on"
    id: Mapped[int] = mapped_column(primary_key=True)
    club_id: Mapped[int] = mapped_column(ForeignKey("clubs.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    volunteer_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    visited_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class HelpRequest(RecordedRow, Base):
    __tablename__ = "help_requests"
    counted_on = "created_at"
    id: Mapped[int] = mapped_column(primary_key=True)
    club_id: Mapped[int] = mapped_column(ForeignKey("clubs.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    note: Mapped[str | None] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(8), default="sms")
    status: Mapped[str] = mapped_column(String(8), default=RequestStatus.OPEN)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Activity(RecordedRow, Base):
    """An activity in one of the 8 areas."""

    __tablename__ = "activities"
    __table_args__ = (
        CheckConstraint("area BETWEEN 1 AND 8", name="area"),
        CheckConstraint("people >= 0", name="people"),
        Index("ix_activities_club_held", "club_id", "held_on"),
    )
    counted_on = "held_on"
    id: Mapped[int] = mapped_column(primary_key=True)
    club_id: Mapped[int] = mapped_column(ForeignKey("clubs.id"))
    area: Mapped[int] = mapped_column(Integer)
    held_on: Mapped[date] = mapped_column(Date)
    people: Mapped[int] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FundContribution(RecordedRow, Base):
    """Money into the club fund, from a member or from outside (member_id NULL)."""

    __tablename__ = "fund_contributions"
    __table_args__ = (CheckConstraint("amount_vnd > 0", name="amount"),)
    counted_on = "given_on"
    id: Mapped[int] = mapped_column(primary_key=True)
    club_id: Mapped[int] = mapped_column(ForeignKey("clubs.id"), index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), index=True)
    amount_vnd: Mapped[int] = mapped_column(Integer)
    given_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


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
