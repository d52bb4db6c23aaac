"""The USSD journeys as data: a table of screens and one pure `step(state, input, ctx)`.

A state is a small JSON-able dict the gateway keeps per session. step() reads views only through
ctx.load and never writes: what must happen elsewhere (a form to record, a PIN try to count)
leaves as effects in state["fx"], which the gateway carries out and drops.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from menus.encoding import GSM7_EXTENSION, USSD_GSM7_MAX, USSD_UCS2_MAX, fits_ussd, is_gsm7
from menus.i18n import DEFAULT_LANG, SOURCE_LANG, available_languages, resolve_language, t
from menus.money import parse_money
from menus.text import strip_accents
from menus.views import (
    money,
    render_area_head,
    render_area_line,
    render_club,
    render_fund,
    render_health,
    render_loan,
    render_meeting,
)

if TYPE_CHECKING:
    from models.views import Caller

BACK, HOME, MORE = "0", "00", "98"
MORE_KEY = "ussd.more"
MAX_LIST = 97  # dynamic lists are numbered 1..97: 98 pages, 0 and 00 navigate
MAX_STACK = 30
PIN_TRIES = 3
NOTE_MAX = 60

# Role names as stored (models.enums.Role); menus/ imports no models.
BOARD = frozenset({"chair", "vice_chair", "secretary", "treasurer"})
HEALTH = BOARD | {"health_volunteer"}
HOMECARE = BOARD | {"homecare_volunteer"}
REPORTERS = HEALTH | HOMECARE


class Reply(NamedTuple):
    text: str
    end: bool


class Problem(NamedTuple):
    """A user mistake on a question: the catalog key of the line that says so."""

    key: str
    params: Mapping[str, Any] = {}


@dataclass(frozen=True)
class UssdContext:
    """Who is calling and how to read what the screens show (all loaded by the gateway).

    load(kind, key) returns a view: ("loan"|"health", member id), ("meeting"|"fund", caller),
    ("roster", club id) -> {number: first name}, ("area", supervisor id), ("club", club id),
    ("pin_failures", member id) -> int. check_pin(member id, pin) -> bool.
    """

    people: tuple[Caller, ...]
    load: Callable[[str, Hashable], Any]
    check_pin: Callable[[int, str], bool]
    resume: Mapping[str, Any] | None = None
    languages: tuple[str, ...] | None = None


# The table -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    key: str
    label: str  # catalog key
    to: str  # screen id, or an action: "@who", "@lang", "@resume", "@restart"
    roles: frozenset[str] | None = None  # who sees it; None: everyone
    value: str | None = None  # stored in the form under the menu's field


@dataclass(frozen=True)
class Menu:
    options: tuple[Option, ...] = ()
    title: str | None = None  # catalog key
    source: str | None = None  # options built at run time: a name in SOURCES
    field: str | None = None
    form: str | None = None


@dataclass(frozen=True)
class Ask:
    prompt: str  # catalog key, formatted with the form so far
    field: str
    check: str  # a name in CHECKS
    to: str
    form: str | None = None


@dataclass(frozen=True)
class Show:
    view: str  # a name in VIEWS
    pin: bool = False


@dataclass(frozen=True)
class Confirm:
    command: str  # a name in COMMANDS: the summary shown and the SMS command sent
    to: str
    form: str


@dataclass(frozen=True)
class Final:
    text: str  # catalog key


Screen = Menu | Ask | Show | Confirm | Final


def _opts(*rows: tuple[str, str, str] | Option) -> tuple[Option, ...]:
    return tuple(r if isinstance(r, Option) else Option(*r) for r in rows)


SCREENS: dict[str, Screen] = {
    "unknown": Final("ussd.unknown"),
    "resume": Menu(
        _opts(("1", "ussd.resume.go", "@resume"), ("2", "ussd.resume.restart", "@restart")),
        title="ussd.resume.title",
    ),
    "who": Menu(title="ussd.who.title", source="people"),
    "home": Menu(
        _opts(
            ("1", "ussd.home.loan", "loan"),
            ("2", "ussd.home.health", "health"),
            ("3", "ussd.home.meeting", "meeting"),
            ("4", "ussd.home.help", "help_kind"),
            ("5", "ussd.home.fund", "fund"),
            ("6", "ussd.home.lang", "lang"),
            Option("7", "ussd.home.forms", "forms", roles=REPORTERS),
        )
    ),
    "loan": Show("loan", pin=True),
    "health": Show("health", pin=True),
    "meeting": Show("meeting"),
    "fund": Show("fund"),
    "lang": Menu(source="languages"),  # each language named in itself: no title needed
    "help_kind": Menu(
        _opts(
            Option("1", "ussd.help.ill", "help_note", value="ill"),
            Option("2", "ussd.help.housework", "help_note", value="housework"),
            Option("3", "ussd.help.other", "help_note", value="other"),
        ),
        title="ussd.help.title",
        field="kind",
        form="help",
    ),
    "help_note": Ask("ussd.help.note", "note", "note", "help_confirm", form="help"),
    "help_confirm": Confirm("help", "help_sent", form="help"),
    "help_sent": Final("ussd.help.sent"),
    "forms": Menu(
        _opts(
            Option("1", "ussd.forms.att", "att_mode", roles=BOARD),
            Option("2", "ussd.forms.pay", "pay_member", roles=BOARD),
            Option("3", "ussd.forms.bp", "bp_member", roles=HEALTH),
            Option("4", "ussd.forms.visit", "visit_member", roles=HOMECARE),
        ),
        title="ussd.forms.title",
    ),
    "att_mode": Menu(
        _opts(
            Option("1", "ussd.att.some", "att_absent", value="absent"),
            Option("2", "ussd.att.all", "att_confirm", value="all"),
        ),
        title="ussd.att.title",
        field="mode",
        form="att",
    ),
    "att_absent": Ask("ussd.att.ask", "absent", "members", "att_confirm", form="att"),
    "att_confirm": Confirm("att", "sent", form="att"),
    "pay_member": Ask("ussd.ask.member", "member", "member", "pay_amount", form="pay"),
    "pay_amount": Ask("ussd.pay.amount", "amount", "money", "pay_confirm", form="pay"),
    "pay_confirm": Confirm("pay", "sent", form="pay"),
    "bp_member": Ask("ussd.ask.member", "member", "member", "bp_sys", form="bp"),
    "bp_sys": Ask("ussd.bp.sys", "sys", "systolic", "bp_dia", form="bp"),
    "bp_dia": Ask("ussd.bp.dia", "dia", "diastolic", "bp_confirm", form="bp"),
    "bp_confirm": Confirm("bp", "sent", form="bp"),
    "visit_member": Ask("ussd.ask.member", "member", "member", "visit_confirm", form="visit"),
    "visit_confirm": Confirm("visit", "sent", form="visit"),
    "sent": Final("ussd.sent"),
    "pin": Ask("ussd.pin.ask", "pin", "pin", "@then"),
    "pin_missing": Show("pin_missing"),
    "pin_locked": Final("ussd.pin.locked"),
    "sup_home": Menu(source="clubs", field="club"),
    "sup_club": Show("club"),
}

# The screens a session may start on; every other screen is reached from these.
ENTRY_SCREENS = ("unknown", "resume", "who", "home", "sup_home")
FORM_LABELS = {
    "att": "ussd.forms.att",
    "pay": "ussd.forms.pay",
    "bp": "ussd.forms.bp",
    "visit": "ussd.forms.visit",
    "help": "ussd.home.help",
}
# How a help request reads in the SMS language (workers.sms.help_kind reads the first words).
HELP_WORDS = {"ill": "om", "housework": "viec nha", "other": ""}


# Where the "@" actions of options lead, and the rules beyond options (for the table's walker).
ACTIONS: dict[str, tuple[str, ...]] = {
    "@who": ("home", "sup_home"),
    "@lang": ("home",),
    "@restart": ("who", "home", "sup_home"),
    "@resume": (),  # any screen of a form: see edges()
    "@then": (),  # the PIN-guarded screen asked for: see edges()
}
SOURCE_TARGETS = {"people": "@who", "languages": "@lang", "clubs": "sup_club"}
PIN_GATE = ("pin", "pin_missing", "pin_locked")


def edges(screen_id: str) -> set[str]:
    """The screens one answer can lead to from screen_id (navigation with 0/00 aside)."""
    screen = SCREENS[screen_id]
    if isinstance(screen, Menu):
        raw = [o.to for o in screen.options]
        raw += [SOURCE_TARGETS[screen.source]] if screen.source else []
    elif isinstance(screen, Ask):
        raw = [screen.to] + (list(PIN_GATE) if screen.check == "pin" else [])
    elif isinstance(screen, Confirm):
        raw = [screen.to, "home"]
    else:
        raw = []
    out: set[str] = set()
    for target in raw:
        if target == "@resume":
            out |= {k for k, v in SCREENS.items() if getattr(v, "form", None)}
        elif target == "@then":
            out |= {k for k, v in SCREENS.items() if isinstance(v, Show) and v.pin}
        else:
            out |= set(ACTIONS.get(target, (target,)))
    for target in list(out):
        if isinstance(SCREENS.get(target), Show) and SCREENS[target].pin:  # type: ignore[union-attr]
            out |= set(PIN_GATE)
    return out


def form_of(state: Mapping[str, Any]) -> str | None:
    """The form the session is in the middle of (resumable), or None."""
    screen = SCREENS.get(state.get("at", ""))
    return getattr(screen, "form", None)


def is_end(state: Mapping[str, Any]) -> bool:
    return isinstance(SCREENS.get(state.get("at", "")), Final)


# Who is calling ------------------------------------------------------------------------------


def _me(state: Mapping[str, Any], ctx: UssdContext) -> Caller | None:
    who = state.get("me")
    if not who:
        return None
    return next((p for p in ctx.people if [p.kind, p.id] == list(who)), None)


def _home_of(person: Caller) -> str:
    return "sup_home" if person.kind == "supervisor" else "home"


def _lang_of(person: Caller | None) -> str:
    return resolve_language(person.language if person else None)


def _fresh(ctx: UssdContext, *, resume: bool = True) -> dict[str, Any]:
    """The state of a new session: unknown phone, resume offer, "who are you", or home."""
    st: dict[str, Any] = {
        "at": "unknown",
        "stack": [],
        "page": 0,
        "lang": DEFAULT_LANG,
        "me": None,
        "form": {},
        "pin": [],
        "then": None,
        "msg": None,
        "forms": 0,
        "fx": [],
        "resume": None,
    }
    people = ctx.people
    snap = ctx.resume if resume else None
    if not people:
        return st
    if snap and snap.get("at") in SCREENS and _me(snap, ctx) is not None:
        st.update(at="resume", resume=dict(snap), lang=resolve_language(snap.get("lang")))
    elif len(people) > 1:
        st.update(at="who", lang=_lang_of(people[0]))
    else:
        st.update(
            at=_home_of(people[0]), me=[people[0].kind, people[0].id], lang=_lang_of(people[0])
        )
    return st


# Stepping ------------------------------------------------------------------------------------


def step(
    state: Mapping[str, Any], user_input: str, ctx: UssdContext
) -> tuple[dict[str, Any], Reply]:
    """One hop: the state after user_input and the screen to answer with.

    An empty state starts a session (then applies user_input, if any, as its first answer).
    """
    if not state or state.get("at") not in SCREENS:
        st = _fresh(ctx)
        if user_input == "":
            return st, render(st, ctx)
    else:
        st = {
            **state,
            "stack": list(state.get("stack", [])),
            "form": dict(state.get("form", {})),
            "pin": list(state.get("pin", [])),
            "views": dict(state.get("views", {})),
        }
    st["msg"], st["fx"] = None, []
    _handle(st, user_input.strip(), ctx)
    return st, _render(st, ctx)


def _handle(st: dict[str, Any], raw: str, ctx: UssdContext) -> None:
    screen = SCREENS[st["at"]]
    if isinstance(screen, Final):
        return
    first = not st["stack"]
    if raw == HOME and not first:
        _home(st, ctx)
    elif raw == BACK and (st["page"] > 0 or not first):
        _back(st)
    elif raw == MORE and st["page"] + 1 < len(pages(st, ctx)):
        st["page"] += 1
    elif isinstance(screen, Menu):
        choices = _choices(screen, st, ctx, labels=False)[1]
        choice = next((c for c in choices if c.key == raw), None)
        if choice is None:
            _again(st)
        else:
            _choose(st, screen, choice, ctx)
    elif isinstance(screen, Ask):
        _answer(st, screen, raw, ctx)
    elif isinstance(screen, Confirm) and raw in ("1", "2"):
        if raw == "1":
            _submit(st, screen, ctx)
        else:
            _home(st, ctx)
            st["msg"] = ["ussd.cancelled", {}]
    else:
        _again(st)


def _again(st: dict[str, Any], key: str = "ussd.again", params: Mapping[str, Any] = {}) -> None:
    st["msg"], st["page"] = [key, dict(params)], 0


def _home(st: dict[str, Any], ctx: UssdContext) -> None:
    me = _me(st, ctx)
    if me is None:
        _again(st)
        return
    st.update(
        at=_home_of(me), stack=["who"] if len(ctx.people) > 1 else [], page=0, form={}, then=None
    )


def _back(st: dict[str, Any]) -> None:
    if st["page"] > 0:
        st["page"] -= 1
        return
    st["at"], st["page"] = st["stack"].pop(), 0


def _goto(st: dict[str, Any], target: str, ctx: UssdContext) -> None:
    screen = SCREENS[target]
    if isinstance(screen, Show) and screen.pin:
        target = _pin_gate(st, target, ctx)
        screen = SCREENS[target]
    form = getattr(screen, "form", None)
    if form and form != form_of(st):
        st["form"] = {}
    st["stack"] = (st["stack"] + [st["at"]])[-MAX_STACK:]
    st["at"], st["page"] = target, 0


def _choose(st: dict[str, Any], screen: Menu, choice: Choice, ctx: UssdContext) -> None:
    if screen.field and choice.value is not None:
        st["form"][screen.field] = choice.value
    if choice.to == "@who":
        kind, _, ident = (choice.value or "").partition(":")
        st["me"] = [kind, int(ident)]
        me = _me(st, ctx)
        assert me is not None  # the choices are the people in ctx
        st["lang"] = _lang_of(me)
        _goto(st, _home_of(me), ctx)
    elif choice.to == "@lang":
        me = _me(st, ctx)
        st["lang"] = choice.value or DEFAULT_LANG
        _emit(st, me, _lang_command(st["lang"]))
        _home(st, ctx)
        st["msg"] = ["ussd.lang.done", {}]
    elif choice.to == "@resume":
        snap = st.get("resume") or {}
        st.update(
            {
                **snap,
                "pin": [],
                "then": None,
                "msg": None,
                "resume": None,
                "forms": st["forms"],
                "fx": st["fx"],
            }
        )
    elif choice.to == "@restart":
        forms, fx = st["forms"], st["fx"]
        st.clear()
        st.update(_fresh(ctx, resume=False), forms=forms, fx=fx)
    else:
        _goto(st, choice.to, ctx)


def _emit(st: dict[str, Any], me: Caller | None, command: str) -> None:
    """A form to record through the SMS path: the gateway enqueues it with a per-form key."""
    st["forms"] += 1
    st["fx"].append({"job": command, "member": me.id if me else None, "no": st["forms"]})


def _submit(st: dict[str, Any], screen: Confirm, ctx: UssdContext) -> None:
    me = _me(st, ctx)
    _emit(st, me, COMMANDS[screen.command][1](st["form"], ctx, me))
    _goto(st, screen.to, ctx)


def _answer(st: dict[str, Any], screen: Ask, raw: str, ctx: UssdContext) -> None:
    if screen.check == "pin":
        _pin_answer(st, raw, ctx)
        return
    got = CHECKS[screen.check](raw, st, ctx)
    if isinstance(got, Problem):
        _again(st, got.key, got.params)
        return
    st["form"].update(got)
    _goto(st, screen.to, ctx)


# PIN -----------------------------------------------------------------------------------------


def _pin_gate(st: dict[str, Any], target: str, ctx: UssdContext) -> str:
    """The screen to show instead of target while the caller's PIN is required and not given."""
    me = _me(st, ctx)
    if me is None or me.kind != "member" or not me.pin_required or me.id in st["pin"]:
        return target
    if not me.has_pin:
        return "pin_missing"
    if ctx.load("pin_failures", me.id) >= PIN_TRIES:
        return "pin_locked"
    st["then"] = target
    return "pin"


def _pin_answer(st: dict[str, Any], raw: str, ctx: UssdContext) -> None:
    me = _me(st, ctx)
    if me is None or not st.get("then") or st["then"] not in SCREENS:
        _home(st, ctx)
        return
    got = CHECKS["pin"](raw, st, ctx)
    if isinstance(got, Problem):
        _again(st, got.key, got.params)
        return
    if ctx.load("pin_failures", me.id) >= PIN_TRIES:
        st["at"] = "pin_locked"
        return
    if ctx.check_pin(me.id, raw):
        st["pin"].append(me.id)
        st["fx"].append({"pin_ok": me.id})
        st["at"], st["then"], st["page"] = st["then"], None, 0
        return
    st["fx"].append({"pin_fail": me.id})
    left = PIN_TRIES - ctx.load("pin_failures", me.id) - 1
    if left <= 0:
        st["at"] = "pin_locked"
    else:
        _again(st, "ussd.pin.wrong", {"left": left})


# Checks: answer -> form fields, or a Problem -------------------------------------------------

Check = Callable[[str, dict[str, Any], UssdContext], "dict[str, Any] | Problem"]
_NUMBER = re.compile(r"(?:#|tv)?\s*([0-9]{1,4})", re.IGNORECASE)
_RANGE = re.compile(r"([0-9]{1,4})(?:-([0-9]{1,4}))?")


def _roster(st: Mapping[str, Any], ctx: UssdContext) -> dict[int, str]:
    me = _me(st, ctx)
    return ctx.load("roster", me.club_id) if me is not None else {}


def check_member(raw: str, st: dict[str, Any], ctx: UssdContext) -> dict[str, Any] | Problem:
    m = _NUMBER.fullmatch(raw)
    if m is None:
        return Problem("ussd.err.number")
    number = int(m[1])
    roster = _roster(st, ctx)
    if number not in roster:
        return Problem("ussd.err.member", {"member": number})
    return {"member": number, "name": roster[number]}


def check_members(raw: str, st: dict[str, Any], ctx: UssdContext) -> dict[str, Any] | Problem:
    """Card numbers and ranges separated by anything but digits and "-": "3*7*9", "3 7 10-12"."""
    tokens = [x for x in re.split(r"[^0-9-]+", raw[:300]) if x]
    numbers: set[int] = set()
    for tok in tokens:
        m = _RANGE.fullmatch(tok)
        if m is None:
            return Problem("ussd.err.numbers")
        lo, hi = int(m[1]), int(m[2] or m[1])
        if hi < lo or hi - lo > 200:
            return Problem("ussd.err.numbers")
        numbers.update(range(lo, hi + 1))
    if not numbers:
        return Problem("ussd.err.numbers")
    unknown = sorted(numbers - _roster(st, ctx).keys())
    if unknown:
        return Problem("ussd.err.members", {"members": " ".join(map(str, unknown[:8]))})
    return {"absent": sorted(numbers)}


def check_money(raw: str, st: dict[str, Any], ctx: UssdContext) -> dict[str, Any] | Problem:
    amount = parse_money(raw[:40])
    return Problem("ussd.err.money") if amount is None else {"amount": amount}


def _int(raw: str) -> int | None:
    return int(raw) if re.fullmatch(r"[0-9]{1,3}", raw) else None


def check_systolic(raw: str, st: dict[str, Any], ctx: UssdContext) -> dict[str, Any] | Problem:
    value = _int(raw)
    return {"sys": value} if value is not None and 60 <= value <= 260 else Problem("ussd.err.sys")


def check_diastolic(raw: str, st: dict[str, Any], ctx: UssdContext) -> dict[str, Any] | Problem:
    value = _int(raw)
    if value is None or not 30 <= value <= 160 or value >= int(st["form"].get("sys", 999)):
        return Problem("ussd.err.dia")
    return {"dia": value}


def check_note(raw: str, st: dict[str, Any], ctx: UssdContext) -> dict[str, Any] | Problem:
    """Free words, or "1" for none; ";" and line breaks would split the SMS command."""
    if raw == "1":
        return {"note": ""}
    note = " ".join(re.sub(r"[;\r\n\x00-\x1f]+", " ", raw).split())[:NOTE_MAX]
    return {"note": note} if note else Problem("ussd.err.note")


def check_pin_format(raw: str, st: dict[str, Any], ctx: UssdContext) -> dict[str, Any] | Problem:
    return {} if re.fullmatch(r"[0-9]{4}", raw) else Problem("ussd.pin.format")


CHECKS: dict[str, Check] = {
    "member": check_member,
    "members": check_members,
    "money": check_money,
    "systolic": check_systolic,
    "diastolic": check_diastolic,
    "note": check_note,
    "pin": check_pin_format,  # the PIN itself is checked by _pin_answer and never stored
}


# Commands: what a confirmed form sends, in the SMS command language --------------------------


def _lang_command(code: str) -> str:
    return "NN VI DAU" if code == SOURCE_LANG else f"NN {code.upper()}"


def _help_command(form: Mapping[str, Any], ctx: UssdContext, me: Caller | None) -> str:
    word, note = HELP_WORDS.get(form.get("kind", ""), ""), form.get("note", "")
    if word and note:
        return f"NHO {word}: {note}"
    return " ".join(x for x in ("NHO", word, note) if x)


def _att_summary(form: Mapping[str, Any], ctx: UssdContext, st: Mapping[str, Any]) -> str:
    roster, lang = _roster(st, ctx), st["lang"]
    absent = form.get("absent", []) if form.get("mode") == "absent" else []
    if not absent:
        return t(lang, "ussd.att.confirm_all", count=len(roster))
    return t(
        lang,
        "ussd.att.confirm_absent",
        count=len(absent),
        absent=" ".join(map(str, absent)),
        present=len(roster) - len(absent),
    )


def _att_command(form: Mapping[str, Any], ctx: UssdContext, me: Caller | None) -> str:
    absent = form.get("absent", []) if form.get("mode") == "absent" else []
    return " ".join(["DD VANG", *map(str, absent)])


def _summary(key: str) -> Callable[[Mapping[str, Any], UssdContext, Mapping[str, Any]], str]:
    def summary(form: Mapping[str, Any], ctx: UssdContext, st: Mapping[str, Any]) -> str:
        lang = st["lang"]
        extra: dict[str, Any] = {}
        if "amount" in form:
            extra["amount"] = money(int(form["amount"]), lang)
        if "kind" in form:
            extra["kind"] = t(lang, f"ussd.help.{form['kind']}")
            extra["note"] = f": {form['note']}" if form.get("note") else ""
        return t(lang, key, **{**form, **extra})

    return summary


Summary = Callable[[Mapping[str, Any], UssdContext, Mapping[str, Any]], str]
Command = Callable[[Mapping[str, Any], UssdContext, "Caller | None"], str]
COMMANDS: dict[str, tuple[Summary, Command]] = {
    "att": (_att_summary, _att_command),
    "pay": (_summary("ussd.pay.confirm"), lambda f, c, m: f"TRA {f['member']} {f['amount']}"),
    "bp": (_summary("ussd.bp.confirm"), lambda f, c, m: f"HA {f['member']} {f['sys']}/{f['dia']}"),
    "visit": (_summary("ussd.visit.confirm"), lambda f, c, m: f"THAM {f['member']}"),
    "help": (_summary("ussd.help.confirm"), _help_command),
}


# Dynamic menus and views ---------------------------------------------------------------------


class Choice(NamedTuple):
    key: str
    label: str  # text, already in the session's language
    to: str
    value: str | None = None


Source = Callable[[dict[str, Any], UssdContext, str], tuple[list[str], list[Choice]]]


def _people(st: dict[str, Any], ctx: UssdContext, lang: str) -> tuple[list[str], list[Choice]]:
    names = [p.first_name for p in ctx.people]
    out = []
    for i, p in enumerate(ctx.people[:MAX_LIST], start=1):
        if p.kind == "supervisor":
            label = t(lang, "ussd.who.supervisor", name=p.first_name)
        elif names.count(p.first_name) > 1:
            label = t(lang, "ussd.who.member", name=p.first_name, number=p.number)
        else:
            label = p.first_name
        out.append(Choice(str(i), label, "@who", f"{p.kind}:{p.id}"))
    return [], out


def language_order(codes: list[str] | tuple[str, ...]) -> list[str]:
    """Unaccented Vietnamese first, then with accents, then the others by code."""
    rank = {DEFAULT_LANG: 0, SOURCE_LANG: 1}
    return sorted(codes, key=lambda c: (rank.get(c, 2), c))


def _languages(st: dict[str, Any], ctx: UssdContext, lang: str) -> tuple[list[str], list[Choice]]:
    codes = language_order(ctx.languages or tuple(available_languages()))[:MAX_LIST]
    return [], [
        Choice(str(i), t(code, "ussd.lang.self"), "@lang", code)
        for i, code in enumerate(codes, start=1)
    ]


def _cached(st: dict[str, Any], key: str, build: Callable[[], Any]) -> Any:
    """A view as first shown in this session: paging, going back and repeated hops read nothing
    again. Sessions last minutes, so what they show is as of that first display."""
    views = st.setdefault("views", {})
    if key not in views:
        views[key] = build()
    return views[key]


def _clubs(st: dict[str, Any], ctx: UssdContext, lang: str) -> tuple[list[str], list[Choice]]:
    me = _me(st, ctx)
    if me is None:
        return [], []

    def build() -> tuple[list[str], list[tuple[str, ...]]]:
        area = ctx.load("area", me.id)
        if not area.clubs:
            return [render_area_head(area, lang), t(lang, "ussd.sup.empty")], []
        return [render_area_head(area, lang)], [
            (str(i), render_area_line(c, lang), "sup_club", str(c.club_id))
            for i, c in enumerate(area.clubs[:MAX_LIST], start=1)
        ]

    head, rows = _cached(st, f"clubs:{me.id}:{lang}", build)
    return list(head), [Choice(*row) for row in rows]


SOURCES: dict[str, Source] = {"people": _people, "languages": _languages, "clubs": _clubs}


def _view_of(kind: str, render_view: Callable[[Any, str], str], *, by: str) -> Callable[..., str]:
    def view(st: dict[str, Any], ctx: UssdContext, lang: str) -> str:
        me = _me(st, ctx)
        assert me is not None
        key: Hashable = me.id if by == "id" else me
        return _cached(st, f"{kind}:{me.id}:{lang}", lambda: render_view(ctx.load(kind, key), lang))

    return view


VIEWS: dict[str, Callable[[dict[str, Any], UssdContext, str], str]] = {
    "loan": _view_of("loan", render_loan, by="id"),
    "health": _view_of("health", render_health, by="id"),
    "meeting": _view_of("meeting", render_meeting, by="caller"),
    "fund": _view_of("fund", render_fund, by="caller"),
    "club": lambda st, ctx, lang: _cached(
        st,
        f"club:{st['form']['club']}:{lang}",
        lambda: render_club(ctx.load("club", int(st["form"]["club"])), lang),
    ),
    "pin_missing": lambda st, ctx, lang: t(lang, "ussd.pin.missing"),
}


def _choices(
    screen: Menu, st: dict[str, Any], ctx: UssdContext, *, labels: bool = True
) -> tuple[list[str], list[Choice]]:
    """A menu's title lines and options; labels=False skips the texts (to match an answer)."""
    lang = st["lang"]
    title = [t(lang, screen.title, form=_form_label(st, lang))] if screen.title and labels else []
    if screen.source:
        head, dynamic = SOURCES[screen.source](st, ctx, lang)
        return title + head, dynamic
    me = _me(st, ctx)
    roles = me.roles if me is not None else frozenset()
    return title, [
        Choice(o.key, t(lang, o.label) if labels else "", o.to, o.value)
        for o in screen.options
        if o.roles is None or roles & o.roles
    ]


def _form_label(st: Mapping[str, Any], lang: str) -> str:
    snap = st.get("resume") or {}
    key = FORM_LABELS.get(form_of(snap) or "")
    return t(lang, key) if key else ""


# Rendering -----------------------------------------------------------------------------------


def render(state: Mapping[str, Any], ctx: UssdContext) -> Reply:
    """The screen a state shows: its page, with any "Chon lai" or error line on top."""
    return _render({**state, "views": dict(state.get("views", {}))}, ctx)


def _render(st: dict[str, Any], ctx: UssdContext) -> Reply:
    screen = SCREENS[st["at"]]
    if isinstance(screen, Final):
        lang = st["lang"]
        lines = [*_head(st, lang), t(lang, screen.text)]
        return Reply(_in_lang(lang, "\n".join(lines)), True)
    shown = pages(st, ctx)
    return Reply(shown[min(st.get("page", 0), len(shown) - 1)], False)


def _head(st: Mapping[str, Any], lang: str) -> list[str]:
    msg = st.get("msg")
    return [t(lang, msg[0], **msg[1])] if msg else []


def _in_lang(lang: str, text: str) -> str:
    # Names and other languages' labels may carry accents that unaccented Vietnamese never shows.
    return strip_accents(text) if lang == DEFAULT_LANG and not text.isascii() else text


def _body(screen: Screen, st: dict[str, Any], ctx: UssdContext, lang: str) -> list[str]:
    if isinstance(screen, Menu):
        title, choices = _choices(screen, st, ctx)
        return title + [f"{c.key} {c.label}" for c in choices]
    if isinstance(screen, Ask):
        return [t(lang, screen.prompt, **st["form"])]
    if isinstance(screen, Show):
        return VIEWS[screen.view](st, ctx, lang).split("\n")
    assert isinstance(screen, Confirm)
    summary = COMMANDS[screen.command][0](st["form"], ctx, st)
    return [summary, f"1 {t(lang, 'ussd.confirm.send')}", f"2 {t(lang, 'ussd.confirm.cancel')}"]


def pages(st: dict[str, Any], ctx: UssdContext) -> list[str]:
    """Every page of the screen a (non-final) state shows."""
    lang = st["lang"]
    body = _body(SCREENS[st["at"]], st, ctx, lang)
    lines = [_in_lang(lang, x) for x in [*_head(st, lang), *body]]
    footer = [_in_lang(lang, t(lang, "ussd.nav"))] if st["stack"] else []
    return paginate(lines, footer, _in_lang(lang, t(lang, MORE_KEY)))


def _units(text: str, ucs2: bool) -> int:
    if ucs2:
        return sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)
    return len(text) + sum(ch in GSM7_EXTENSION for ch in text)


def _chunks(line: str, room: int, ucs2: bool) -> list[str]:
    """A line cut at spaces (or anywhere, for a word too long) into pieces of at most room."""
    if _units(line, ucs2) <= room:
        return [line]
    out: list[str] = []
    cur = ""
    for word in line.split(" "):
        while _units(word, ucs2) > room:
            if cur:
                out.append(cur)
                cur = ""
            cut = room
            while _units(word[:cut], ucs2) > room:
                cut -= 1
            out.append(word[:cut])
            word = word[cut:]
        joined = f"{cur} {word}" if cur else word
        if _units(joined, ucs2) <= room:
            cur = joined
        else:
            out.append(cur)
            cur = word
    if cur:
        out.append(cur)
    return out


def paginate(lines: list[str], footer: list[str], more: str) -> list[str]:
    """Screens that each fit USSD: lines in order, "more" on every page but the last, and the
    footer (the 0/00 hint) on the last. The whole screen's encoding sets every page's limit."""
    whole = "\n".join(lines + footer)
    if fits_ussd(whole):
        return [whole]
    ucs2 = not is_gsm7(whole)
    limit = USSD_UCS2_MAX if ucs2 else USSD_GSM7_MAX
    room = max(limit - _units(more, ucs2) - 1, 8)
    room_last = max(limit - sum(_units(x, ucs2) + 1 for x in footer), 8)
    pages: list[list[str]] = []
    cur: list[str] = []
    used = 0
    for line in lines:
        for chunk in _chunks(line, min(room, room_last), ucs2):
            need = _units(chunk, ucs2) + (1 if cur else 0)
            if cur and used + need > room:
                pages.append(cur)
                cur, used = [chunk], _units(chunk, ucs2)
            else:
                cur.append(chunk)
                used += need
    if used > room_last:  # the last page also carries the footer: its last line moves on
        pages.append(cur[:-1])
        cur = cur[-1:]
    pages.append(cur)
    last = len(pages) - 1
    return ["\n".join(p + ([more] if i < last else footer)) for i, p in enumerate(pages)]
