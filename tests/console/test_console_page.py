"""The console in Debian's Chromium against the live product (web, worker thread, demo club):
the demo supervisor logs in with the code that arrived by SMS, sees the overview, opens a club
and a member, marks a help request handled, and the member receives the SMS; at 1280 px and at
360 x 740 with no horizontal scroll. Screenshots go to test-artifacts/console/."""

from __future__ import annotations

import json
import re
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from models.demo import PHONES
from runtime.settings import ROOT
from tests.simulator.conftest import LiveServer

ARTIFACTS = ROOT / "test-artifacts" / "console"
WAIT = 20_000
VIEWPORTS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 360, "height": 740}}
BUDGET = 200_000  # bytes over the wire for the overview's first load


def _inbox(live: LiveServer, phone: str) -> list[dict[str, Any]]:
    """What a phone received, from the simulator's inbox API (as the simulator page reads it)."""
    req = urllib.request.Request(f"{live.url}/simulator/api/inbox", headers={"X-Phone": phone})
    with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310 - our own server
        return json.loads(resp.read())["messages"]


def _wait_for(fn: Any, what: str, timeout: float = 20) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = fn()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _sms_in(live: LiveServer, phone: str, text: str, msg_id: str) -> None:
    """An SMS from a phone, posted to the webhook as Africa's Talking posts it."""
    data = urllib.parse.urlencode(
        {"from": phone, "to": "8085", "text": text, "id": msg_id, "date": "2026-11-21 09:00:00"}
    ).encode()
    with urllib.request.urlopen(f"{live.url}/sms/inbound", data=data, timeout=10) as resp:  # noqa: S310
        assert resp.status == 200


def _code_from_sms(live: LiveServer, phone: str, after: int) -> str:
    def newest() -> str | None:
        for m in _inbox(live, phone):
            if m["kind"] == "confirmation" and m["id"] > after and m["status"] == "accepted":
                found = re.search(r"\b(\d{6})\b", m["text"])
                return found.group(1) if found else None
        return None

    return _wait_for(newest, "the login code SMS")


def _last_id(live: LiveServer, phone: str) -> int:
    return max((m["id"] for m in _inbox(live, phone)), default=0)


def _no_horizontal_scroll(tab: Any, width: int) -> None:
    scroll = tab.evaluate("() => document.documentElement.scrollWidth")
    assert scroll <= width, f"{tab.url}: scrollWidth {scroll} > {width}"


@pytest.fixture
def tab(browser: Any, live: LiveServer, request: pytest.FixtureRequest) -> Iterator[Any]:
    page = browser.new_page()
    errors: list[str] = []
    urls: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("request", lambda req: urls.append(req.url))
    try:
        yield page
    finally:
        if getattr(request.node, "rep_failed", False):
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"FAILED-{request.node.name}.png"))
        page.close()
    assert errors == [], errors
    assert [u for u in urls if "8490" in u] == []  # no phone number in any URL
    assert live.worker_errors == [] and live.failed_jobs() == []


def _shot(tab: Any, name: str) -> Path:
    """The whole page, and on a phone also screen-sized slices of it (to look at, 1:1)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    tab.screenshot(path=str(path), full_page=True)
    size = tab.viewport_size
    if size["width"] < 600:
        height = tab.evaluate("() => document.documentElement.scrollHeight")
        for k, top in enumerate(range(0, min(height, 6 * size["height"]), size["height"])):
            clip = {
                "x": 0,
                "y": top,
                "width": size["width"],
                "height": min(size["height"], height - top),
            }
            tab.screenshot(
                path=str(ARTIFACTS / f"{name}-part{k + 1}.png"), full_page=True, clip=clip
            )
    return path


@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_supervisor_closes_a_help_request(tab: Any, live: LiveServer, device: str) -> None:
    size = VIEWPORTS[device]
    tab.set_viewport_size(size)
    member, supervisor = PHONES["member"], PHONES["supervisor"]
    note = "chan dau qua" if device == "desktop" else "om, can nguoi den nha"
    _sms_in(live, member, f"NHO {note}", f"console-{device}")
    _wait_for(
        lambda: any(m["kind"] == "reply" and "#" in m["text"] for m in _inbox(live, member)),
        "the NHO reply",
    )

    tab.goto(f"{live.url}/console/")
    expect(tab).to_have_url(re.compile(r"/console/login$"))
    expect(tab.locator("h1")).to_have_text("Đăng nhập")
    _no_horizontal_scroll(tab, size["width"])
    _shot(tab, f"{device}-1-login")
    before = _last_id(live, supervisor)
    tab.fill("#phone", "0905 000 900")
    tab.click("#send-code")
    expect(tab.locator("h1")).to_have_text("Nhập mã")
    code = _code_from_sms(live, supervisor, before)
    tab.fill("#code", code)
    _shot(tab, f"{device}-2-code")
    tab.press("#code", "Enter")

    expect(tab.locator("h1")).to_have_text("Tổng quan")
    expect(tab.locator("#kpi-clubs")).to_have_text("2")
    expect(tab.locator("#charts canvas")).to_have_count(6, timeout=WAIT)
    expect(tab.locator("#weakest-table")).to_contain_text("GL01")
    _no_horizontal_scroll(tab, size["width"])
    _shot(tab, f"{device}-3-overview")

    tab.click("#weakest-table a:text('GL01')")
    expect(tab.locator("h1")).to_contain_text("CLB GL01")
    expect(tab.locator("#members-table")).to_contain_text("Võ Văn Tâm")
    expect(tab.locator("#loans-table")).to_be_visible()
    _no_horizontal_scroll(tab, size["width"])
    _shot(tab, f"{device}-4-club")

    tab.click("#members-table a:text('Võ Văn Tâm')")
    expect(tab.locator("h1")).to_contain_text("Võ Văn Tâm")
    expect(tab.locator("#bp-chart canvas")).to_have_count(1, timeout=WAIT)
    expect(tab.locator("#readings-table tbody tr").first).to_be_visible()
    _no_horizontal_scroll(tab, size["width"])
    _shot(tab, f"{device}-5-member")

    tab.click("nav.nav a:text('Cảnh báo và yêu cầu')")
    item = tab.locator("#open-alerts li.kind-help", has_text=note)
    expect(item).to_have_count(1)
    _no_horizontal_scroll(tab, size["width"])
    _shot(tab, f"{device}-6-alerts")
    item.locator("textarea").fill("Chị Lan (TNV) sẽ đến chiều nay")
    item.locator("input[value='came']").check()
    before = _last_id(live, member)
    item.locator("button[type=submit]").click()
    expect(tab.locator(".flash")).to_contain_text("Đã gửi SMS cho hội viên")
    expect(tab.locator("#handled-alerts")).to_contain_text("Chị Lan (TNV) sẽ đến chiều nay")
    _no_horizontal_scroll(tab, size["width"])
    _shot(tab, f"{device}-7-handled")

    sms = _wait_for(
        lambda: [m for m in _inbox(live, member) if m["id"] > before and m["status"] == "accepted"],
        "the SMS",
    )
    assert len(sms) == 1 and "TV12" in sms[0]["text"] and "giai quyet" in sms[0]["text"]

    # English with one click, then back.
    tab.click("#lang-btn")
    expect(tab.locator("h1")).to_have_text("Alerts and help requests")
    _shot(tab, f"{device}-8-english")
    tab.click("#lang-btn")
    expect(tab.locator("html")).to_have_attribute("lang", "vi")
    tab.click("#logout-btn")
    expect(tab.locator("h1")).to_have_text("Đăng nhập")


def test_keyboard_skip_link_and_focus(tab: Any, live: LiveServer) -> None:
    tab.goto(f"{live.url}/console/login")
    tab.keyboard.press("Tab")
    skip = tab.locator("a.skip")
    expect(skip).to_be_focused()
    assert tab.evaluate("() => getComputedStyle(document.activeElement).outlineStyle") != "none"
    tab.keyboard.press("Enter")
    expect(tab).to_have_url(re.compile(r"#main$"))
    tab.keyboard.press("Tab")
    focused = tab.evaluate("() => document.activeElement.id")
    assert focused == "phone"  # the first field, labelled
    assert tab.locator("label[for=phone]").count() == 1


def test_the_overview_first_load_is_under_200_kb(browser: Any, live: LiveServer) -> None:
    """Page and assets as the browser fetches them, cold: body and header bytes of each."""
    context = browser.browser.new_context() if browser.browser else None
    tab = (context or browser).new_page()
    sizes: dict[str, int] = {}

    def record(response: Any) -> None:
        s = response.request.sizes()
        sizes[response.url] = s["responseBodySize"] + s["responseHeadersSize"]

    tab.route("**/*", lambda route: route.continue_())  # routing turns the HTTP cache off
    try:
        before = _last_id(live, PHONES["supervisor"])
        tab.goto(f"{live.url}/console/login")
        tab.fill("#phone", "0905000900")
        tab.click("#send-code")
        code = _code_from_sms(live, PHONES["supervisor"], before)
        tab.fill("#code", code)
        tab.on("response", record)
        tab.press("#code", "Enter")
        expect(tab.locator("#charts canvas")).to_have_count(6, timeout=WAIT)
        tab.wait_for_load_state("networkidle")
    finally:
        tab.close()
        if context is not None:
            context.close()
    overview = [u for u in sizes if u.endswith("/console/")]
    assert overview, sizes
    total = sum(sizes.values())
    print(f"overview first load: {total:,} bytes in {len(sizes)} responses: {sizes}")
    assert total < BUDGET, sizes
