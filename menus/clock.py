"""Vietnam time for people, UTC for storage."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

VN_TZ = timezone(timedelta(hours=7), "ICT")


def utcnow() -> datetime:
    """Aware UTC now (one place to freeze in tests)."""
    return datetime.now(UTC)


def to_vn(moment: datetime) -> datetime:
    """An aware or naive-UTC datetime as Vietnam local time."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(VN_TZ)


def vn_today(now: datetime | None = None) -> date:
    """Today's date in Vietnam."""
    return to_vn(now or utcnow()).date()
