"""Short report references: 4 characters, no 0/O/1/I, unique within a club."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.records import Report

ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def random_ref() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(4))


def issue_ref(session: Session, club_id: int, attempts: int = 20) -> str:
    """A reference not yet used in the club (the unique constraint backs this check)."""
    for _ in range(attempts):
        ref = random_ref()
        taken = session.scalar(
            select(Report.id).where(Report.club_id == club_id, Report.ref == ref)
        )
        if taken is None:
            return ref
    raise RuntimeError(f"no free reference after {attempts} attempts")


def normalize_ref(text: str) -> str | None:
    """A typed reference in its stored form, or None if it cannot be one."""
    ref = text.strip().lstrip("#").upper()
    if len(ref) != 4 or any(c not in ALPHABET for c in ref):
        return None
    return ref
