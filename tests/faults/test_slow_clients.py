"""Slow or idle clients cannot hold the web workers (issue: two idle TCP connections with no
token stalled every webhook for 30 s, for ever; a USSD hop has seconds to answer).

gunicorn as the Procfile runs it keeps answering webhooks and USSD hops while more idle sockets
than it has threads, and a few clients trickling a header byte a second, stay connected; the
command line before this change (sync workers) does not. In front of it, nginx started with
deploy/nginx.conf cuts idle and slow clients by its own timeouts, refuses oversized bodies with
413, and passes a normal SMS webhook and USSD hop through; none of the bad ones reach gunicorn.
"""

from __future__ import annotations

import http.client
import importlib
import os
import re
import select
import shutil
import socket
import ssl
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from runtime.settings import ROOT
from tests.factories import SECRETARY_PHONE, make_board_club
from tests.faults.conftest import free_port, service_env, wait_for

TOKEN = "slow-clients-7f3a9c"
CLIENT_TIMEOUT = 5.0  # a bound on each request (nothing answered in time is a failure)
CONFIGURED = ("--config", "python:gateway.gunicorn_conf")
OLD_COMMAND = ("--workers", "2")  # the Procfile's gunicorn before this change: sync workers
SLOW = 3  # clients trickling one header byte a second
REQUESTS = 8  # of each kind: SMS webhook, USSD hop


def capacity(gunicorn_args: tuple[str, ...]) -> int:
    """Requests gunicorn serves at once: workers x threads (from the config module, as run)."""
    if gunicorn_args == CONFIGURED:
        conf = importlib.import_module("gateway.gunicorn_conf")
        return int(conf.workers) * int(conf.threads)
    return int(gunicorn_args[gunicorn_args.index("--workers") + 1])


@pytest.fixture
def club_db(scratch_db: str) -> str:
    """A scratch database with a club whose secretary texts and dials in."""
    engine = create_engine(scratch_db)
    with Session(engine) as s:
        make_board_club(s)
        s.commit()
    engine.dispose()
    return scratch_db


class SlowClients:
    """Idle sockets that never send a byte, sockets that trickle a request's headers one byte a
    second, and sockets whose body stops after the headers; tells which the server has cut."""

    def __init__(
        self,
        port: int,
        *,
        idle: int,
        slow: int,
        stalled: int = 0,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.port, self.tls = port, tls
        self.counts = {"idle": idle, "slow": slow, "stalled": stalled}
        self.socks: dict[str, list[socket.socket]] = {k: [] for k in self.counts}
        self.cut: set[int] = set()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._trickler = threading.Thread(target=self._trickle, daemon=True)

    def _connect(self, wrap: bool) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=CLIENT_TIMEOUT)
        if wrap and self.tls is not None:
            sock = self.tls.wrap_socket(sock, server_hostname="127.0.0.1")
        return sock

    def __enter__(self) -> SlowClients:
        head = f"POST /sms/inbound?token={TOKEN} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        for _ in range(self.counts["idle"]):
            self.socks["idle"].append(self._connect(wrap=False))  # not even a TLS handshake
        for _ in range(self.counts["slow"]):
            sock = self._connect(wrap=True)
            sock.sendall(head.encode() + b"X-Slow: ")
            self.socks["slow"].append(sock)
        for _ in range(self.counts["stalled"]):
            sock = self._connect(wrap=True)
            body = b"from=%2B84912000001&to=8085&text=HD&id=stalled"
            sock.sendall(
                f"{head}Content-Type: application/x-www-form-urlencoded\r\n"
                f"Content-Length: {len(body) + 1000}\r\n\r\n".encode()
                + body
            )
            self.socks["stalled"].append(sock)
        self._trickler.start()
        return self

    def _trickle(self) -> None:
        while not self._stop.wait(1.0):
            for sock in self.socks["slow"]:
                with self._lock:
                    if id(sock) in self.cut:
                        continue
                    try:
                        sock.send(b"a")
                    except OSError:
                        self.cut.add(id(sock))

    def _closed_by_peer(self, sock: socket.socket) -> bool:
        """True once the server closed this socket (an answer before that is read and dropped)."""
        while True:
            pending = isinstance(sock, ssl.SSLSocket) and sock.pending()
            if not pending and not select.select([sock], [], [], 0)[0]:
                return False
            try:
                data = sock.recv(65536)
            except (ssl.SSLWantReadError, BlockingIOError, TimeoutError):
                return False
            except OSError:  # reset, or TLS cut short
                return True
            if not data:
                return True

    def still_open(self, kind: str) -> int:
        open_ = 0
        for sock in self.socks[kind]:
            with self._lock:
                if id(sock) not in self.cut and self._closed_by_peer(sock):
                    self.cut.add(id(sock))
                open_ += id(sock) not in self.cut
        return open_

    def all_cut(self) -> bool:
        return all(self.still_open(kind) == 0 for kind in self.counts)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._trickler.join(timeout=5)
        for socks in self.socks.values():
            for sock in socks:
                sock.close()


def _post(base: str, path: str, form: dict[str, str], tls: ssl.SSLContext | None = None) -> Any:
    """(status, body) of a form POST with the webhook token, or (0, why) when nothing answered
    within CLIENT_TIMEOUT."""
    url = f"{base}{path}?{urllib.parse.urlencode({'token': TOKEN})}"
    data = urllib.parse.urlencode(form).encode()
    try:
        with urllib.request.urlopen(url, data=data, timeout=CLIENT_TIMEOUT, context=tls) as resp:  # noqa: S310
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")
    except OSError as exc:
        return 0, f"no answer within {CLIENT_TIMEOUT:.0f} s ({type(exc).__name__})"


def sms(base: str, n: int, tls: ssl.SSLContext | None = None) -> tuple[int, str]:
    form = {"from": SECRETARY_PHONE, "to": "8085", "text": "HD", "id": f"slow-{n}"}
    return _post(base, "/sms/inbound", form | {"date": "2026-11-21 02:00:00"}, tls)


def ussd(base: str, n: int, tls: ssl.SSLContext | None = None) -> tuple[int, str]:
    form = {
        "sessionId": f"slow-session-{n}",
        "serviceCode": "*384*123#",
        "phoneNumber": SECRETARY_PHONE,
        "networkCode": "45204",
        "text": "",
    }
    return _post(base, "/ussd", form, tls)


def answer_all(base: str, tls: ssl.SSLContext | None = None) -> dict[str, Any]:
    """SMS webhooks and USSD hops in turn until one is not answered; what came back."""
    done = {"sms": 0, "ussd": 0, "slowest_s": 0.0, "failure": None}
    for n in range(REQUESTS):
        for kind, call, ok in (("sms", sms, "OK"), ("ussd", ussd, "CON ")):
            start = time.monotonic()
            status, body = call(base, n, tls)
            done["slowest_s"] = max(done["slowest_s"], round(time.monotonic() - start, 2))
            if status != 200 or not body.startswith(ok):
                done["failure"] = f"{kind} {n}: {status} {body[:120]}"
                return done
            done[kind] += 1
    return done


@pytest.mark.parametrize(
    "gunicorn_args",
    [
        pytest.param(CONFIGURED, id="as-configured"),
        pytest.param(
            OLD_COMMAND,
            id="old-sync-command-line",
            marks=pytest.mark.xfail(
                strict=True, reason="sync workers: each idle socket holds a whole worker"
            ),
        ),
    ],
)
def test_idle_and_slow_clients_do_not_stall_gunicorn(
    gunicorn_args, club_db, redis_server, processes, tmp_path
):
    env = service_env(club_db, redis_server.url, tmp_path / "var", WEBHOOK_TOKEN=TOKEN)
    port = free_port()
    processes.start_gunicorn(env, port, *gunicorn_args)
    idle = capacity(gunicorn_args) + 2
    with SlowClients(port, idle=idle, slow=SLOW) as clients:
        time.sleep(1.5)  # every socket accepted, the slow ones a byte or two in
        done = answer_all(f"http://127.0.0.1:{port}")
        still = {kind: clients.still_open(kind) for kind in ("idle", "slow")}
    print(
        f"\n{' '.join(gunicorn_args)}: {idle} idle + {SLOW} slow clients; answered "
        f"{done['sms']}/{REQUESTS} SMS webhooks, {done['ussd']}/{REQUESTS} USSD hops, slowest "
        f"{done['slowest_s']} s; still connected at the end: {still}; {done['failure'] or ''}"
    )
    assert done["failure"] is None, done["failure"]
    assert done["sms"] == done["ussd"] == REQUESTS


# --- nginx in front (deploy/nginx.conf) --------------------------------------------------------

NGINX_SUBSTITUTIONS = (  # deploy/nginx.conf as shipped -> this test's ports and paths
    ("server 127.0.0.1:5000;", "server 127.0.0.1:{web_port};"),
    ("listen 443 ssl;", "listen 127.0.0.1:{https_port} ssl;"),
    ("listen [::]:443 ssl;", ""),
    ("listen 80;", "listen 127.0.0.1:{http_port};"),
    ("listen [::]:80;", ""),
    ("/etc/letsencrypt/live/sms.example.org/fullchain.pem", "{dir}/cert.pem"),
    ("/etc/letsencrypt/live/sms.example.org/privkey.pem", "{dir}/key.pem"),
    ("/var/log/nginx/dientua.access.log", "{dir}/access.log"),
    ("/var/log/nginx/dientua.error.log", "{dir}/error.log"),
    ("/var/www/html", "{dir}/acme"),
)

NGINX_MAIN = """{user}
worker_processes 1;
pid {dir}/nginx.pid;
error_log {dir}/main-error.log info;
events {{ worker_connections 256; }}
http {{
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    access_log off;
    include {dir}/dientua.conf;
}}
"""


def nginx_binary() -> str:
    found = shutil.which("nginx") or (
        "/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None
    )
    if found is None:
        pytest.fail("nginx is missing: ./test installs it (tests/system_packages.sh)")
    return found


def render_nginx(workdir: Path, **ports: int) -> Path:
    """deploy/nginx.conf with this test's ports, certificate and log paths, inside a main
    configuration of its own (pid, temp paths); a self-signed certificate for 127.0.0.1."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "acme").mkdir(exist_ok=True)
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(workdir / "key.pem"), "-out", str(workdir / "cert.pem")],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    text = (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    for shipped, here in NGINX_SUBSTITUTIONS:
        assert shipped in text, f"deploy/nginx.conf no longer says {shipped!r}: update this test"
        text = text.replace(shipped, here.format(dir=workdir, **ports))
    (workdir / "dientua.conf").write_text(text, encoding="utf-8")
    main = workdir / "nginx.conf"
    user = "user root;" if os.geteuid() == 0 else ""  # workers write the temp paths here
    main.write_text(NGINX_MAIN.format(dir=workdir, user=user), encoding="utf-8")
    return main


def _raw_post(port: int, tls: ssl.SSLContext, path: str, length: int, body: bytes) -> Any:
    """Send headers announcing `length` bytes and then `body`; (status, Server header)."""
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=tls, timeout=CLIENT_TIMEOUT)
    try:
        conn.putrequest("POST", path)
        conn.putheader("Content-Type", "application/x-www-form-urlencoded")
        conn.putheader("Content-Length", str(length))
        conn.endheaders()
        if body:
            conn.send(body)
        resp = conn.getresponse()
        return resp.status, resp.getheader("Server", "")
    finally:
        conn.close()


def _gunicorn_access(tmp_path: Path) -> list[str]:
    lines = []
    for log in tmp_path.glob("web-*.log"):
        lines += [x for x in log.read_text(errors="replace").splitlines() if '"POST ' in x]
    return lines


def test_nginx_cuts_slow_clients_and_passes_webhooks(club_db, redis_server, processes, tmp_path):
    env = service_env(club_db, redis_server.url, tmp_path / "var", WEBHOOK_TOKEN=TOKEN)
    web_port, https_port, http_port = free_port(), free_port(), free_port()
    processes.start_gunicorn(env, web_port, *CONFIGURED)
    nginx_dir = tmp_path / "nginx"
    conf = render_nginx(nginx_dir, web_port=web_port, https_port=https_port, http_port=http_port)
    processes.start_program(
        [nginx_binary(), "-e", str(nginx_dir / "startup.log"), "-p", str(nginx_dir),
         "-c", str(conf), "-g", "daemon off;"],
        name="nginx",
    )  # fmt: skip
    tls = ssl.create_default_context(cafile=str(nginx_dir / "cert.pem"))
    base = f"https://127.0.0.1:{https_port}"

    def healthy() -> bool:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2, context=tls) as resp:  # noqa: S310
                return resp.status == 200
        except OSError:
            return False

    wait_for(healthy, 30, "nginx answers /healthz from gunicorn")

    idle = capacity(CONFIGURED) + 2
    with SlowClients(https_port, idle=idle, slow=SLOW, stalled=1, tls=tls) as clients:
        time.sleep(1.5)
        done = answer_all(base, tls)
        assert done["failure"] is None, done["failure"]
        too_big = _raw_post(https_port, tls, f"/sms/inbound?token={TOKEN}", 600 * 1024, b"")
        upload = b"x" * (1024 * 1024)  # 1 MB: more than a webhook may send, fine for /console/
        console = _raw_post(https_port, tls, "/console/no-such-upload", len(upload), upload)
        cut_start = time.monotonic()
        # nginx's client_header_timeout / client_body_timeout (10 s) end them; a bound here.
        wait_for(clients.all_cut, 30, "nginx cuts every idle, slow and stalled client", every=0.5)
        cut_after = time.monotonic() - cut_start + 1.5 + done["slowest_s"]
    try:
        urllib.request.urlopen(  # noqa: S310
            urllib.request.Request(f"http://127.0.0.1:{http_port}/sms/inbound", data=b"a=1"),
            timeout=CLIENT_TIMEOUT,
        )
        redirect = (0, "")
    except urllib.error.HTTPError as exc:
        redirect = (exc.code, exc.headers.get("Location", ""))

    access = _gunicorn_access(tmp_path)
    hooks = [x for x in access if '"POST /sms/inbound"' in x]
    hops = [x for x in access if '"POST /ussd"' in x]
    print(
        f"\nthrough nginx: {idle} idle + {SLOW} slow + 1 stalled-body clients, all cut within "
        f"{cut_after:.0f} s; answered {done['sms']}/{REQUESTS} SMS webhooks, "
        f"{done['ussd']}/{REQUESTS} USSD hops (slowest {done['slowest_s']} s); 600 KB webhook "
        f"body: {too_big[0]} from {too_big[1]}; 1 MB /console/ body passed on ({console[0]}); "
        f"plain HTTP POST: {redirect[0]} to {redirect[1]}; gunicorn saw "
        f"{len(hooks)} SMS webhooks, {len(hops)} USSD hops, {len(access)} POSTs in all"
    )
    assert done["sms"] == done["ussd"] == REQUESTS
    assert too_big[0] == 413 and too_big[1].startswith("nginx")
    assert console[0] == 404  # passed on: gunicorn answered (the route does not exist)
    assert redirect == (308, "https://127.0.0.1/sms/inbound")
    # Only whole requests reached gunicorn: the webhooks and hops above and the console upload.
    assert (len(hooks), len(hops), len(access)) == (REQUESTS, REQUESTS, 2 * REQUESTS + 1)
    assert all(re.search(r'" 200 ', x) for x in hooks + hops)
    # nginx logged the slow and stalled ones as timed out (408), with no upstream status.
    timed_out = re.findall(r'" 408 .* up=-$', (nginx_dir / "access.log").read_text(), re.M)
    assert len(timed_out) == SLOW + 1
    for log in [*nginx_dir.glob("*.log"), *tmp_path.glob("web-*.log")]:
        assert TOKEN not in log.read_text(errors="replace"), f"the token is in {log.name}"
