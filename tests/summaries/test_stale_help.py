"""Help requests still open after 48 hours are named in the supervisor's weekly SMS."""

from __future__ import annotations

from datetime import date

import time_machine
from sqlalchemy import select

from menus.clock import utcnow
from models.console import close_alert
from models.enums import OutboundKind
from models.messages import OutboundMessage
from models.records import HelpRequest
from tests.factories import ensure_place, make_board_club
from tests.summaries import builders as b
from tests.summaries.conftest import SUP_EN_PHONE, SUP_PHONE, Area
from workers import summaries as jobs


def weekly(session) -> dict[str, str]:
    session.expire_all()
    rows = session.scalars(
        select(OutboundMessage).where(OutboundMessage.kind == OutboundKind.SUMMARY)
    )
    return {r.to: r.text for r in rows}


@time_machine.travel("2026-11-30 07:30:00+07:00", tick=False)
def test_only_requests_open_for_48_hours_in_the_area_are_named(session, area: Area, rt):
    b.help_request(session, area.k03, 9, date(2026, 11, 29))  # a day old: not yet
    b.help_request(session, area.k03, 8, date(2026, 11, 20))  # closed since: not named
    closed = session.scalars(select(HelpRequest).order_by(HelpRequest.id.desc())).first()
    close_alert(session, "help", closed.id, "Le Van Hung", "da den", now=utcnow())
    ensure_place(session, "01", "Thành phố Hà Nội")
    other = make_board_club(session, "K99", members=12)  # outside every supervisor's area
    other.commune_code = None
    other.province_code = "01"
    b.help_request(session, other, 11, date(2026, 11, 1))
    session.commit()

    assert jobs.weekly_supervisor_summaries() == 3
    texts = weekly(session)
    assert "nho giup qua 48 gio: K12 TV32." in texts[SUP_PHONE]
    assert "K03 TV9" not in texts[SUP_PHONE] and "K03 TV8" not in texts[SUP_PHONE]
    assert "K99" not in texts[SUP_PHONE]
    assert "help asked over 48 h ago: member 32 of K12" in texts[SUP_EN_PHONE]


def test_one_statement_finds_them_for_every_supervisor(session, area: Area):
    from sqlalchemy import event

    seen: list[str] = []
    bind = session.get_bind()

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    event.listen(bind, "before_cursor_execute", count)
    try:
        found = jobs.stale_help_requests(session, utcnow())
    finally:
        event.remove(bind, "before_cursor_execute", count)
    assert len(seen) == 1, seen
    assert found[area.sup.id] == [("K12", 32)]
    assert found[area.sup_province.id] == [("K12", 32)]
