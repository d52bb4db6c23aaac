"""What every command's recorder shares: the message's context, outcomes and refusals, the
Handler row (recorder and who may send it), and the lookups and checks several commands use."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Generic, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from menus.i18n import resolve_language, t
from menus.views import money
from models.clubs import Club, Member, Supervisor
from models.enums import BOARD_ROLES, MemberStatus, OutboundKind, Role
from models.messages import InboundMessage
from models.outbox import queue_message
from models.records import AuditEntry, Report
from models.refs import issue_ref

BOARD = frozenset(BOARD_ROLES)


class Refused(Exception):
    """A command that cannot be recorded, with the reason's catalog key and parameters."""

    def __init__(self, why: str, **params: Any) -> None:
        super().__init__(why)
        self.why = why
        self.params = params


class RefusedEach(Exception):
    """Every item of a list command (TRA pairs, HA readings, CN weights) refused."""

    def __init__(self, refusals: list[Refused]) -> None:
        super().__init__(", ".join(r.why for r in refusals))
        self.refusals = refusals


@dataclass
class Outcome:
    """One command's result: a fragment for the OK line, a full answer, or an error."""

    keyword: str
    fragment: str | None = None
    answer: str | None = None
    error: str | None = None
    refused: list[Refused] = field(default_factory=list)  # items of the command not recorded


@dataclass
class Ctx:
    """Everything a command handler needs about the message it came in."""

    session: Session
    msg: InboundMessage
    phone: str
    lang: str
    today: date
    club: Club | None
    mine: list[Member]  # this phone's members in the club (several on a shared phone)
    supervisor: Supervisor | None
    acting: Member | None = None  # chosen on the USSD "who are you" screen
    report: Report | None = None
    outbound: list[int] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)

    @property
    def roles(self) -> frozenset[Role]:
        members = [self.acting] if self.acting else self.mine
        return frozenset().union(*(m.role_set for m in members)) if members else frozenset()

    @property
    def is_board(self) -> bool:
        return bool(self.roles & BOARD)

    @property
    def reporter(self) -> Member | None:
        if self.acting:
            return self.acting
        ranked = sorted(
            self.mine, key=lambda m: (not (m.role_set & BOARD), not m.role_set, m.number)
        )
        return ranked[0] if ranked else None

    def tr(self, key: str, **params: Any) -> str:
        return t(self.lang, key, **params)

    def money(self, amount: int) -> str:
        return money(amount, self.lang)

    def get_report(self) -> Report:
        """The SMS's one report and reference, created by its first recorded command."""
        if self.report is None:
            assert self.club is not None
            self.report = Report(
                club_id=self.club.id,
                ref=issue_ref(self.session, self.club.id),
                source_key=f"in:{self.msg.id}",
                inbound_id=self.msg.id,
                reporter_phone=self.phone,
                reporter_member_id=self.reporter.id if self.reporter else None,
            )
            self.session.add(self.report)
            self.session.flush()
        return self.report


# ---------------------------------------------------------------------------------------------
# A command's row on the worker's side

A = TypeVar("A")


@dataclass(frozen=True)
class Allowed:
    """Who may send a command (docs/SMS-COMMANDS.md).

    roles: the club roles that may (None: any registered member of the club). supervisors: a
    supervisor may send it too, for a club of their area or (without CLB) for the whole area.
    without_club: answered without knowing the club (a phone in several clubs need not say which).
    also: a sender outside roles may still send these arguments (HA for their own readings).
    """

    roles: frozenset[Role] | None
    supervisors: bool = False
    without_club: bool = False
    also: Callable[[Ctx, Any], bool] | None = None


@dataclass(frozen=True)
class Handler(Generic[A]):
    """A command on the worker's side: its argument class, the recorder (called with the checked
    report date, today when none was written) and who may send it."""

    args: type[A]
    record: Callable[[Ctx, A, date], Outcome]
    allowed: Allowed


# ---------------------------------------------------------------------------------------------
# Shared lookups and checks


def club_member(ctx: Ctx, number: int) -> Member:
    """The club's active member with this card number (no_member / member_left otherwise)."""
    assert ctx.club is not None
    m = ctx.session.scalar(
        select(Member).where(Member.club_id == ctx.club.id, Member.number == number)
    )
    if m is None:
        raise Refused("no_member", member=number)
    if m.status != MemberStatus.ACTIVE:
        raise Refused("member_left", member=number)
    return m


def own_member(ctx: Ctx, number: int | None, keyword: str) -> Member | str:
    """The member a self-service query is about: given, or the phone's own one; on a shared phone
    without a number, the reply asking which."""
    if number is not None:
        m = club_member(ctx, number)
        if not ctx.is_board and m.id not in {x.id for x in ctx.mine}:
            raise Refused("only_self")
        return m
    if ctx.acting is not None:
        return ctx.acting
    if len(ctx.mine) == 1:
        return ctx.mine[0]
    choices = ", ".join(f"{m.number} {m.first_name}" for m in ctx.mine)
    kw = ctx.tr(f"sms.kw.{keyword.lower()}")  # "DEBT" in English
    return ctx.tr("reply.shared_phone_who", choices=choices, kw=kw, example=ctx.mine[0].number)


T = TypeVar("T")
R = TypeVar("R")


def record_each(
    ctx: Ctx, items: Iterable[T], record: Callable[[T], R]
) -> tuple[list[R], list[Refused]]:
    """Record the items one by one, each in a savepoint: a refused one leaves the others stored
    ("TRA 12 200k, 15 99tr" keeps the first pair). Raises when none could be recorded."""
    done: list[R] = []
    refused: list[Refused] = []
    for item in items:
        try:
            with ctx.session.begin_nested():
                done.append(record(item))
        except Refused as exc:
            refused.append(exc)
    if not done:
        raise RefusedEach(refused)
    return done, refused


def audit(ctx: Ctx, action: str, entity: str, entity_id: int, detail: str) -> None:
    """An audit-trail entry for a change made by this message's sender."""
    assert ctx.club is not None
    ctx.session.add(
        AuditEntry(
            club_id=ctx.club.id,
            actor_phone=ctx.phone,
            action=action,
            entity=entity,
            entity_id=entity_id,
            detail=detail,
        )
    )


def check_amount(ctx: Ctx, amount: int, limit: int) -> None:
    """Refuse an amount no club handles in one go (a slip like "30000tr"), with the limit."""
    if amount > limit:
        raise Refused("too_large", amount=ctx.money(amount), limit=ctx.money(limit))


def local_phone(e164: str) -> str:
    """ "+84912345678" as people write it: "0912345678"."""
    return "0" + e164[3:] if e164.startswith("+84") else e164


def alert_club(
    ctx: Ctx, role: Role, text_for: Callable[[str], str], key: Callable[[str], str]
) -> None:
    """An SMS at once to the club's chair and everyone with `role`, each in their language.

    One per phone (a phone may hold both roles); never to the sender, whose reply says it all.
    """
    assert ctx.club is not None
    recipients = ctx.session.scalars(
        select(Member).where(
            Member.club_id == ctx.club.id,
            Member.status == MemberStatus.ACTIVE,
            Member.phone.is_not(None),
            Member.roles.any(role=role) | Member.roles.any(role=Role.CHAIR),
        )
    ).all()
    for r in {x.phone: x for x in recipients if x.phone != ctx.phone}.values():
        assert r.phone is not None
        lang = resolve_language(r.language or ctx.club.language)
        out = queue_message(
            ctx.session,
            to=r.phone,
            text=text_for(lang),
            kind=OutboundKind.ALERT,
            language=lang,
            club_id=ctx.club.id,
            inbound_id=ctx.msg.id,
            dedupe_key=key(r.phone),
        )
        if out:
            ctx.outbound.append(out)
