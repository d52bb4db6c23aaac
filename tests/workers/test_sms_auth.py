"""Who may send what (SMS-COMMANDS.md), as a matrix: every role x every command, in the sender's
own club and in another club. Each cell is one SMS through the real inbound job; a cell is either
recorded (a row appears and the reply is OK), answered, or refused with the exact reason."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
import time_machine
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from models import db
from models.admin import add_supervisor, set_roles
from models.clubs import Club
from models.enums import BOARD_ROLES, AlertLevel, Role
from models.inbox import store_inbound
from models.ledger import Loan
from models.messages import OutboundMessage
from models.records import Activity, HealthReading, Report
from tests.factories import SECRETARY_PHONE, make_board_club
from workers.jobs import process_inbound

ACTOR = "+84915550025"
NOW = "2026-11-21 09:00:00+07:00"
# Role names as models.enums defines them; "member" is a member without a role.
BOARD = {role.value for role in BOARD_ROLES}
HEALTH, HOMECARE = Role.HEALTH_VOLUNTEER.value, Role.HOMECARE_VOLUNTEER.value
MEMBERS = BOARD | {HEALTH, HOMECARE, "member"}
ROLES = [*sorted(MEMBERS), "supervisor", "unknown"]

UNREGISTERED = "So nay chua dang ky voi CLB nao. {*}"
NOT_ALLOWED = "Loi: {what} - ban khong co quyen gui lenh nay"
ONLY_BC = "Loi: {what} - giam sat vien chi dung lenh BC"


@dataclass(frozen=True)
class Cmd:
    """One column of the matrix: what is sent, where it lands, who may send it."""

    name: str
    text: str
    table: str | None  # the table a recorded command adds a row to; None for answers
    allowed: frozenset[str]
    what: str  # the command as a refusal names it
    refused: str = NOT_ALLOWED


def _cmd(name: str, text: str, table: str | None, allowed: set[str], what: str, **kw: Any) -> Cmd:
    return Cmd(name, text, table, frozenset(allowed), what, **kw)


COMMANDS = [
    _cmd("DD", "DD 1-5", "attendance", BOARD, "DD"),
    _cmd("VAY", "VAY 13 2tr 10", "loans", BOARD, "VAY 13"),
    _cmd("TRA", "TRA 12 100k", "repayments", BOARD, "TRA"),
    _cmd("HA", "HA 12 150/95", "health_readings", BOARD | {HEALTH}, "HA"),
    _cmd("HA own", "HA 150/95", "health_readings", MEMBERS, "HA"),
    _cmd("CN", "CN 12 52", "health_readings", BOARD | {HEALTH}, "CN"),
    _cmd("THAM", "THAM 12 hoi tham", "home_visits", BOARD | {HOMECARE}, "THAM 12"),
    _cmd("MANG", "MANG 7 30", "activities", BOARD, "MANG"),
    _cmd("GOP", "GOP 12 100k", "fund_contributions", BOARD, "GOP 12"),
    _cmd("TV", "TV 26 0915550026 Lo Thi Mai", "members", BOARD, "TV 26"),
    _cmd(
        "HUY other's",
        "HUY {sec_ref}",
        None,
        BOARD,
        "HUY",
        refused="Loi: HUY - ma {sec_ref} khong phai ban gui",
    ),
    _cmd("HUY own", "HUY {own_ref}", None, MEMBERS, "HUY"),
    _cmd("HD", "HD", None, MEMBERS | {"supervisor"}, "HD"),
    _cmd("BC", "BC", None, BOARD | {"supervisor"}, "BC"),
    _cmd("NO other", "NO 12", None, BOARD, "NO 12", refused="Loi: NO 12 - chi xem duoc cua minh"),
    _cmd("NO", "NO", None, MEMBERS, "NO"),
    _cmd("SK", "SK", None, MEMBERS, "SK"),
    _cmd("QUY", "QUY", None, MEMBERS, "QUY"),
    _cmd("LICH", "LICH", None, MEMBERS, "LICH"),
    _cmd("NHO", "NHO om", "help_requests", MEMBERS, "NHO"),
    _cmd("NN", "NN VI", None, MEMBERS | {"supervisor"}, "NN"),
    _cmd(
        "XONG",
        "XONG {alert_ref} da den",
        "alert_handlings",
        BOARD | {HEALTH, HOMECARE, "supervisor"},
        "XONG",
    ),
]


@dataclass
class World:
    k12: Club
    k13: Club
    refs: dict[str, str]
    traveller: Any


@pytest.fixture
def world(session: Session, rt: Any, request: pytest.FixtureRequest) -> Iterator[World]:
    """K12 with the actor (member 25, holding the role under test), K13 next door, member 12
    owing money in both, one report sent by the secretary and one by the actor."""
    role = request.node.callspec.params["role"]
    with time_machine.travel(NOW, tick=False) as traveller:
        k12 = make_board_club(session, members=25)
        k13 = make_board_club(session, "K13", members=13)
        if role in MEMBERS:
            actor = next(m for m in k12.members if m.number == 25)
            actor.phone = ACTOR
            set_roles(session, actor, [] if role == "member" else [Role(role)])
        elif role == "supervisor":
            add_supervisor(session, name="Ksor Y Ben", phone=ACTOR, club_ids=[k12.id])
        for club in (k12, k13):
            m12 = next(m for m in club.members if m.number == 12)
            session.add(
                Loan(
                    club_id=club.id, member_id=m12.id, principal_vnd=2_000_000,
                    interest_pct_month=0, interest_method="flat", term_months=10,
                    disbursed_on=date(2026, 9, 21),
                )
            )  # fmt: skip
        refs = {
            "sec_ref": _report(session, k12, SECRETARY_PHONE, "SEC2"),
            "own_ref": _report(session, k12, ACTOR, "QWN2"),
            "alert_ref": _red_alert(session, k12, "ALR2"),
        }
        session.flush()
        yield World(k12, k13, refs, traveller)


def _report(session: Session, club: Club, phone: str, ref: str) -> str:
    """A stored report (an activity) sent earlier from `phone`, with a known reference."""
    report = Report(club_id=club.id, ref=ref, source_key=f"seed:{ref}", reporter_phone=phone)
    session.add(report)
    session.flush()
    session.add(
        Activity(club_id=club.id, area=2, held_on=date(2026, 11, 20), people=5,
                 report_id=report.id)
    )  # fmt: skip
    return ref


def _red_alert(session: Session, club: Club, ref: str) -> str:
    """A red reading of member 12, reported earlier by the secretary, with a known reference."""
    report = Report(
        club_id=club.id, ref=ref, source_key=f"seed:{ref}", reporter_phone=SECRETARY_PHONE
    )
    session.add(report)
    session.flush()
    m12 = next(m for m in club.members if m.number == 12)
    session.add(
        HealthReading(
            club_id=club.id, member_id=m12.id, taken_on=date(2026, 11, 21), systolic=190,
            diastolic=115, grade="grade_3", alert=AlertLevel.RED.value, report_id=report.id,
        )
    )  # fmt: skip
    return ref


def _count(session: Session, table: str) -> int:
    return int(session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def send(session: Session, text: str, n: int) -> list[str]:  # n: a fresh provider id
    """Store the SMS as the webhook does and run the inbound job; the replies to the actor."""
    with db.session_scope() as s:
        msg_id, _ = store_inbound(
            s, provider="africastalking", provider_id=f"auth-{n}", sender=ACTOR, text=text
        )
    process_inbound(msg_id)
    session.expire_all()
    return list(
        session.scalars(
            select(OutboundMessage.text).where(
                OutboundMessage.inbound_id == msg_id, OutboundMessage.to == ACTOR
            )
        )
    )


def fill(text: str, refs: dict[str, str]) -> str:
    """The text with "{sec_ref}", "{own_ref}" and "{alert_ref}" put in."""
    for name, ref in refs.items():
        text = text.replace(f"{{{name}}}", ref)
    return text


Expected = tuple[str | None, str | None]


def expectation(role: str, cmd: Cmd, scope: str, first: bool) -> Expected:
    """(table that must gain a row, exact reply pattern or None for "any answer, not an error";
    "" for no reply at all)."""
    if role == "unknown":
        return None, UNREGISTERED if first else ""
    if scope == "other":
        return (
            None,
            f"Khong co CLB K13 cho so nay. CLB cua ban: {'-' if role == 'supervisor' else 'K12'}",
        )
    if role in cmd.allowed:
        return cmd.table, None
    if role == "supervisor":
        return None, ONLY_BC.replace("{what}", cmd.what)
    return None, cmd.refused.replace("{what}", cmd.what)


def _cancelled(session: Session) -> int:
    return int(
        session.scalar(
            select(func.count()).select_from(Report).where(Report.cancelled_at.is_not(None))
        )
        or 0
    )


def check_cell(session: Session, world: World, cmd: Cmd, text: str, want: Expected) -> str | None:
    """Send one cell's SMS; what is wrong with the outcome, or None."""
    table, reply = want
    rows, reports, cancelled = (
        _count(session, table) if table else 0,
        _count(session, "reports"),
        _cancelled(session),
    )
    got = send(session, text, len(world.refs) + _count(session, "inbound_messages"))
    if reply == "":
        return f"expected no reply, got {got}" if got else None
    if reply is not None:  # refused: this exact reply and nothing stored
        want_text = fill(reply, world.refs)
        pattern = re.escape(want_text).replace(re.escape("{*}"), ".*")
        if len(got) != 1 or not re.fullmatch(pattern, got[0], re.DOTALL):
            return f"expected {want_text!r}, got {got}"
        return "refused, yet a report was stored" if _count(session, "reports") != reports else None
    if len(got) != 1 or got[0].startswith(("Loi", "Khong", "So nay")):
        return f"expected it to go through, got {got}"
    if table and _count(session, table) <= rows:
        return f"nothing added to {table}"
    if cmd.name.startswith("HUY") and _cancelled(session) != cancelled + 1:
        return "the report was not cancelled"
    return None


@pytest.mark.parametrize("scope", ["own", "other"])
@pytest.mark.parametrize("role", ROLES)
def test_authorisation_matrix(session: Session, world: World, role: str, scope: str) -> None:
    wrong = []
    for n, cmd in enumerate(COMMANDS):
        world.traveller.shift(61)
        text = fill(cmd.text, world.refs)
        if scope == "other":
            text = f"CLB K13 {text}"
        problem = check_cell(session, world, cmd, text, expectation(role, cmd, scope, n == 0))
        if problem:
            wrong.append(f"{role:>18} {scope:5} {cmd.name:12} {text!r}: {problem}")
    assert not wrong, "\n" + "\n".join(wrong)
