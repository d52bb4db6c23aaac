"""The USSD webhook in Africa's Talking's protocol: a form POST per hop, "CON ..."/"END ..." back.

The session state lives in Redis under the sessionId (a web restart loses nothing); who is
calling is read once and cached in it; each hop then does a few small indexed reads for the
screen it shows. A hop never writes the database: forms leave as jobs, like the SMS commands.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Hashable
from dataclasses import asdict
from datetime import date
from functools import lru_cache
from typing import Any

from flask import Blueprint, Response, abort, current_app, request
from sqlalchemy.orm import Session

import runtime
from gateway.auth import webhook
from menus.clock import vn_today
from menus.phones import normalize_phone
from menus.ussd import Reply, UssdContext, form_of, is_end, render, step
from models import db
from models.inbox import store_ussd_form
from models.views import (
    Caller,
    callers,
    check_pin,
    club_roster,
    fund_view,
    health_view,
    loan_view,
    meeting_view,
)
from runtime.metrics import USSD_HOP_SECONDS

log = logging.getLogger(__name__)
bp = Blueprint("ussd", __name__)

RESUME_SECONDS = 600  # a dropped form can be resumed from the next dial within 10 minutes
PIN_LOCK_SECONDS = 1800
MAX_TEXT = 2000
TRANSIENT = ("fx", "msg", "resume", "views")  # left out of a resume point


def session_key(session_id: str) -> str:
    return f"ussd:session:{session_id}"


def resume_key(phone: str) -> str:
    return f"ussd:resume:{phone}"


def pin_key(member_id: int) -> str:
    return f"ussd:pinfail:{member_id}"


class Reads:
    """The views one hop asks for, each read at most once, on a session opened only if needed."""

    def __init__(self, today: date) -> None:
        self.today = today
        self._session: Session | None = None
        self._memo: dict[tuple[str, Hashable], Any] = {}

    @property
    def session(self) -> Session:
        if self._session is None:
            self._session = db.read_session()
        return self._session

    def load(self, kind: str, key: Hashable) -> Any:
        if (kind, key) not in self._memo:
            self._memo[kind, key] = self._read(kind, key)
        return self._memo[kind, key]

    def _read(self, kind: str, key: Any) -> Any:
        if kind == "pin_failures":
            return int(runtime.redis().get(pin_key(key)) or 0)
        s, today = self.session, self.today
        if kind == "loan":
            return loan_view(s, key, today)
        if kind == "health":
            return health_view(s, key)
        if kind == "meeting":
            return meeting_view(s, key, today)
        if kind == "fund":
            return fund_view(s, key, today)
        if kind == "roster":
            return club_roster(s, key)
        from models import stats

        if kind == "area":
            return stats.area_month_summary(s, key, today)
        if kind == "club":
            return stats.club_month_summary(s, key, today)
        raise KeyError(kind)

    def check_pin(self, member_id: int, pin: str) -> bool:
        return check_pin(self.session, member_id, pin)

    def close(self) -> None:
        if self._session is not None:
            self._session.close()


def _people_out(people: tuple[Caller, ...]) -> list[dict[str, Any]]:
    return [{**asdict(p), "roles": sorted(p.roles)} for p in people]


def _people_in(rows: list[dict[str, Any]]) -> tuple[Caller, ...]:
    return tuple(Caller(**{**r, "roles": frozenset(r["roles"])}) for r in rows)


@lru_cache(maxsize=4096)
def _phone(raw: str) -> str | None:
    # Parsing a number costs more than the rest of a hop's input checks; a session repeats it.
    return normalize_phone(raw)


def _form_fields() -> tuple[str, str, str]:
    form = request.form
    session_id = form.get("sessionId", "").strip()
    if not session_id or len(session_id) > 200:
        abort(400, description="missing or too long sessionId")
    text = form.get("text")
    if text is None:
        abort(400, description="missing text")
    if len(text) > MAX_TEXT:
        abort(400, description="text too long")
    phone = _phone(form.get("phoneNumber", "")[:40])
    if phone is None:
        abort(400, description="missing or invalid phoneNumber")
    return session_id, phone, text


@bp.post("/ussd")
@webhook
@USSD_HOP_SECONDS.time()
def ussd() -> Response:
    session_id, phone, text = _form_fields()
    inputs = text.split("*") if text else []
    r = runtime.redis()
    raw, saved = r.mget(session_key(session_id), resume_key(phone))
    record: dict[str, Any] | None = json.loads(raw) if raw else None
    if record is not None and record.get("phone") != phone:
        record = None  # a sessionId reused by another phone never sees the first one's state
    reads = Reads(vn_today())
    try:
        if record is None:
            resume = json.loads(saved) if saved else None
            record, reply, effects = _start(reads, phone, inputs, resume)
        elif len(inputs) > record["n"]:
            ctx = _context(reads, record)
            # Everything past what was consumed is one answer: a list typed as "3*7*9" included.
            state, reply = step(record["state"], "*".join(inputs[record["n"] :]), ctx)
            effects = state.pop("fx", [])
            record.update(state=state, n=len(inputs))
        else:
            # The provider repeated a hop (a retried first hop included): same screen again.
            return _answer(render(record["state"], _context(reads, record)))
    finally:
        reads.close()
    _save(r, session_id, record, effects, phone)
    return _answer(reply)


def _context(
    reads: Reads, record: dict[str, Any], resume: dict[str, Any] | None = None
) -> UssdContext:
    return UssdContext(
        people=_people_in(record["people"]),
        load=reads.load,
        check_pin=reads.check_pin,
        resume=resume,
    )


def _start(
    reads: Reads, phone: str, inputs: list[str], resume: dict[str, Any] | None
) -> tuple[dict[str, Any], Reply, list[dict[str, Any]]]:
    """A new session: who is calling, any form left unfinished, then the inputs so far."""
    people = callers(reads.session, phone)
    record: dict[str, Any] = {
        "phone": phone,
        "people": _people_out(people),
        "n": len(inputs),
        "offered": resume is not None,
    }
    ctx = _context(reads, record, resume)
    state: dict[str, Any] = {}
    effects: list[dict[str, Any]] = []
    for answer in inputs or [""]:
        state, reply = step(state, answer, ctx)
        effects += state.pop("fx", [])
    record["state"] = state
    return record, reply, effects


def form_key(phone: str, session_id: str, form_no: int) -> str:
    """A submitted form's idempotency key: the same on a repeated hop, distinct when a provider
    reuses a sessionId for another phone, and short enough for the inbound provider-id column."""
    return hashlib.sha256(f"{phone}|{session_id}|{form_no}".encode()).hexdigest()[:40]


def _save(
    r: Any, session_id: str, record: dict[str, Any], effects: list[dict[str, Any]], phone: str
) -> None:
    """Carry out the hop's effects, then store the state and the resume point in one round trip."""
    state = record["state"]
    for fx in effects:
        if "job" in fx:
            # Stored and committed before the member is told "sent", as an SMS webhook does:
            # the form outlives a Redis restart. The key survives a repeated hop and cannot
            # collide when a provider reuses a sessionId for another phone. A failure here
            # (the database down) gives the sorry screen, never a confirmation.
            key = form_key(phone, session_id, fx["no"])
            with db.session_scope() as s:
                msg_id, new = store_ussd_form(s, phone, fx["member"], fx["job"], key)
            if new:
                runtime.enqueue_inbound(msg_id)  # if Redis is down, the sweeper will
            log.info("ussd form stored session=%s no=%s", session_id[-6:], fx["no"])
    ttl = int(current_app.config.get("USSD_SESSION_TTL") or 600)
    ops: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
    for fx in effects:
        if "pin_fail" in fx:
            ops += [
                ("incr", (pin_key(fx["pin_fail"]),), {}),
                ("expire", (pin_key(fx["pin_fail"]), PIN_LOCK_SECONDS), {}),
            ]
        elif "pin_ok" in fx:
            ops.append(("delete", (pin_key(fx["pin_ok"]),), {}))
    if form_of(state) and not is_end(state):
        snapshot = {k: v for k, v in state.items() if k not in TRANSIENT}
        ops.append(("set", (resume_key(phone), json.dumps(snapshot)), {"ex": RESUME_SECONDS}))
        record["offered"] = True
    elif state.get("at") != "resume" and record.get("offered"):
        ops.append(("delete", (resume_key(phone),), {}))
        record["offered"] = False
    if not ops:  # the usual hop: one command, no pipeline to build
        r.set(session_key(session_id), json.dumps(record), ex=ttl)
        return
    pipe = r.pipeline(transaction=False)
    for name, args, kwargs in ops:
        getattr(pipe, name)(*args, **kwargs)
    pipe.set(session_key(session_id), json.dumps(record), ex=ttl)
    pipe.execute()


def _answer(reply: Reply) -> Response:
    return Response(("END " if reply.end else "CON ") + reply.text, mimetype="text/plain")
