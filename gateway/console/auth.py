"""Logging in and out of the console, the guard in front of every page, and the page's texts.

Supervisors: phone -> a 6-digit code by SMS -> signed in for CONSOLE_SUPERVISOR_HOURS.
Administrators: phone and password (argon2) -> the same code -> CONSOLE_ADMIN_HOURS. The answer to
a phone is the same whether or not it is registered; codes are rate-limited per phone and per
address, and five wrong codes lock the code.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from typing import Any

from flask import (
    Response,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_wtf.csrf import CSRFError
from limits import parse_many
from werkzeug.exceptions import NotFound, TooManyRequests

from gateway.console import bp, csrf, limiter
from gateway.console.forms import AdminForm, CodeForm, LangForm, LogoutForm, PhoneForm
from menus.clock import to_vn
from menus.i18n import t
from menus.phones import normalize_mobile
from models import db
from models.console import (
    AccountKind,
    CodeResult,
    ConsoleAdmin,
    Viewer,
    audit,
    check_code,
    end_session,
    find_account,
    find_session,
    issue_code,
    load_viewer,
    open_session,
    phone_locked_until,
    verify_password,
)

log = logging.getLogger(__name__)

LANGS = ("vi_dau", "en")
DEFAULT_LANG = "vi_dau"
PUBLIC = frozenset(
    {"console.login", "console.login_admin", "console.login_code", "console.lang",
     "console.static"}
)  # fmt: skip
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
# A dummy hash to verify against when the phone is no administrator's: the same time either way.
_DUMMY_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHRzb21lc2FsdA$"
    "RdescudvJCsgt3ub+b+dWRWJTmaaJObG0wK7BBSGqBI"
)


# Texts and formats for the templates ----------------------------------------------------------


def tr(key: str, **params: Any) -> str:
    """A console text in the page's language."""
    return t(getattr(g, "lang", DEFAULT_LANG), f"console.{key}", **params)


def fmt_vnd(amount: int | None) -> str:
    if amount is None:
        return tr("overview.none")
    text = f"{amount:,}"
    if getattr(g, "lang", DEFAULT_LANG) == "en":
        return f"{text} VND"
    return text.replace(",", ".") + " đ"


def fmt_date(d: date | datetime | None) -> str:
    if d is None:
        return tr("overview.none")
    if isinstance(d, datetime):
        local = to_vn(d)
        return local.strftime("%d/%m/%Y %H:%M")
    return d.strftime("%d/%m/%Y")


def fmt_phone(phone: str | None) -> str:
    """+84905123456 -> 0905 123 456 (as people write it)."""
    if not phone:
        return tr("club.no_phone")
    if phone.startswith("+84") and len(phone) == 12:
        local = "0" + phone[3:]
        return f"{local[:4]} {local[4:7]} {local[7:]}"
    return phone


def _masked(phone: str) -> str:
    local = fmt_phone(phone)
    return local[:4] + " *** " + local[-3:] if len(local) >= 8 else "***"


@bp.context_processor
def _console_globals() -> dict[str, Any]:
    lang = getattr(g, "lang", DEFAULT_LANG)
    return {
        "_": tr,
        "lang": lang,
        "html_lang": "en" if lang == "en" else "vi",
        "viewer": getattr(g, "viewer", None),
        "fmt_vnd": fmt_vnd,
        "fmt_date": fmt_date,
        "fmt_phone": fmt_phone,
        "lang_form": LangForm(formdata=None),
        "logout_form": LogoutForm(formdata=None),
    }


# The guard ------------------------------------------------------------------------------------


def current_viewer() -> Viewer:
    viewer = getattr(g, "viewer", None)
    assert viewer is not None, "the guard lets no anonymous request through"
    return viewer


def _load_viewer() -> Viewer | None:
    token = session.get("sid")
    if not isinstance(token, str):
        return None
    with db.session_scope() as s:
        row = find_session(s, token)
        if row is None:
            return None
        return load_viewer(s, row.account_kind, row.account_id)


@bp.before_request
def _guard() -> Response | None:
    chosen = session.get("lang")
    g.lang = chosen if chosen in LANGS else DEFAULT_LANG
    if request.endpoint not in PUBLIC:
        viewer = _load_viewer()
        if viewer is None:  # nothing of the console answers without a login
            if request.method == "GET" and request.endpoint is not None:
                session["next"] = request.path
            return redirect(url_for("console.login"))
        g.viewer = viewer
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        csrf.protect()
    return None


@bp.after_request
def _headers(resp: Response) -> Response:
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Referrer-Policy"] = "same-origin"
    if request.endpoint == "console.static":
        resp.headers["Cache-Control"] = "public, max-age=86400"
    else:
        resp.headers["Content-Security-Policy"] = CSP
        resp.headers["Cache-Control"] = "no-store"
        resp.headers["X-Frame-Options"] = "DENY"
    return resp


def _error(status: int, title: str, text: str) -> tuple[str, int]:
    return render_template("console/error.html", title=tr(title), text=tr(text)), status


@bp.errorhandler(NotFound)
def _not_found(_: NotFound) -> tuple[str, int]:
    return _error(404, "err.not_found_title", "err.not_found")


@bp.errorhandler(CSRFError)
def _csrf(_: CSRFError) -> tuple[str, int]:
    return _error(400, "err.csrf_title", "err.csrf")


@bp.errorhandler(TooManyRequests)
def _too_many(_: TooManyRequests) -> tuple[str, int]:
    return _error(429, "err.rate_title", "err.rate")


# Rate limits ------------------------------------------------------------------------------------


def _ip_limit() -> str:
    return str(current_app.config["CONSOLE_IP_LIMIT"])


def _phone_allowed(phone: str) -> bool:
    """Counts a code sent to this phone; False once CONSOLE_CODE_LIMIT is reached."""
    strategy = limiter.limiter
    items = parse_many(current_app.config["CONSOLE_CODE_LIMIT"])
    return all([strategy.hit(item, "console-code", phone) for item in items])


# Views ------------------------------------------------------------------------------------------


def _send_code(kind: AccountKind, phone: str, account_id: int | None) -> None:
    """A code to the phone when it belongs to an account of this kind (silently nothing else)."""
    from workers.sending import enqueue_send

    if not _phone_allowed(phone):
        raise TooManyRequests()
    session["pending"] = {"phone": phone, "kind": kind.value}
    if account_id is None:
        return
    with db.session_scope() as s:
        if phone_locked_until(s, phone, _now()) is not None:
            return
        language = (
            s.get(ConsoleAdmin, account_id).language  # type: ignore[union-attr]
            if kind == AccountKind.ADMIN
            else _supervisor_language(s, account_id)
        )
        issued = issue_code(
            s,
            phone=phone,
            kind=kind,
            account_id=account_id,
            pepper=_pepper(),
            language=language,
        )
    enqueue_send(issued.outbound_id)
    log.info("console code queued for %s %s, outbound %s", kind, account_id, issued.outbound_id)


def _supervisor_language(s: Any, supervisor_id: int) -> str:
    from models.clubs import Supervisor

    sup = s.get(Supervisor, supervisor_id)
    return sup.language if sup is not None else "vi"


def _pepper() -> bytes:
    return str(current_app.secret_key).encode()


def _now() -> datetime:
    from menus.clock import utcnow

    return utcnow()


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_ip_limit, methods=["POST"])
def login() -> Any:
    form = PhoneForm()
    error = None
    if form.validate_on_submit():
        phone = normalize_mobile(form.phone.data or "")
        if phone is None:
            error = tr("login.bad_phone")
        else:
            with db.session_scope() as s:
                account = find_account(s, AccountKind.SUPERVISOR, phone)
            _send_code(AccountKind.SUPERVISOR, phone, account)
            return redirect(url_for("console.login_code"))
    return render_template("console/login.html", form=form, error=error, admin=False)


@bp.route("/login/admin", methods=["GET", "POST"])
@limiter.limit(_ip_limit, methods=["POST"])
def login_admin() -> Any:
    form = AdminForm()
    error = None
    if form.validate_on_submit():
        phone = normalize_mobile(form.phone.data or "")
        stored = None
        account = None
        if phone is not None:
            with db.session_scope() as s:
                admin = s.get(ConsoleAdmin, find_account(s, AccountKind.ADMIN, phone) or 0)
                if admin is not None:
                    account, stored = admin.id, admin.password_hash
        ok = verify_password(form.password.data or "", stored or _DUMMY_HASH) and stored
        if phone is None or not ok:
            error = tr("login.bad_password")
        else:
            _send_code(AccountKind.ADMIN, phone, account)
            return redirect(url_for("console.login_code"))
    return render_template("console/login.html", form=form, error=error, admin=True)


@bp.route("/login/code", methods=["GET", "POST"])
@limiter.limit(_ip_limit, methods=["POST"])
def login_code() -> Any:
    pending = session.get("pending")
    if not isinstance(pending, dict) or pending.get("kind") not in set(AccountKind):
        flash(tr("login.no_pending"))
        return redirect(url_for("console.login"))
    kind = AccountKind(pending["kind"])
    phone = str(pending["phone"])
    form = CodeForm()
    error = None
    if form.validate_on_submit():
        with db.session_scope() as s:
            checked = check_code(
                s, phone=phone, kind=kind, code=form.code.data or "", pepper=_pepper()
            )
            token = None
            if checked.result == CodeResult.OK:
                assert checked.account_id is not None
                viewer = load_viewer(s, kind, checked.account_id)
                if viewer is not None:
                    hours = current_app.config[
                        "CONSOLE_ADMIN_HOURS"
                        if kind == AccountKind.ADMIN
                        else "CONSOLE_SUPERVISOR_HOURS"
                    ]
                    token = open_session(s, kind, viewer.id, timedelta(hours=hours))
                    audit(s, viewer, "login")
        if token is not None:
            lang, target = g.lang, session.get("next")
            session.clear()  # a new session: nothing from before the login carries over
            session.permanent = True
            session["sid"] = token
            session["lang"] = lang
            log.info("console login: %s", kind)
            if not (isinstance(target, str) and target.startswith("/console/")):
                target = url_for("console.overview")
            return redirect(target)
        if checked.result == CodeResult.WRONG:
            error = tr("login.wrong", left=checked.tries_left)
        elif checked.result == CodeResult.LOCKED:
            error = tr("login.locked")
        else:
            error = tr("login.expired")
    return render_template(
        "console/code.html",
        form=form,
        error=error,
        phone=_masked(phone),
        again=url_for("console.login_admin" if kind == AccountKind.ADMIN else "console.login"),
    )


@bp.post("/logout")
def logout() -> Any:
    LogoutForm()  # the CSRF token was checked by the guard
    token = session.get("sid")
    if isinstance(token, str):
        with db.session_scope() as s:
            end_session(s, token)
    lang = g.lang
    session.clear()
    session["lang"] = lang
    flash(tr("login.logged_out"))
    return redirect(url_for("console.login"))


@bp.post("/lang")
def lang() -> Any:
    form = LangForm()
    if form.lang.data in LANGS:
        session["lang"] = form.lang.data
    target = form.next.data or ""
    if not target.startswith("/console") or target.startswith("//"):
        target = url_for("console.overview")
    return redirect(target)
