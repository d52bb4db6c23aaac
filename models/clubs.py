"""Clubs, their members and roles, and the supervisors who follow them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from menus.clock import utcnow
from menus.text import given_name
from models.db import Base
from models.enums import AreaKind, InterestMethod, MemberStatus, Role


class Club(Base):
    __tablename__ = "clubs"
    __table_args__ = (
        CheckConstraint("meeting_day BETWEEN 1 AND 31", name="meeting_day"),
        CheckConstraint("backdate_days BETWEEN 0 AND 366", name="backdate_days"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(160))
    province_code: Mapped[str] = mapped_column(ForeignKey("provinces.code"), index=True)
    commune_code: Mapped[str | None] = mapped_column(ForeignKey("communes.code"), index=True)
    village: Mapped[str | None] = mapped_column(String(120))
    founded_on: Mapped[date | None] = mapped_column(Date)
    meeting_day: Mapped[int] = mapped_column(Integer, default=21)
    meeting_place: Mapped[str | None] = mapped_column(String(160))
    language: Mapped[str] = mapped_column(String(16), default="vi")
    loan_interest_pct_month: Mapped[Decimal] = mapped_column(Numeric(5, 3), default=Decimal("0"))
    loan_interest_method: Mapped[str] = mapped_column(String(16), default=InterestMethod.FLAT)
    loan_default_term_months: Mapped[int] = mapped_column(Integer, default=12)
    backdate_days: Mapped[int] = mapped_column(Integer, default=62)
    pin_required: Mapped[bool] = mapped_column(Boolean, default=False)
    fund_opening_vnd: Mapped[int] = mapped_column(Integer, default=0)
    monthly_sms_budget: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    members: Mapped[list[Member]] = relationship(back_populates="club")
    place_history: Mapped[list[ClubPlaceHistory]] = relationship(back_populates="club")


class ClubPlaceHistory(Base):
    """A club's place under older names (before the 2025 reform, or any later move)."""

    __tablename__ = "club_place_history"
    id: Mapped[int] = mapped_column(primary_key=True)
    club_id: Mapped[int] = mapped_column(ForeignKey("clubs.id", ondelete="CASCADE"), index=True)
    province_name: Mapped[str] = mapped_column(String(120))
    district_name: Mapped[str | None] = mapped_column(String(120))
    commune_name: Mapped[str | None] = mapped_column(String(120))
    village: Mapped[str | None] = mapped_column(String(120))
    valid_until: Mapped[date | None] = mapped_column(Date)
    club: Mapped[Club] = relationship(back_populates="place_history")


class Member(Base):
    __tablename__ = "members"
    __table_args__ = (
        UniqueConstraint("club_id", "number"),
        CheckConstraint("number > 0", name="number_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    club_id: Mapped[int] = mapped_column(ForeignKey("clubs.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    full_name: Mapped[str] = mapped_column(String(160))
    phone: Mapped[str | None] = mapped_column(String(16), index=True)
    birth_year: Mapped[int | None] = mapped_column(Integer)
    sex: Mapped[str | None] = mapped_column(String(1))
    ethnic_group: Mapped[str | None] = mapped_column(String(40))
    language: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(8), default=MemberStatus.ACTIVE)
    joined_on: Mapped[date | None] = mapped_column(Date)
    left_on: Mapped[date | None] = mapped_column(Date)
    pin_hash: Mapped[str | None] = mapped_column(String(128))
    wants_meeting_reminder: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    club: Mapped[Club] = relationship(back_populates="members")
    roles: Mapped[list[MemberRole]] = relationship(
        back_populates="member", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def role_set(self) -> frozenset[Role]:
        return frozenset(Role(r.role) for r in self.roles)

    @property
    def first_name(self) -> str:
        """The given name, which Vietnamese and Jrai put last."""
        return given_name(self.full_name)

    @property
    def active(self) -> bool:
        return self.status == MemberStatus.ACTIVE


class MemberRole(Base):
    __tablename__ = "member_roles"
    member_id: Mapped[int] = mapped_column(
        ForeignKey("members.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(24), primary_key=True)
    member: Mapped[Member] = relationship(back_populates="roles")


class MemberPhoneHistory(Base):
    """Every phone a member has used, so old messages stay attributable."""

    __tablename__ = "member_phone_history"
    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    phone: Mapped[str] = mapped_column(String(16), index=True)
    valid_from: Mapped[datetime] = mapped_column(default=utcnow)
    valid_to: Mapped[datetime | None] = mapped_column()


class Supervisor(Base):
    __tablename__ = "supervisors"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160))
    phone: Mapped[str] = mapped_column(String(16), unique=True)
    language: Mapped[str] = mapped_column(String(16), default="vi")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    areas: Mapped[list[SupervisorArea]] = relationship(
        back_populates="supervisor", cascade="all, delete-orphan", lazy="selectin"
    )


class SupervisorArea(Base):
    """One piece of a supervisor's area: a whole province, a commune, or one club."""

    __tablename__ = "supervisor_areas"
    __table_args__ = (
        CheckConstraint(
            "(kind = 'province' AND province_code IS NOT NULL)"
            " OR (kind = 'commune' AND commune_code IS NOT NULL)"
            " OR (kind = 'club' AND club_id IS NOT NULL)",
            name="area_target",
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    supervisor_id: Mapped[int] = mapped_column(
        ForeignKey("supervisors.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(8), default=AreaKind.COMMUNE)
    province_code: Mapped[str | None] = mapped_column(ForeignKey("provinces.code"))
    commune_code: Mapped[str | None] = mapped_column(ForeignKey("communes.code"))
    club_id: Mapped[int | None] = mapped_column(ForeignKey("clubs.id", ondelete="CASCADE"))
    supervisor: Mapped[Supervisor] = relationship(back_populates="areas")
