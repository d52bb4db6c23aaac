"""The message log the console searches: inbound and outbound messages by phone, club, status and
date, newest first, a page at a time (keyset on the id, so page 500 costs what page 1 does), and
one inbound message with what came of it: its commands as parsed, the reports it recorded (with
their references and rows), the audit entries they left, and the replies.

Scope: an administrator limited to a province sees the messages of its clubs, and those not yet
attributed to a club (a message whose job failed) from or to a phone of one of its members.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, true, union
from sqlalchemy.orm import Session

from menus.clock import VN_TZ
from models.clubs import Club, Member, MemberPhoneHistory
from models.ledger import Loan, Repayment
from models.messages import InboundMessage, OutboundMessage
from models.privacy import phone_forms
from models.records import (
    Activity,
    AuditEntry,
    FundContribution,
    HealthReading,
    HelpRequest,
    HomeVisit,
    Meeting,
    Report,
)

PAGE = 50
IN, OUT = "in", "out"


@dataclass(frozen=True)
class MessageFilter:
    direction: str = IN
    phone: str | None = None  # E.164
    club_id: int | None = None
    status: str | None = None
    since: date | None = None  # Vietnam days, inclusive
    until: date | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "direction": self.direction,
            "phone": self.phone,
            "club_id": self.club_id,
            "status": self.status,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
        }

    @staticmethod
    def from_dict(raw: Any) -> MessageFilter:
        if not isinstance(raw, dict):
            return MessageFilter()
        try:
            return MessageFilter(
                direction=OUT if raw.get("direction") == OUT else IN,
                phone=raw.get("phone") or None,
                club_id=int(raw["club_id"]) if raw.get("club_id") else None,
                status=raw.get("status") or None,
                since=date.fromisoformat(raw["since"]) if raw.get("since") else None,
                until=date.fromisoformat(raw["until"]) if raw.get("until") else None,
            )
        except (TypeError, ValueError):
            return MessageFilter()


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, VN_TZ)


def _scope_phones(club_ids: list[int]) -> Any:
    """Every phone (as stored) a member of the clubs has or had."""
    return union(
        select(Member.phone.label("phone")).where(
            Member.club_id.in_(club_ids), Member.phone.is_not(None)
        ),
        select(MemberPhoneHistory.phone.label("phone"))
        .join(Member, Member.id == MemberPhoneHistory.member_id)
        .where(Member.club_id.in_(club_ids)),
    ).subquery("scope_phones")


def inbound_scope(club_ids: Iterable[int] | None) -> Any:
    if club_ids is None:
        return true()
    ids = sorted(club_ids)
    phones = _scope_phones(ids)
    return or_(
        InboundMessage.club_id.in_(ids),
        and_(InboundMessage.club_id.is_(None), InboundMessage.sender.in_(select(phones.c.phone))),
    )


def outbound_scope(club_ids: Iterable[int] | None) -> Any:
    if club_ids is None:
        return true()
    ids = sorted(club_ids)
    phones = _scope_phones(ids)
    return or_(
        OutboundMessage.club_id.in_(ids),
        and_(OutboundMessage.club_id.is_(None), OutboundMessage.to.in_(select(phones.c.phone))),
    )


@dataclass(frozen=True)
class LogRow:
    id: int
    at: datetime
    phone: str
    text: str
    status: str
    kind: str  # channel (sms/ussd) for inbound, kind (reply, alert...) for outbound
    note: str | None
    club_code: str | None


def search(
    session: Session,
    club_ids: Iterable[int] | None,
    f: MessageFilter,
    *,
    before: int | None = None,
    limit: int = PAGE,
) -> tuple[list[LogRow], int | None]:
    """A page of messages, newest first; and the id to pass as `before` for the next page."""
    inbound = f.direction != OUT
    model: Any = InboundMessage if inbound else OutboundMessage
    phone_col = InboundMessage.sender if inbound else OutboundMessage.to
    at_col = InboundMessage.received_at if inbound else OutboundMessage.created_at
    note_col = InboundMessage.note if inbound else OutboundMessage.failure_reason
    kind_col = InboundMessage.channel if inbound else OutboundMessage.kind
    where = [inbound_scope(club_ids) if inbound else outbound_scope(club_ids)]
    if f.phone:
        where.append(phone_col.in_(sorted(phone_forms(f.phone))))
    if f.club_id is not None:
        where.append(model.club_id == f.club_id)
    if f.status:
        where.append(model.status == f.status)
    if f.since:
        where.append(at_col >= _start_of(f.since))
    if f.until:
        where.append(at_col < _start_of(f.until + timedelta(days=1)))
    if before is not None:
        where.append(model.id < before)
    q = (
        select(model.id, at_col, phone_col, model.text, model.status, kind_col, note_col, Club.code)
        .outerjoin(Club, Club.id == model.club_id)
        .where(*where)
        .order_by(model.id.desc())
        .limit(limit + 1)
    )
    rows = [LogRow(*r) for r in session.execute(q)]
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].id if more and rows else None)


def in_scope(session: Session, direction: str, message_id: int, club_ids: Any) -> bool:
    if direction == IN:
        q = select(InboundMessage.id).where(
            InboundMessage.id == message_id, inbound_scope(club_ids)
        )
    else:
        q = select(OutboundMessage.id).where(
            OutboundMessage.id == message_id, outbound_scope(club_ids)
        )
    return session.scalar(q) is not None


@dataclass
class Recorded:
    report: Report
    rows: dict[str, int]  # kind of row -> how many the report holds
    audit: list[AuditEntry] = field(default_factory=list)


RECORDED = {
    "meetings": Meeting, "loans": Loan, "repayments": Repayment, "readings": HealthReading,
    "visits": HomeVisit, "help_requests": HelpRequest, "activities": Activity,
    "contributions": FundContribution,
}  # fmt: skip


@dataclass
class InboundDetail:
    msg: InboundMessage
    club: Club | None
    parsed: list[tuple[bool, str, str]]  # understood, keyword or error code, the text
    recorded: list[Recorded]
    replies: list[OutboundMessage]


def parsed_items(msg: InboundMessage) -> list[tuple[bool, str, str]]:
    """The message's commands as the grammar reads them (on the day it arrived)."""
    from menus import grammar
    from menus.clock import to_vn

    if len(msg.text) > grammar.MAX_PARSED_CHARS:
        return []
    parsed = grammar.parse(msg.text, to_vn(msg.received_at).date())
    out = []
    for item in parsed.items:
        if isinstance(item, grammar.Command):
            out.append((True, str(item.keyword), item.raw))
        else:
            out.append((False, str(item.code), item.raw))
    return out


def inbound_detail(session: Session, inbound_id: int) -> InboundDetail:
    msg = session.get(InboundMessage, inbound_id)
    if msg is None:
        raise LookupError(inbound_id)
    reports = session.scalars(
        select(Report).where(Report.inbound_id == inbound_id).order_by(Report.id)
    ).all()
    recorded = []
    for report in reports:
        counts = {}
        for name, model in RECORDED.items():
            n = session.scalar(
                select(func.count()).select_from(model).where(model.report_id == report.id)
            )
            if n:
                counts[name] = int(n)
        audit = session.scalars(
            select(AuditEntry)
            .where(
                or_(
                    and_(AuditEntry.entity == "report", AuditEntry.entity_id == report.id),
                    AuditEntry.detail == f"report {report.id}",
                    AuditEntry.detail.like(f'%"by_report": {report.id},%'),
                )
            )
            .order_by(AuditEntry.id)
        ).all()
        recorded.append(Recorded(report, counts, list(audit)))
    replies = session.scalars(
        select(OutboundMessage)
        .where(OutboundMessage.inbound_id == inbound_id)
        .order_by(OutboundMessage.id)
    ).all()
    return InboundDetail(
        msg=msg,
        club=session.get(Club, msg.club_id) if msg.club_id else None,
        parsed=parsed_items(msg),
        recorded=recorded,
        replies=list(replies),
    )
