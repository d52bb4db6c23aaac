"""The outbox: every SMS the product sends is a row first; sends and reports update it."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from menus.clock import utcnow
from models.enums import OutboundKind, OutboundStatus
from models.messages import OutboundMessage

CHUNK = 500


def queue_message(
    session: Session,
    *,
    to: str,
    text: str,
    kind: OutboundKind,
    language: str = "vi",
    club_id: int | None = None,
    inbound_id: int | None = None,
    dedupe_key: str | None = None,
) -> int | None:
    """Add an outbound row; returns its id, or None if the dedupe key was already used.

    The caller enqueues the send after its transaction commits (see workers.sending).
    """
    values: dict[str, Any] = dict(
        to=to,
        text=text,
        kind=kind.value,
        language=language,
        club_id=club_id,
        inbound_id=inbound_id,
        dedupe_key=dedupe_key,
        status=OutboundStatus.QUEUED.value,
        created_at=utcnow(),
        attempts=0,
    )
    if dedupe_key is None:
        row = OutboundMessage(**values)
        session.add(row)
        session.flush()
        return row.id
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = (
        insert(OutboundMessage)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(OutboundMessage.id)
    )
    return session.execute(stmt).scalar()


def queue_messages(session: Session, messages: Sequence[Mapping[str, Any]]) -> list[int]:
    """Many outbound rows in a few statements (the scheduled jobs); known dedupe keys are skipped.

    Each message is a mapping with to, text, kind and optionally language, club_id, dedupe_key.
    Plain INSERTs are cached by SQLAlchemy where ON CONFLICT is not, so a month's 20,000 club
    reports cost seconds; the period claim (JobRun) keeps two runs from racing here.
    """
    keys = [m["dedupe_key"] for m in messages if m.get("dedupe_key")]
    taken: set[str] = set()
    for i in range(0, len(keys), CHUNK):
        taken.update(
            session.scalars(
                select(OutboundMessage.dedupe_key).where(
                    OutboundMessage.dedupe_key.in_(keys[i : i + CHUNK])
                )
            )
        )
    now = utcnow()
    rows: list[dict[str, Any]] = []
    for m in messages:
        key = m.get("dedupe_key")
        if key is not None:
            if key in taken:
                continue
            taken.add(key)
        rows.append(
            {
                "to": m["to"],
                "text": m["text"],
                "kind": OutboundKind(m["kind"]).value,
                "language": m.get("language") or "vi",
                "club_id": m.get("club_id"),
                "inbound_id": m.get("inbound_id"),
                "dedupe_key": key,
                "status": OutboundStatus.QUEUED.value,
                "created_at": now,
                "attempts": 0,
            }
        )
    table = OutboundMessage.__table__
    ids: list[int] = []
    for i in range(0, len(rows), CHUNK):
        ids.extend(session.scalars(insert(table).returning(table.c.id), rows[i : i + CHUNK]))
    return ids


def apply_delivery_report(
    session: Session,
    *,
    provider_id: str,
    status: str,
    delivered: bool,
    failed: bool,
    failure_reason: str | None,
    should_replace: Callable[[str | None, str], bool],
) -> bool:
    """Update the row a delivery report names; False if no row has that provider id.

    should_replace decides by the provider's status order, so a repeated or late, less final
    report changes nothing.
    """
    row = session.scalar(select(OutboundMessage).where(OutboundMessage.provider_id == provider_id))
    if row is None:
        return False
    if not should_replace(row.provider_status, status):
        return True
    row.provider_status = status
    if delivered:
        row.status = OutboundStatus.DELIVERED
        row.delivered_at = row.delivered_at or utcnow()
        row.failure_reason = None
    elif failed:
        row.status = OutboundStatus.FAILED
        row.failure_reason = (failure_reason or status)[:200]
    return True
