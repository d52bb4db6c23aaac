"""Provinces and communes by their 2025 codes; a club's older names as history."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.db import Base


class Province(Base):
    __tablename__ = "provinces"
    code: Mapped[str] = mapped_column(String(2), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))


class Commune(Base):
    __tablename__ = "communes"
    code: Mapped[str] = mapped_column(String(5), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    province_code: Mapped[str] = mapped_column(ForeignKey("provinces.code"), index=True)
