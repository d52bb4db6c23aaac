"""The phone simulator in headless Chromium against the live app: USSD, SMS, alerts, the token."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from typing import Any

from playwright.sync_api import expect
from sqlalchemy import select

from menus.clock import vn_today
from menus.encoding import count_segments
from menus.money import format_vnd
from models import db
from models.clubs import Club, Member
from models.demo import DEMO_CLUB, PHONES
from models.views import loan_view
from tests.simulator.conftest import LiveServer

SERVICE_CODE = "*384*123#"
TOKEN = "tok-7f3a9c-simulator"
ALERT_WAIT = 20_000  # ms: webhook, inbound job, send jobs, then the page's 1.5 s poll


def _open(page: Any, live: LiveServer) -> None:
    page.goto(f"{live.url}/simulator")
    expect(page.locator("#phone-select option")).to_have_count(len(PHONES))


def _choose(page: Any, role: str) -> None:
    page.select_option("#phone-select", PHONES[role])
    expect(page.locator("#thread-title")).to_contain_text(PHONES[role])


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310 - our own server
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        body = exc.read()
        try:
            return exc.code, json.loads(body)
        except ValueError:
            return exc.code, body.decode()


def _member_balance() -> int:
    with db.session_scope() as s:
        club_id = s.scalar(select(Club.id).where(Club.code == DEMO_CLUB))
        member_id = s.scalar(
            select(Member.id).where(Member.club_id == club_id, Member.number == 12)
        )
        assert member_id is not None
        return loan_view(s, member_id, vn_today()).balance


def test_member_walks_the_ussd_menu_to_the_loan_balance(page: Any, live: LiveServer, shot) -> None:
    _open(page, live)
    expect(page.locator("#phone-select")).to_have_value(PHONES["member"])
    expect(page.locator("#screen-status")).to_have_text("Sẵn sàng")
    expect(page.locator("#screen-text")).to_contain_text(f"Bấm {SERVICE_CODE} rồi bấm Gọi.")

    # Typed on the computer's keyboard, as a trainer would on a projector.
    page.locator("body").click(position={"x": 5, "y": 300})
    page.keyboard.type(SERVICE_CODE)
    expect(page.locator("#entry")).to_have_value(SERVICE_CODE)
    page.keyboard.press("Enter")
    screen = page.locator("#screen-text")
    expect(screen).to_contain_text("1 Khoan vay")
    expect(page.locator("#screen")).to_have_attribute("data-state", "con")
    expect(page.locator("#call-btn")).to_have_text("Gửi")
    shot(page, "a1-member-main-menu")

    # Clicked on the page's keypad.
    page.click('.key[data-key="1"]')
    page.click("#call-btn")
    balance = _member_balance()
    assert balance > 0, "the demo member 12 has an open loan"
    expect(screen).to_contain_text(f"Con no: {format_vnd(balance)}")
    shot(page, "a2-member-loan-balance")

    # Hanging up keeps the last screen visible for the room to read.
    page.click("#hangup-btn")
    expect(page.locator("#screen-status")).to_have_text("Đã kết thúc cuộc gọi")
    expect(screen).to_contain_text("Con no:")
    expect(page.locator("#call-btn")).to_have_text("Gọi")

    # A wrong code is refused on the phone, like a network would.
    page.fill("#entry", "*100#")
    page.press("#entry", "Enter")
    expect(page.locator("#screen-status")).to_contain_text(f"Mã của câu lạc bộ: {SERVICE_CODE}")


def test_bp_report_by_sms_reaches_the_chair_as_a_red_alert(
    page: Any, live: LiveServer, shot
) -> None:
    _open(page, live)
    _choose(page, "health_volunteer")
    box = page.locator("#sms-text")
    box.fill("HA 12 185/112")
    counter = page.locator("#sms-counter")
    expect(counter).to_contain_text("GSM-7 · 13/160 ký tự · 1 tin")
    box.fill("Huyết áp")
    expect(counter).to_contain_text("UCS-2 · 8/70 ký tự · 1 tin")
    box.fill("HA 12 185/112")
    box.press("Enter")

    thread = page.locator("#thread")
    expect(thread.locator(".msg-out .text")).to_have_text(["HA 12 185/112"])
    reply = thread.locator(".msg-in.kind-reply")
    expect(reply).to_have_count(1, timeout=ALERT_WAIT)
    expect(reply.locator(".text")).to_contain_text(re.compile(r"^OK #\w{4}"))
    expect(reply.locator(".text")).to_contain_text("CANH BAO")
    expect(reply.locator(".status")).to_have_text("đã gửi", timeout=ALERT_WAIT)
    shot(page, "b1-health-volunteer-thread")

    _choose(page, "chair")
    alert = thread.locator(".msg-in.kind-alert")
    expect(alert).to_have_count(1, timeout=ALERT_WAIT)
    expect(alert.locator(".badge")).to_have_text("Cảnh báo")
    expect(alert.locator(".text")).to_contain_text("TV12")
    expect(alert.locator(".text")).to_contain_text("185/112")
    expect(alert.locator(".status")).to_have_text("đã gửi", timeout=ALERT_WAIT)
    text = alert.locator(".text").inner_text()
    encoding, segments, _ = count_segments(text)
    expect(alert.locator(".enc")).to_have_text(encoding)
    expect(alert.locator(".seg")).to_have_text(f"{segments} tin")
    shot(page, "b2-chair-red-alert")

    # Reset hides what was there; "show all" brings it back.
    page.click("#reset-btn")
    expect(thread.locator(".msg")).to_have_count(0)
    expect(page.locator("#reset-note")).to_be_visible()
    page.click("#show-all")
    expect(alert).to_have_count(1)


def test_unknown_phone_is_told_how_to_join(page: Any, live: LiveServer, shot) -> None:
    _open(page, live)
    _choose(page, "unknown")
    expect(page.locator("#phone-who")).to_have_text("Số chưa đăng ký")
    page.click("#call-btn")  # an empty dial calls the club's code
    expect(page.locator("#screen")).to_have_attribute("data-state", "end")
    expect(page.locator("#screen-text")).to_contain_text("So nay chua dang ky")
    expect(page.locator("#screen-status")).to_have_text("Phiên đã kết thúc")

    page.fill("#sms-text", "TRA 12 200k")
    page.click("#sms-send")
    reply = page.locator("#thread .msg-in")
    expect(reply).to_have_count(1, timeout=ALERT_WAIT)
    expect(reply.locator(".text")).to_contain_text("chua dang ky voi CLB nao")
    expect(reply.locator(".badge")).to_have_text("Trả lời")
    shot(page, "c1-unknown-phone")


def test_a_typed_number_and_the_english_texts(page: Any, live: LiveServer, shot) -> None:
    _open(page, live)
    page.fill("#other-phone", "12345")
    page.click("#other-form button")
    expect(page.locator("#other-error")).to_have_text("Số điện thoại không hợp lệ")
    page.fill("#other-phone", "0905 000 012")
    page.click("#other-form button")
    expect(page.locator("#phone-select")).to_have_value(PHONES["member"])
    page.fill("#other-phone", "0912 777 888")
    page.press("#other-phone", "Enter")
    expect(page.locator("#phone-select")).to_have_value("+84912777888")

    page.click("#lang-btn")
    try:
        expect(page.locator("#call-btn")).to_have_text("Call")
        expect(page.locator("#hangup-btn")).to_have_text("Hang up")
        expect(page.locator("#lang-btn")).to_have_text("Tiếng Việt")
        expect(page.locator("html")).to_have_attribute("lang", "en")
        page.fill("#sms-text", "NO")
        expect(page.locator("#sms-counter")).to_contain_text("GSM-7 · 2/160 characters · 1 SMS")
        shot(page, "e1-english")
    finally:
        page.click("#lang-btn")
    expect(page.locator("#call-btn")).to_have_text("Gọi")


def test_the_page_counts_segments_like_the_gateway(page: Any, live: LiveServer) -> None:
    _open(page, live)
    texts = [
        "",
        "HA 12 185/112",
        "Trả 12 450k",
        "x" * 160,
        "x" * 161,
        "€" * 80,
        "€" * 81,
        "a" + "€" * 77,
        "Đ" * 70,
        "Đ" * 71,
        "🙂" * 35,
        "🙂" * 36,
        "a" + "🙂" * 34,
        "dd vang 3 7 9\nTRA 12 200, 15 1tr5",
        "[x]{y}~|^\\",
    ]
    for text in texts:
        got = page.evaluate("t => window.simulatorCountSegments(t)", text)
        encoding, segments, units = count_segments(text)
        assert (got["encoding"], got["segments"], got["units"]) == (encoding, segments, units), text


def test_with_a_token_the_page_asks_for_it_and_keeps_it_secret(
    page: Any, live: LiveServer, shot
) -> None:
    live.app.config["WEBHOOK_TOKEN"] = TOKEN
    try:
        with urllib.request.urlopen(f"{live.url}/simulator", timeout=10) as resp:  # noqa: S310
            html = resp.read().decode()
        assert TOKEN not in html
        assert '"tokenRequired": true' in html
        inbox = f"{live.url}/simulator/api/inbox?phone={PHONES['member']}"
        assert _get(inbox) == (403, {"error": "token_required"})
        assert _get(inbox, {"X-Webhook-Token": "nope"}) == (403, {"error": "bad_token"})
        status, body = _get(inbox, {"X-Webhook-Token": TOKEN})
        assert status == 200 and body["phone"] == PHONES["member"]

        page.goto(f"{live.url}/simulator")
        dialog = page.locator("#token-dialog")
        expect(dialog).to_be_visible()
        page.fill("#token-input", "wrong-token")
        page.press("#token-input", "Enter")
        expect(page.locator("#token-error")).to_have_text(
            "Mã bảo mật không đúng. Hãy kiểm tra WEBHOOK_TOKEN rồi nhập lại."
        )
        expect(dialog).to_be_visible()
        shot(page, "d1-wrong-token")

        page.fill("#token-input", TOKEN)
        page.click("#token-form button")
        expect(dialog).to_be_hidden()
        expect(page.locator("#phone-select option")).to_have_count(len(PHONES))
        assert page.evaluate("() => sessionStorage.getItem('simulator.token')") == TOKEN
        assert TOKEN not in page.content()
        page.click("#call-btn")
        expect(page.locator("#screen-text")).to_contain_text("1 Khoan vay")
        page.click("#hangup-btn")

        # The token is asked once per tab: a reload keeps working without the dialog.
        page.reload()
        expect(page.locator("#phone-select option")).to_have_count(len(PHONES))
        expect(dialog).to_be_hidden()
        page.fill("#sms-text", "NO")
        page.press("#sms-text", "Enter")
        reply = page.locator("#thread .msg-in.kind-reply")
        expect(reply).to_have_count(1, timeout=ALERT_WAIT)
        expect(reply.locator(".text")).to_contain_text("Con no")
        shot(page, "d2-token-accepted")

        # The server's token changes: the next call is refused and the page asks again.
        live.app.config["WEBHOOK_TOKEN"] = TOKEN + "-rotated"
        page.click("#call-btn")
        expect(dialog).to_be_visible()
        expect(page.locator("#token-error")).to_contain_text("Mã bảo mật không đúng")
        expect(page.locator("#screen-status")).to_contain_text("Mã bảo mật không đúng")
    finally:
        live.app.config["WEBHOOK_TOKEN"] = None


def test_without_a_token_only_this_machine_may_read_the_inbox(live: LiveServer) -> None:
    client = live.app.test_client()
    far = {"REMOTE_ADDR": "192.0.2.10"}
    resp = client.get(f"/simulator/api/inbox?phone={PHONES['member']}", environ_base=far)
    assert resp.status_code == 403 and resp.json == {"error": "local_only"}
    assert client.get("/simulator/api/phones", environ_base=far).status_code == 403
    assert client.get("/simulator", environ_base=far).status_code == 200  # no data in the page
    resp = client.get(f"/simulator/api/inbox?phone={PHONES['member']}")
    assert resp.status_code == 200
    assert resp.headers["Cache-Control"] == "no-store"
    assert client.get("/simulator/api/inbox?phone=abc").status_code == 400
    page = client.get("/simulator")
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]


def test_the_simulator_is_absent_when_switched_off(live: LiveServer) -> None:
    import runtime
    from gateway import create_app

    saved = runtime._config  # noqa: SLF001
    try:
        app = create_app(dict(live.app.config, SIMULATOR=False), init_runtime=False)
    finally:
        runtime._config = saved  # noqa: SLF001
    client = app.test_client()
    assert client.get("/simulator").status_code == 404
    assert client.get("/simulator/api/inbox?phone=%2B84905000012").status_code == 404
