"""A live app for the browser tests, and headless Chromium to drive it.

The app runs in a thread (werkzeug on 127.0.0.1, a free port) on its own SQLite file, migrated
and seeded with the demo clubs, and an empty Redis database it claims on the test Redis server;
an RQ worker thread runs the jobs so replies and alerts really arrive. Chromium is Debian's
(/usr/bin/chromium): a missing browser fails the tests, it never skips them.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
from flask import Flask
from redis import Redis
from rq import Queue, SimpleWorker
from rq.job import Job
from rq.registry import FailedJobRegistry
from rq.timeouts import TimerDeathPenalty
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.serving import BaseWSGIServer, make_server

import runtime
from menus.clock import vn_today
from models import db
from models.demo import seed_demo
from models.messages import InboundMessage, OutboundMessage
from runtime import QUEUES
from runtime.connection import connect
from runtime.settings import ROOT
from tests.conftest import migrate

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = ROOT / "test-artifacts" / "simulator"
VIEWPORT = {"width": 1280, "height": 720}  # a common projector resolution
CLAIM_KEY = "dientua:tests:simulator-claim"


class ThreadWorker(SimpleWorker):
    """A SimpleWorker that runs outside the main thread: no signals, timer timeouts, and no
    pub/sub control thread (stop commands are never sent in tests)."""

    death_penalty_class = TimerDeathPenalty

    def _install_signal_handlers(self) -> None:
        pass

    def subscribe(self) -> None:
        self.pubsub_thread = None

    def unsubscribe(self) -> None:
        pass


def _with_db(url: str, number: int) -> str:
    parts = urlsplit(url)
    if parts.scheme == "unix":
        query = dict(parse_qsl(parts.query))
        query["db"] = str(number)
        return f"unix://{parts.path}?{urlencode(query)}"
    return urlunsplit(parts._replace(path=f"/{number}"))


def _db_of(url: str) -> int:
    parts = urlsplit(url)
    if parts.scheme == "unix":
        return int(dict(parse_qsl(parts.query)).get("db", 0))
    return int(parts.path.strip("/") or 0)


def claim_redis_db(url: str) -> tuple[str, Redis]:
    """An empty database on the same Redis server, claimed so a concurrent run of these tests
    (a shared development Redis) cannot pick it too; released by flushing it."""
    base = _db_of(url)
    for number in (n for n in range(15, -1, -1) if n != base):
        candidate = _with_db(url, number)
        conn = connect(candidate)
        if conn.dbsize() == 0 and conn.set(CLAIM_KEY, os.getpid(), nx=True, ex=900):
            return candidate, conn
        conn.close()
    pytest.fail(f"no empty Redis database to claim on {url!r}")


@dataclass
class LiveServer:
    """The running app: its address, Flask object, Redis, and what the worker thread saw."""

    url: str
    app: Flask
    redis: Redis
    worker_errors: list[BaseException] = field(default_factory=list)

    def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        """Message rows by id, status and kind (no texts): what to look at when a test fails."""
        with db.session_scope() as s:
            inbound = s.execute(
                select(InboundMessage.id, InboundMessage.channel, InboundMessage.status)
            ).all()
            outbound = s.execute(
                select(OutboundMessage.id, OutboundMessage.kind, OutboundMessage.status)
            ).all()
        queued = {q: Queue(q, connection=self.redis).count for q in QUEUES}
        return {
            "inbound": [tuple(r) for r in inbound],
            "outbound": [tuple(r) for r in outbound],
            "queued": list(queued.items()),
        }

    def failed_jobs(self) -> list[str]:
        out = []
        for q in QUEUES:
            for job_id in FailedJobRegistry(q, connection=self.redis).get_job_ids():
                result = Job.fetch(job_id, connection=self.redis).latest_result()
                out.append(result.exc_string if result else job_id)
        return out


def _work(redis: Redis, stop: threading.Event, errors: list[BaseException]) -> None:
    while not stop.is_set():
        try:
            ThreadWorker(list(QUEUES), connection=redis).work(
                burst=True, with_scheduler=False, logging_level="WARNING"
            )
        except Exception as exc:  # noqa: BLE001 - reported by the tests
            errors.append(exc)
        stop.wait(0.15)


@pytest.fixture(scope="module")
def live(
    tmp_path_factory: pytest.TempPathFactory, test_config: dict[str, Any]
) -> Iterator[LiveServer]:
    """The whole product on a free port: web (threaded), worker thread, demo club."""
    from gateway import create_app

    saved = (db._engine, db._factory, runtime._config, runtime._redis, runtime._channel)  # noqa: SLF001
    tmp = tmp_path_factory.mktemp("simulator")
    url = f"sqlite:///{tmp / 'simulator.db'}"
    engine = db.make_engine(url)
    migrate(engine)
    with Session(engine) as s:
        seed_demo(s, vn_today())
        s.commit()
    engine.dispose()

    redis_url, redis = claim_redis_db(test_config["REDIS_URL"])
    cfg = dict(
        test_config,
        VAR_DIR=str(tmp),
        DATABASE_URL=url,
        REDIS_URL=redis_url,
        SIMULATOR=True,
        WEBHOOK_TOKEN=None,
        WEBHOOK_ALLOW_IPS=[],
        SMS_CHANNEL="console",
        CONSOLE_OUTBOX=None,
        QUIET_HOURS="",
        LOG_LEVEL="WARNING",
    )
    db._engine = db._factory = None  # noqa: SLF001 - a fresh binding for this module's database
    app = create_app(cfg)
    server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
    web = threading.Thread(target=server.serve_forever, name="simulator-web", daemon=True)
    web.start()
    stop = threading.Event()
    live = LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app, redis=redis)
    worker = threading.Thread(
        target=_work, args=(redis, stop, live.worker_errors), name="simulator-worker", daemon=True
    )
    worker.start()
    try:
        yield live
    finally:
        stop.set()
        server.shutdown()
        web.join(10)
        worker.join(10)
        server.server_close()
        redis.flushdb()
        redis.close()
        db.engine().dispose()
        db._engine, db._factory, runtime._config, runtime._redis, runtime._channel = saved  # noqa: SLF001


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Headless Debian Chromium through Playwright, with a fresh profile."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (the tests need it)")
    from playwright.sync_api import sync_playwright

    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport=VIEWPORT,
            locale="vi-VN",
            timezone_id="Asia/Ho_Chi_Minh",
        )
        context.set_default_timeout(15_000)
        try:
            yield context
        finally:
            context.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.stash[CALL_FAILED] = report.failed
    return report


CALL_FAILED = pytest.StashKey[bool]()


@pytest.fixture
def page(browser: Any, live: LiveServer, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A new tab; script or CSP errors, phone numbers in URLs and failed jobs fail the test.

    When the test fails, the page is saved as FAILED-<test>.png and the message rows are printed.
    """
    tab = browser.new_page()
    errors: list[str] = []
    urls: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.on(
        "console",
        lambda msg: (
            errors.append(msg.text)
            if msg.type == "error" and not msg.text.startswith("Failed to load resource")
            else None
        ),
    )
    tab.on("request", lambda req: urls.append(req.url))
    try:
        yield tab
    finally:
        if request.node.stash.get(CALL_FAILED, False):
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            tab.screenshot(path=str(ARTIFACTS / f"FAILED-{request.node.name}.png"))
            print("simulator state at failure:", live.snapshot(), live.failed_jobs())
        tab.close()
    assert errors == [], f"script errors on the page: {errors}"
    # Phone numbers never travel in URLs (access logs keep URLs).
    assert [u for u in urls if "8490" in u] == []
    assert live.worker_errors == [], live.worker_errors
    assert live.failed_jobs() == []


@pytest.fixture
def shot() -> Any:
    """Save a screenshot under test-artifacts/simulator/ (gitignored) and return its path."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(tab: Any, name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        tab.screenshot(path=str(path))
        return path

    return take
