"""The phone simulator: a web page that acts like a feature phone on the demo club's numbers.

The page calls the same webhooks a provider calls (/ussd, /sms/inbound) with the same token rules,
and reads what a phone received from the outbox. Registered only when SIMULATOR is on.

Access: with WEBHOOK_TOKEN set, the page holds no secret; the operator types the token once (kept
in the tab's sessionStorage) and the page sends it as ?token= to the webhooks and in a header to
the API below. Without a token, the API answers loopback clients only, because the inbox shows
members' messages (health readings among them).
"""

from __future__ import annotations

import hmac
import ipaddress
import json
from functools import cache
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template, request
from sqlalchemy import select

from menus.clock import to_vn
from menus.encoding import (
    GSM7_BASIC,
    GSM7_EXTENSION,
    GSM7_PART,
    GSM7_SINGLE,
    UCS2_PART,
    UCS2_SINGLE,
    count_segments,
)
from menus.phones import normalize_phone
from models import db
from models.clubs import Club, Member, Supervisor
from models.demo import DEMO_CLUB, PHONES
from models.messages import InboundMessage, OutboundMessage

bp = Blueprint(
    "simulator",
    __name__,
    url_prefix="/simulator",
    static_folder="static/simulator",
    static_url_path="/static",
)

TOKEN_HEADER = "X-Webhook-Token"
# The page sends the phone in a header: numbers stay out of access logs, which keep query strings.
PHONE_HEADER = "X-Phone"
STRINGS_FILE = Path(__file__).with_name("static") / "simulator" / "strings.json"
DEFAULT_LANG = "vi"
INBOX_LIMIT = 60
# The order a trainer meets the roles in; every key of models.demo.PHONES.
ROLE_ORDER = (
    "member",
    "secretary",
    "chair",
    "health_volunteer",
    "homecare_volunteer",
    "shared",
    "supervisor",
    "unknown",
)
SHORT_CODE = "8085"  # the "to" of a simulated SMS, as a provider's short code would be
NETWORK_CODE = "45204"  # Viettel (MCC 452, MNC 04)
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


@cache
def _strings_cached(mtime: float) -> dict[str, dict[str, str]]:
    with STRINGS_FILE.open(encoding="utf-8") as fh:
        return json.load(fh)


def ui_strings() -> dict[str, dict[str, str]]:
    """The page's UI texts per language (static/simulator/strings.json), reread when edited."""
    return _strings_cached(STRINGS_FILE.stat().st_mtime)


def _is_loopback(addr: str | None) -> bool:
    try:
        return addr is not None and ipaddress.ip_address(addr).is_loopback
    except ValueError:
        return False


def _denied(reason: str) -> Response:
    resp = jsonify(error=reason)
    resp.status_code = 403
    return resp


def api_guard() -> Response | None:
    """None when the caller may use the API, else a 403 naming why (for the page to explain)."""
    cfg = current_app.config
    token = cfg.get("WEBHOOK_TOKEN")
    if token:
        given = request.headers.get(TOKEN_HEADER) or request.args.get("token", "")
        if not hmac.compare_digest(given.encode(), token.encode()):
            return _denied("bad_token" if given else "token_required")
    elif not _is_loopback(request.remote_addr):
        return _denied("local_only")
    allowed = cfg.get("WEBHOOK_ALLOW_IPS") or []
    if allowed and request.remote_addr not in allowed:
        return _denied("address")
    return None


@bp.before_request
def _guard_api() -> Response | None:
    if request.path.startswith("/simulator/api/"):
        return api_guard()
    return None


@bp.after_request
def _headers(resp: Response) -> Response:
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Referrer-Policy"] = "no-referrer"
    if request.path.startswith("/simulator/api/"):
        resp.headers["Cache-Control"] = "no-store"
    elif not request.path.startswith("/simulator/static/"):
        resp.headers["Content-Security-Policy"] = CSP
        resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.get("")
@bp.get("/")
def page() -> str:
    """The simulator page; carries settings and texts, never the token."""
    cfg = current_app.config
    strings = ui_strings()
    settings: dict[str, Any] = {
        "serviceCode": cfg["USSD_SERVICE_CODE"],
        "tokenRequired": bool(cfg.get("WEBHOOK_TOKEN")),
        "tokenHeader": TOKEN_HEADER,
        "phoneHeader": PHONE_HEADER,
        "shortCode": SHORT_CODE,
        "networkCode": NETWORK_CODE,
        "defaultLang": DEFAULT_LANG,
        "pollMs": 1500,
        "gsm7": {
            "basic": "".join(sorted(GSM7_BASIC)),
            "extension": "".join(sorted(GSM7_EXTENSION)),
            "single": GSM7_SINGLE,
            "part": GSM7_PART,
        },
        "ucs2": {"single": UCS2_SINGLE, "part": UCS2_PART},
    }
    return render_template(
        "simulator/index.html",
        s=strings[DEFAULT_LANG],
        lang=DEFAULT_LANG,
        settings=settings,
        strings=strings,
    )


def _who(s: Any, phone: str) -> str | None:
    """A short label for whoever uses a number: "GL01 TV12 Name", a supervisor, or None."""
    members = s.scalars(
        select(Member).where(Member.phone == phone).order_by(Member.club_id, Member.number)
    ).all()
    if members:
        clubs = {m.club_id: m.club.code for m in members}
        names = [f"TV{m.number} {m.full_name}" for m in members]
        return f"{', '.join(sorted(set(clubs.values())))} " + " · ".join(names)
    sup = s.scalar(select(Supervisor).where(Supervisor.phone == phone))
    return sup.name if sup is not None else None


@bp.get("/api/phones")
def phones() -> Response:
    """The demo club's phones by role (when the demo is loaded); a number can also be typed."""
    with db.session_scope() as s:
        demo = s.scalar(select(Club.id).where(Club.code == DEMO_CLUB)) is not None
        rows = (
            [{"role": r, "phone": PHONES[r], "who": _who(s, PHONES[r])} for r in ROLE_ORDER]
            if demo
            else []
        )
    return jsonify(demo=demo, club=DEMO_CLUB if demo else None, phones=rows)


@bp.get("/api/lookup")
def lookup() -> Response:
    """A typed number in E.164, and who uses it."""
    phone = _phone_arg()
    if phone is None:
        return _bad_phone()
    with db.session_scope() as s:
        who = _who(s, phone)
    return jsonify(phone=phone, who=who)


def _phone_arg() -> str | None:
    """The phone asked about (header, or ?phone= for people poking with curl), in E.164."""
    return normalize_phone(request.headers.get(PHONE_HEADER) or request.args.get("phone", ""))


def _bad_phone() -> Response:
    resp = jsonify(error="bad_phone")
    resp.status_code = 400
    return resp


def _moment(value: Any) -> dict[str, str]:
    local = to_vn(value)
    return {"at": local.isoformat(), "time": local.strftime("%H:%M %d/%m/%Y")}


@bp.get("/api/inbox")
def inbox() -> Response:
    """What a phone received (newest first) and the SMS it sent, for the page's thread."""
    phone = _phone_arg()
    if phone is None:
        return _bad_phone()
    with db.session_scope() as s:
        received = s.scalars(
            select(OutboundMessage)
            .where(OutboundMessage.to == phone)
            .order_by(OutboundMessage.created_at.desc(), OutboundMessage.id.desc())
            .limit(INBOX_LIMIT)
        ).all()
        sent = s.scalars(
            select(InboundMessage)
            .where(InboundMessage.sender == phone, InboundMessage.channel == "sms")
            .order_by(InboundMessage.received_at.desc(), InboundMessage.id.desc())
            .limit(INBOX_LIMIT)
        ).all()
        messages = [_outbound(m) for m in received]
        sent_rows = [
            {
                "id": m.id,
                "ref": m.provider_id,
                "text": m.text,
                "status": m.status,
                **_moment(m.received_at),
            }
            for m in sent
        ]
    return jsonify(phone=phone, messages=messages, sent=sent_rows)


def _outbound(m: OutboundMessage) -> dict[str, Any]:
    """One received SMS; before the send job has composed it, the counts are estimated."""
    encoding, segments, estimated = m.encoding, m.segments, False
    if encoding is None or segments is None:
        encoding, segments, _ = count_segments(m.text)
        estimated = True
    return {
        "id": m.id,
        "text": m.text,
        "kind": m.kind,
        "status": m.status,
        "encoding": encoding,
        "segments": segments,
        "estimated": estimated,
        **_moment(m.created_at),
    }
