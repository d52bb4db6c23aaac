"""Closing the loop: a help request or red alert marked handled (who, when, a note); the member
who asked is told by SMS in their language; member pages are audited (Decree 13/2023)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from models import db
from models.clubs import Member
from models.console import (
    AlertHandling,
    AlertKind,
    AlreadyHandled,
    ConsoleAudit,
    close_alert,
    open_alerts,
)
from models.enums import OutboundKind, RequestStatus
from models.messages import OutboundMessage
from models.records import HealthReading, HelpRequest
from tests.console.conftest import World
from tests.console.support import csrf, login
from tests.factories import MEMBER_PHONE
from tests.summaries.conftest import SUP_PHONE, TODAY


def _help_of(session: Any, world: World, number: int) -> HelpRequest:
    member = session.scalar(
        select(Member).where(Member.club_id == world.area.k12.id, Member.number == number)
    )
    return session.scalar(select(HelpRequest).where(HelpRequest.member_id == member.id))


def test_close_alert_tells_the_member_in_their_language(session: Any, world: World) -> None:
    req = _help_of(session, world, 12)
    area = [world.area.k12.id]
    assert {(a.kind, a.id) for a in open_alerts(session, area, TODAY)} >= {("help", req.id)}
    with pytest.raises(LookupError):  # outside the caller's clubs
        close_alert(session, "help", req.id, "X", None, club_ids=[world.other.id])
    [out_id] = close_alert(
        session,
        AlertKind.HELP,
        req.id,
        "Le Van Hung",
        "Chi Lan da den",
        outcome="came",
        club_ids=area,
    )
    out = session.get(OutboundMessage, out_id)
    assert out.to == MEMBER_PHONE and out.kind == OutboundKind.CONFIRMATION
    assert out.language == "vi" and "TV12" in out.text and "da duoc giai quyet" in out.text
    assert out.text.isascii()
    assert req.status == RequestStatus.DONE
    handling = session.scalar(select(AlertHandling).where(AlertHandling.help_request_id == req.id))
    assert (handling.handled_by, handling.note, handling.outcome, handling.outbound_id) == (
        "Le Van Hung",
        "Chi Lan da den",
        "came",
        out_id,
    )
    with pytest.raises(AlreadyHandled):
        close_alert(session, "help", req.id, "Someone else", None)
    assert ("help", req.id) not in {(a.kind, a.id) for a in open_alerts(session, area, TODAY)}


def test_an_english_member_is_told_in_english(session: Any, world: World) -> None:
    req = _help_of(session, world, 12)
    session.get(Member, req.member_id).language = "en"
    [out_id] = close_alert(session, "help", req.id, "Anna", None, outcome="coming")
    assert session.get(OutboundMessage, out_id).text == (
        "Club K12: the help request of member 12 was received. Someone will visit soon."
    )


def test_a_red_alert_is_closed_without_an_sms(session: Any, world: World) -> None:
    reading = session.scalar(
        select(HealthReading).where(
            HealthReading.club_id == world.area.k12.id, HealthReading.alert == "red"
        )
    )
    assert close_alert(session, "red", reading.id, "Le Van Hung", "Da dua di kham") == []
    assert session.scalar(select(AlertHandling).where(AlertHandling.reading_id == reading.id))
    assert reading.alert == "red"  # the reading stays what it was
    with pytest.raises(AlreadyHandled):
        close_alert(session, "red", reading.id, "X", None)


def test_the_page_closes_it_and_the_sms_is_sent(
    console: Any, world: World, run_jobs: Any, channel: Any
) -> None:
    client = console.test_client()
    login(client, SUP_PHONE)
    with db.session_scope() as s:
        req_id = _help_of(s, world, 12).id
    page = client.get("/console/alerts").get_data(as_text=True)
    assert f'id="alert-help-{req_id}"' in page
    resp = client.post(
        f"/console/alerts/help/{req_id}/close",
        data={
            "csrf_token": csrf(client, "/console/alerts"),
            "note": "Chi Lan se den chieu nay",
            "outcome": "coming",
        },
    )
    assert resp.status_code == 302 and resp.location.endswith("/console/alerts")
    run_jobs()
    [sms] = [m for m in channel.outbox if m["to"] == MEMBER_PHONE]
    assert "da duoc tiep nhan" in sms["text"] and "TV12" in sms["text"]
    page = client.get("/console/alerts").get_data(as_text=True)
    assert "Đã đánh dấu xử lý. Đã gửi SMS cho hội viên." in page
    assert "Chi Lan se den chieu nay" in page
    # Twice: said so, nothing sent again.
    client.post(
        f"/console/alerts/help/{req_id}/close",
        data={"csrf_token": csrf(client, "/console/alerts"), "outcome": "came"},
    )
    run_jobs()
    assert len([m for m in channel.outbox if m["to"] == MEMBER_PHONE]) == 1


def test_member_pages_are_audited(console: Any, world: World) -> None:
    client = console.test_client()
    login(client, SUP_PHONE)
    with db.session_scope() as s:
        member = s.scalar(
            select(Member).where(Member.club_id == world.area.k12.id, Member.number == 15)
        )
    page = client.get(f"/console/members/{member.id}").get_data(as_text=True)
    assert "185/100" in page and 'id="bp-data"' in page
    client.get(f"/console/members/{world.other_member.id}")  # not in the area: 404, no row
    with db.session_scope() as s:
        rows = s.scalars(select(ConsoleAudit).where(ConsoleAudit.action == "view_member")).all()
        assert [(r.actor_kind, r.actor_name, r.member_id, r.club_id) for r in rows] == [
            ("supervisor", "Le Van Hung", member.id, world.area.k12.id)
        ]


def test_english_with_one_click(console: Any, world: World) -> None:
    client = console.test_client()
    login(client, SUP_PHONE)
    assert "Tổng quan" in client.get("/console/").get_data(as_text=True)
    resp = client.post(
        "/console/lang",
        data={"csrf_token": csrf(client, "/console/clubs"), "lang": "en", "next": "/console/clubs"},
    )
    assert resp.location.endswith("/console/clubs")
    page = client.get("/console/clubs").get_data(as_text=True)
    assert '<html lang="en">' in page and "Clubs" in page and "Tiếng Việt" in page
    for path in ("/console/", "/console/alerts", f"/console/clubs/{world.area.k12.id}"):
        assert client.get(path).status_code == 200
