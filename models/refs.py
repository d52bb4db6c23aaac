"""Short report references: 4 characters, no 0/O/1/I, unique within a club (the format is
menus.grammar's REF_ALPHABET and REF_LENGTH, the one definition the parser reads them with)."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from menus.grammar import REF_ALPHABET, REF_LENGTH
from models.records import Report

ALPHABET = REF_ALPHABET  # also for other short codes (privacy erasure codes)


def random_ref() -> str:
    return "".join(secrets.choice(REF_ALPHABET) for _ in range(REF_LENGTH))


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
