"""Logging in by SMS code: the code arrives through the outbox, is single-use, expires, locks
after five wrong tries; the phone and the address are rate-limited; forms need their CSRF token;
administrators need their password too; sessions rotate at login and end at logout."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from models import db
from models.console import (
    MAX_CODE_TRIES,
    REDACTED,
    ConsoleAudit,
    ConsoleSession,
    LoginCode,
)
from models.enums import OutboundKind, OutboundStatus
from models.messages import OutboundMessage
from tests.console.conftest import ADMIN_PASSWORD, ADMIN_PHONE, OTHER_SUP_PHONE, World
from tests.console.support import ask_code, csrf, last_code, login, send_code
from tests.summaries.conftest import SUP_PHONE


def _codes_sent(phone: str) -> int:
    with db.session_scope() as s:
        return s.scalar(
            select(func.count())
            .select_from(OutboundMessage)
            .where(
                OutboundMessage.to == phone,
                OutboundMessage.kind == OutboundKind.CONFIRMATION.value,
            )
        )


def test_nothing_answers_without_a_login(console: Any) -> None:
    client = console.test_client()
    for path in (
        "/console/",
        "/console/clubs",
        "/console/alerts",
        "/console/clubs/1",
        "/console/members/1",
        "/console/loans/1",
    ):
        resp = client.get(path)
        assert resp.status_code == 302 and resp.location.endswith("/console/login"), path
    assert client.get("/console/login").status_code == 200


def test_a_supervisor_logs_in_with_the_code_the_worker_sent(
    console: Any, world: World, run_jobs: Any, channel: Any
) -> None:
    client = console.test_client()
    resp = ask_code(client, "0912 345 678")  # nobody's phone: the same answer, no SMS
    assert resp.status_code == 302 and resp.location.endswith("/console/login/code")
    assert _codes_sent("+84912345678") == 0

    resp = ask_code(client, "0915 000 900")
    assert resp.status_code == 302
    run_jobs()
    [sent] = [m for m in channel.outbox if m["to"] == SUP_PHONE]
    code = last_code(SUP_PHONE)
    assert code is not None and code in sent["text"]
    page = client.get("/console/login/code").get_data(as_text=True)
    assert "0915 *** 900" in page and SUP_PHONE not in page

    before = client.get_cookie("dientua_console", path="/console").value
    resp = send_code(client, code)
    assert resp.status_code == 302 and resp.location.endswith("/console/")
    cookie = client.get_cookie("dientua_console", path="/console")
    assert cookie.value != before  # a new session at login
    assert cookie.http_only and cookie.same_site == "Lax"
    assert client.get("/console/").status_code == 200
    with db.session_scope() as s:
        row = s.scalar(select(LoginCode).order_by(LoginCode.id.desc()).limit(1))
        assert row.used_at is not None and code not in row.code_hash
        out = s.get(OutboundMessage, row.outbound_id)
        assert code not in out.text and REDACTED in out.text  # the outbox forgets it once used
        assert out.status == OutboundStatus.ACCEPTED
        assert (
            s.scalar(
                select(func.count()).select_from(ConsoleAudit).where(ConsoleAudit.action == "login")
            )
            == 1
        )

    # Single-use: the same code again from another browser is refused.
    other = console.test_client()
    ask_code(other, "0915000900")
    assert send_code(other, code).status_code == 200

    # Logging out ends the session row: the old cookie opens nothing.
    stolen = client.get_cookie("dientua_console", path="/console").value
    resp = client.post("/console/logout", data={"csrf_token": csrf(client, "/console/")})
    assert resp.status_code == 302
    third = console.test_client()
    third.set_cookie("dientua_console", stolen, path="/console")
    assert third.get("/console/").status_code == 302
    with db.session_scope() as s:
        assert (
            s.scalar(
                select(func.count())
                .select_from(ConsoleSession)
                .where(ConsoleSession.ended_at.is_not(None))
            )
            == 1
        )


def test_wrong_codes_lock_after_five_tries(console: Any, world: World) -> None:
    client = console.test_client()
    ask_code(client, SUP_PHONE)
    code = last_code(SUP_PHONE)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for left in range(MAX_CODE_TRIES - 1, 0, -1):
        page = send_code(client, wrong).get_data(as_text=True)
        assert f"Còn {left} lần thử" in page
    page = send_code(client, wrong).get_data(as_text=True)
    assert "Nhập sai quá nhiều lần" in page
    page = send_code(client, code).get_data(as_text=True)  # the right code no longer works
    assert "Nhập sai quá nhiều lần" in page
    assert client.get("/console/").status_code == 302
    # While locked, asking again sends no new code.
    sent = _codes_sent(SUP_PHONE)
    ask_code(client, SUP_PHONE)
    assert _codes_sent(SUP_PHONE) == sent


def test_codes_expire_after_ten_minutes(console: Any, world: World, clock: Any) -> None:
    client = console.test_client()
    ask_code(client, SUP_PHONE)
    code = last_code(SUP_PHONE)
    clock.shift(timedelta(minutes=10, seconds=1))
    page = send_code(client, code).get_data(as_text=True)
    assert "đã hết hạn" in page
    assert client.get("/console/").status_code == 302


def test_a_new_code_replaces_the_last(console: Any, world: World) -> None:
    client = console.test_client()
    ask_code(client, SUP_PHONE)
    first = last_code(SUP_PHONE)
    ask_code(client, SUP_PHONE)
    second = last_code(SUP_PHONE)
    if first != second:
        assert send_code(client, first).status_code == 200  # refused: only the latest counts
    assert send_code(client, second).status_code == 302


def test_the_phone_and_the_address_are_rate_limited(console: Any, world: World) -> None:
    client = console.test_client()
    for _ in range(3):  # CONSOLE_CODE_LIMIT: 3 codes per phone per 15 minutes
        assert ask_code(client, SUP_PHONE).status_code == 302
    resp = ask_code(client, SUP_PHONE)
    assert resp.status_code == 429 and "Thử quá nhiều lần" in resp.get_data(as_text=True)
    assert _codes_sent(SUP_PHONE) == 3
    # An unknown phone counts the same: the limit says nothing about who is registered.
    for _ in range(3):
        ask_code(client, "0912345678")
    assert ask_code(client, "0912345678").status_code == 429

    console.config["CONSOLE_IP_LIMIT"] = "5 per 10 minutes"
    far = console.test_client()
    far.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    token = csrf(far)
    codes = [
        far.post("/console/login/code", data={"csrf_token": token, "code": "1"}).status_code
        for _ in range(6)
    ]
    assert codes[:5] == [302] * 5 and codes[5] == 429  # no pending phone: sent back to login
    near = console.test_client()
    near.environ_base["REMOTE_ADDR"] = "192.0.2.8"
    assert ask_code(near, OTHER_SUP_PHONE).status_code == 302  # another address is not held


def test_posts_without_the_csrf_token_are_refused(console: Any, world: World) -> None:
    client = console.test_client()
    resp = client.post("/console/login", data={"phone": SUP_PHONE})
    assert resp.status_code == 400 and "Biểu mẫu đã hết hạn" in resp.get_data(as_text=True)
    assert _codes_sent(SUP_PHONE) == 0
    login(client, SUP_PHONE)
    help_id = world.area.k12.id  # any id: the token is checked first
    for path, data in (
        ("/console/logout", {}),
        ("/console/lang", {"lang": "en"}),
        (f"/console/alerts/help/{help_id}/close", {"note": "x", "outcome": "came"}),
    ):
        assert client.post(path, data=data).status_code == 400, path
        assert client.post(path, data={**data, "csrf_token": "forged"}).status_code == 400
    assert client.get("/console/").status_code == 200  # still signed in: nothing happened


def test_administrators_need_password_and_code(console: Any, world: World) -> None:
    client = console.test_client()
    resp = ask_code(client, ADMIN_PHONE, "wrong password")
    assert resp.status_code == 200 and "mật khẩu không đúng" in resp.get_data(as_text=True)
    assert _codes_sent(ADMIN_PHONE) == 0
    # The supervisors' page sends no code to an administrator's phone.
    ask_code(client, ADMIN_PHONE)
    assert _codes_sent(ADMIN_PHONE) == 0
    login(client, ADMIN_PHONE, ADMIN_PASSWORD)
    assert client.get("/console/").status_code == 200
    with db.session_scope() as s:
        row = s.scalar(select(ConsoleSession).where(ConsoleSession.ended_at.is_(None)))
        assert row.account_kind == "admin"
        assert row.expires_at - row.created_at == timedelta(hours=12)


def test_supervisor_sessions_last_fourteen_days(console: Any, world: World, clock: Any) -> None:
    client = console.test_client()
    login(client, SUP_PHONE)
    clock.shift(timedelta(days=13, hours=23))
    assert client.get("/console/").status_code == 200
    clock.shift(timedelta(hours=2))
    assert client.get("/console/").status_code == 302


def test_a_deactivated_supervisor_is_out_at_once(console: Any, world: World) -> None:
    client = console.test_client()
    login(client, SUP_PHONE)
    with db.session_scope() as s:
        s.get(type(world.area.sup), world.area.sup.id).active = False
    assert client.get("/console/").status_code == 302


def test_cookies_are_secure_in_production() -> None:
    from runtime.settings import load_config

    assert load_config({})["SESSION_COOKIE_SECURE"] is False  # the quick start: plain HTTP
    prod = load_config({"SMS_CHANNEL": "africastalking"})
    assert prod["SESSION_COOKIE_SECURE"] is True
    assert (
        load_config({"SMS_CHANNEL": "africastalking", "SESSION_COOKIE_SECURE": "false"})[
            "SESSION_COOKIE_SECURE"
        ]
        is False
    )
