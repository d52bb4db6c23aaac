"""The worker's table of SMS commands and the recorded tables: every argument class has a recorder
and a permission, in the family of its parser; every recorded table is voided by HUY and counted
by the summaries. A piece forgotten when adding a command or a recorded table fails here."""

from __future__ import annotations

import inspect
from datetime import date
from typing import Any, get_args, get_type_hints

import pytest
import time_machine
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from menus.clock import utcnow
from menus.grammar import ARG_CLASSES, COMMANDS, Args
from models import db
from models.db import Base
from models.inbox import store_inbound
from models.messages import OutboundMessage
from models.records import Report, recorded_tables
from models.stats import DATED_RECORDS, reported_club_ids
from tests.conversations.support import give_loan
from tests.factories import SECRETARY_PHONE, make_board_club
from workers.jobs import process_inbound
from workers.sms import HANDLERS, handler_table
from workers.sms.core import Allowed, Handler


def test_every_argument_class_has_a_handler() -> None:
    assert set(HANDLERS) == set(ARG_CLASSES) == set(get_args(Args))


@pytest.mark.parametrize("spec", COMMANDS, ids=lambda spec: spec.keyword)
def test_a_handler_records_its_own_class_and_says_who_may(spec: Any) -> None:
    handler = HANDLERS[spec.args]
    assert handler.args is spec.args
    assert isinstance(handler.allowed, Allowed)
    assert get_type_hints(handler.record)["args"] is spec.args, "typed on the argument class"
    family = inspect.getmodule(handler.record)
    assert family is not None and handler in family.HANDLERS
    parsed_in = inspect.getmodule(spec.parse)
    assert parsed_in is not None
    assert family.__name__.rsplit(".", 1)[1] == parsed_in.__name__.rsplit(".", 1)[1]


def test_a_class_handled_twice_fails_loudly() -> None:
    first = next(iter(HANDLERS.values()))
    second = Handler(first.args, first.record, Allowed(None))
    with pytest.raises(ValueError, match="has two handlers"):
        handler_table([first], [second])


def test_every_table_with_report_and_void_columns_is_a_recorded_table() -> None:
    """A new table recorded under reports (report_id, voided_at) that forgot RecordedRow would be
    neither voided by HUY nor counted: it fails here."""
    recorded = {t.__tablename__ for t in recorded_tables()}
    voidable = {
        name
        for name, table in Base.metadata.tables.items()
        if {"report_id", "voided_at"} <= set(table.columns.keys())
    }
    assert voidable == recorded
    for table in recorded_tables():
        assert table.counted_on in table.__table__.columns, table  # type: ignore[attr-defined]
    assert {t for t, _ in DATED_RECORDS} == {t for t in recorded_tables() if t.counted_by_day()}


# One SMS that records a row in every recorded table: a new recorded table needs a command here.
EVERYTHING = (
    "DD 1-5\nVAY 13 2tr 10\nTRA 13 200k\nHA 12 150/95\nCN 14 52\nTHAM 12\nMANG 7 30\n"
    "GOP 0 500k\nNHO can nguoi giup"
)


def _send(text: str, n: int) -> list[str]:
    with db.session_scope() as session:
        msg_id, _ = store_inbound(
            session, provider="africastalking", provider_id=f"reg-{n}", sender=SECRETARY_PHONE,
            text=text,
        )  # fmt: skip
    process_inbound(msg_id)
    with db.session_scope() as session:
        return list(
            session.scalars(
                select(OutboundMessage.text).where(
                    OutboundMessage.inbound_id == msg_id, OutboundMessage.to == SECRETARY_PHONE
                )
            )
        )


def _rows(session: Session, table: Any, report: Report) -> list[Any]:
    return list(session.scalars(select(table).where(table.report_id == report.id)))


def test_huy_voids_every_recorded_table_and_each_counts_in_the_summaries(
    session: Session, rt: Any
) -> None:
    with time_machine.travel("2026-11-21 09:00:00+07:00", tick=False):
        club = make_board_club(session)
        give_loan(session, club, 12)
        session.flush()
        (reply,) = _send(EVERYTHING, 1)
        assert reply.startswith("OK 9/9 #"), reply
        session.expire_all()
        report = session.scalars(select(Report)).one()
        day = date(2026, 11, 21)
        for table in recorded_tables():
            assert _rows(session, table, report), f"{table.__tablename__}: add a command above"
            # This table alone (the report cancelled, the other tables voided) counts the club.
            alone = session.begin_nested()
            report.cancelled_at = utcnow()
            for other in recorded_tables():
                if other is not table:
                    voided = update(other).where(other.report_id == report.id)
                    session.execute(voided.values(voided_at=utcnow()))
            session.flush()
            assert reported_club_ids(session, [club.id], day, day) == {club.id}, table
            alone.rollback()
        session.expire_all()
        (undone,) = _send(f"HUY {report.ref}", 2)
        assert undone.startswith(f"OK: da huy #{report.ref}"), undone
        session.expire_all()
        for table in recorded_tables():
            assert all(row.voided_at for row in _rows(session, table, report)), table
        assert reported_club_ids(session, [club.id], day, day) == set()
