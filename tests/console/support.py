"""Helpers for the console tests: CSRF tokens, logging in through the real SMS-code flow."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from models import db
from models.enums import OutboundKind
from models.messages import OutboundMessage

CODE = re.compile(r"\b(\d{6})\b")
TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def csrf(client: Any, path: str = "/console/login") -> str:
    """A CSRF token for the client's session, from a page with a form."""
    html = client.get(path).get_data(as_text=True)
    found = TOKEN.search(html)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def last_code(phone: str) -> str | None:
    """The code in the latest login SMS to the phone (what the phone received)."""
    with db.session_scope() as s:
        text = s.scalar(
            select(OutboundMessage.text)
            .where(
                OutboundMessage.to == phone, OutboundMessage.kind == OutboundKind.CONFIRMATION.value
            )
            .order_by(OutboundMessage.id.desc())
            .limit(1)
        )
    found = CODE.search(text or "")
    return found.group(1) if found else None


def ask_code(client: Any, phone: str, password: str | None = None) -> Any:
    path = "/console/login" if password is None else "/console/login/admin"
    data = {"csrf_token": csrf(client, path), "phone": phone}
    if password is not None:
        data["password"] = password
    return client.post(path, data=data)


def send_code(client: Any, code: str) -> Any:
    return client.post(
        "/console/login/code",
        data={"csrf_token": csrf(client, "/console/login/code"), "code": code},
    )


def login(client: Any, phone: str, password: str | None = None) -> None:
    """Phone (and password) -> the code that arrived by SMS -> signed in."""
    resp = ask_code(client, phone, password)
    assert resp.status_code == 302 and resp.location.endswith("/console/login/code"), resp.text
    code = last_code(phone)
    assert code is not None
    resp = send_code(client, code)
    assert resp.status_code == 302 and "/console/login" not in resp.location, resp.text
