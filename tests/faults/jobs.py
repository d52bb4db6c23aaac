"""Jobs the fault tests enqueue by dotted path into real worker processes."""

from __future__ import annotations

import os
import time

from sqlalchemy import func, select

import runtime
from models import db
from models.clubs import Club


def count_clubs() -> int:
    """Any database work: leaves a connection in the worker's pool."""
    with db.session_scope() as s:
        return int(s.scalar(select(func.count(Club.id))) or 0)


def hold_club_lock(club_id: int, flag: str, seconds: float) -> None:
    """Lock a club's row, say so in Redis, then stay inside the transaction."""
    with db.session_scope() as s:
        s.execute(select(Club.id).where(Club.id == club_id).with_for_update())
        runtime.redis().set(flag, os.getpid())
        time.sleep(seconds)
