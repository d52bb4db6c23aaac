"""The screen table itself: every target exists, every screen is reachable, every rendering in
every language fits its limit; step() is pure and never raises, whatever is typed."""

from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import Hashable
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from menus import ussd
from menus.encoding import USSD_GSM7_MAX, USSD_UCS2_MAX, fits_ussd, is_gsm7
from menus.i18n import available_languages, t
from models.stats import AreaMonth, ClubMonth
from models.views import Caller, FundView, HealthView, LoanView, MeetingView, Payment, Reading

LANGS = tuple(available_languages())
ALL_ROLES = frozenset({"chair", "secretary", "health_volunteer", "homecare_volunteer"})
TODAY = date(2026, 11, 20)


def club_month(i: int, *, silent: bool = False) -> ClubMonth:
    return ClubMonth(
        club_id=i,
        code=f"GL{i:014d}",
        name="CLB Liên thế hệ " * 5,
        language="vi",
        period_start=date(2026, 11, 1),
        period_end=TODAY,
        reported=not silent,
        last_report_on=TODAY,
        meetings=1,
        meeting_on=TODAY,
        present=999,
        active_members=999,
        repaid_vnd=999_999_999,
        repayments=999,
        overdue_loans=999,
        overdue_vnd=999_999_999,
        readings=999,
        red_alerts=999,
        red_members=999,
        areas=tuple(range(1, 9)),
        home_visits=999,
        open_help=999,
    )


CLUBS = tuple(club_month(i, silent=i % 3 == 0) for i in range(1, 131))
BIG = 999_999_999
VIEWS: dict[str, Any] = {
    "loan": LoanView(3, BIG, TODAY, BIG, 99, BIG, tuple(Payment(TODAY, 9_999_999) for _ in "abc")),
    "health": HealthView(
        tuple(Reading(TODAY, 260, 160, "high_normal", "red") for _ in "abc"), "same"
    ),
    "meeting": MeetingView(TODAY, "Nhà văn hóa thôn " * 12, 999, 999),
    "fund": FundView(-BIG, BIG),
    "roster": {n: "Phượng" for n in range(1, 121)},
    "area": AreaMonth.build(7, date(2026, 11, 1), TODAY, CLUBS),
    "club": club_month(1),
}


def worst_people(count: int = 9) -> tuple[Caller, ...]:
    members = tuple(
        Caller(
            kind="member",
            id=i,
            first_name="Hương" if i % 2 else "H'Nhiên-Đăk",
            language="vi",
            club_id=1,
            number=1000 + i,
            roles=ALL_ROLES,
            pin_required=True,
            has_pin=True,
        )
        for i in range(1, count)
    )
    return (*members, Caller(kind="supervisor", id=7, first_name="Nguyễn-Phương", language="vi"))


def context(
    people: tuple[Caller, ...],
    *,
    views: dict[str, Any] | None = None,
    failures: int = 0,
    resume: dict[str, Any] | None = None,
) -> ussd.UssdContext:
    got = {**VIEWS, **(views or {})}

    def load(kind: str, key: Hashable) -> Any:
        return failures if kind == "pin_failures" else got[kind]

    return ussd.UssdContext(
        people=people, load=load, check_pin=lambda mid, pin: pin == "1234", resume=resume
    )


WORST_FORM = {
    "member": 9999,
    "name": "Phượng-Hương",
    "amount": 9_999_999_999,
    "sys": 260,
    "dia": 160,
    "absent": list(range(1, 121)),
    "kind": "housework",
    "note": "đau lưng " * 8,
    "club": "1",
    "mode": "absent",
}
MSG_PARAMS = {"member": 9999, "members": " ".join(["9999"] * 8), "left": 2}


def msg_keys() -> list[str]:
    problems = [
        "ussd.err.number",
        "ussd.err.member",
        "ussd.err.numbers",
        "ussd.err.members",
        "ussd.err.money",
        "ussd.err.sys",
        "ussd.err.dia",
        "ussd.err.note",
        "ussd.pin.format",
        "ussd.pin.wrong",
    ]
    return [*problems, "ussd.again", "ussd.cancelled", "ussd.lang.done"]


def state_at(screen: str, lang: str, people: tuple[Caller, ...], **extra: Any) -> dict[str, Any]:
    me = people[0]
    return {
        "at": screen,
        "stack": ["home"],
        "page": 0,
        "lang": lang,
        "me": [me.kind, me.id],
        "form": dict(WORST_FORM),
        "pin": [],
        "then": "loan",
        "msg": None,
        "forms": 0,
        "fx": [],
        "resume": {"at": "pay_amount", "me": [me.kind, me.id], "lang": lang},
        **extra,
    }


def test_every_target_exists_and_every_screen_is_reachable():
    for sid in ussd.SCREENS:
        assert ussd.edges(sid) <= ussd.SCREENS.keys(), sid
    seen, todo = set(ussd.ENTRY_SCREENS), deque(ussd.ENTRY_SCREENS)
    while todo:
        for nxt in ussd.edges(todo.popleft()) - seen:
            seen.add(nxt)
            todo.append(nxt)
    assert seen == set(ussd.SCREENS)


def test_every_named_part_of_the_table_exists():
    for sid, screen in ussd.SCREENS.items():
        if isinstance(screen, ussd.Menu) and screen.source:
            assert screen.source in ussd.SOURCES, sid
        if isinstance(screen, ussd.Ask):
            assert screen.check in ussd.CHECKS, sid
        if isinstance(screen, ussd.Show):
            assert screen.view in ussd.VIEWS, sid
        if isinstance(screen, ussd.Confirm):
            assert screen.command in ussd.COMMANDS and screen.form in ussd.FORM_LABELS, sid
        for option in getattr(screen, "options", ()):
            assert option.to in ussd.SCREENS or option.to in ussd.ACTIONS, (sid, option)
    assert all(f in ussd.FORM_LABELS for s in ussd.SCREENS.values() if (f := getattr(s, "form", 0)))


@pytest.mark.parametrize("lang", LANGS)
def test_every_rendering_in_every_language_fits(lang):
    people = worst_people()
    ctx = context(people)
    for sid, screen in ussd.SCREENS.items():
        if isinstance(screen, ussd.Final):
            reply = ussd.render(state_at(sid, lang, people), ctx)
            assert reply.end and fits_ussd(reply.text), (sid, reply.text)
            continue
        for stack in ([], ["home"]):
            for msg in [None, *([k, MSG_PARAMS] for k in msg_keys())]:
                for form in (WORST_FORM, {**WORST_FORM, "mode": "all", "note": ""}):
                    st_ = state_at(sid, lang, people, stack=stack, msg=msg, form=dict(form))
                    for page in ussd.pages(st_, ctx):
                        assert fits_ussd(page), (sid, lang, page)
                        limit = USSD_GSM7_MAX if is_gsm7(page) else USSD_UCS2_MAX
                        assert len(page) <= limit


def test_questions_and_confirmations_show_on_one_page_when_nothing_is_wrong():
    # 98 is a valid answer to a question (card number 98), so questions must never page.
    people = (
        Caller(
            kind="member",
            id=1,
            first_name="Lan",
            language="vi",
            club_id=1,
            number=12,
            roles=ALL_ROLES,
        ),
    )
    ctx = context(people)
    form = {
        "member": 12,
        "name": "Lan",
        "amount": 450_000,
        "sys": 150,
        "dia": 95,
        "kind": "ill",
        "note": "",
        "mode": "all",
    }
    for lang in LANGS:
        for sid, screen in ussd.SCREENS.items():
            if isinstance(screen, ussd.Ask):
                assert len(ussd.pages(state_at(sid, lang, people, form=form), ctx)) == 1, sid


@pytest.mark.parametrize("lang", LANGS)
def test_paging_splits_a_long_list_and_says_more(lang):
    people = worst_people()
    ctx = context(people)
    shown = ussd.pages(state_at("sup_home", lang, people), ctx)
    more = t(lang, "ussd.more")
    assert len(shown) > 10
    assert all(p.split("\n")[-1] == more for p in shown[:-1])
    assert more not in shown[-1] and shown[-1].endswith(t(lang, "ussd.nav"))
    listed = [m[1] for p in shown for line in p.split("\n") if (m := re.match(r"(\d+) GL", line))]
    assert [int(x) for x in listed] == list(range(1, ussd.MAX_LIST + 1))


def test_paginate_cuts_long_lines_and_words():
    lines = ["word " * 100, "x" * 400]
    shown = ussd.paginate(lines, ["0 Back"], "98 More")
    assert all(fits_ussd(p) for p in shown) and shown[-1].endswith("\n0 Back")
    assert "".join(p.replace("\n98 More", "").replace("\n0 Back", "") for p in shown).replace(
        "\n", ""
    ).replace(" ", "") == "".join(lines).replace(" ", "")
    assert ussd.paginate(["short"], [], "98 More") == ["short"]


def test_step_is_pure_and_json_round_trips():
    people = worst_people(2)[:1]
    ctx = context(people)
    st0, reply = ussd.step({}, "", ctx)
    frozen = json.dumps(st0, sort_keys=True)
    st1, _ = ussd.step(st0, "1", ctx)
    assert json.dumps(st0, sort_keys=True) == frozen  # the input state is left alone
    assert st1["at"] == "pin" and json.loads(json.dumps(st1)) == st1


def test_first_hop_may_carry_answers_dialled_with_the_code():
    # *384*123*5# arrives as text "5" on the very first hop.
    people = (Caller(kind="member", id=1, first_name="Lan", language="en", club_id=1, number=12),)
    st_, reply = ussd.step({}, "5", context(people))
    assert st_["at"] == "fund" and reply.text.startswith("Club fund:")


def test_pin_lock_counts_failures_from_the_context():
    people = worst_people(2)[:1]
    st_, reply = ussd.step({}, "", context(people, failures=2))
    st_, reply = ussd.step(st_, "2", context(people, failures=2))
    assert st_["at"] == "pin"
    st_, reply = ussd.step(st_, "9999", context(people, failures=2))
    assert reply.end and st_["fx"] == [{"pin_fail": 1}]
    st_, reply = ussd.step({}, "", context(people, failures=3))
    st_, reply = ussd.step(st_, "1", context(people, failures=3))
    assert reply.end and st_["at"] == "pin_locked"


ANSWERS = st.one_of(
    st.sampled_from(
        [
            "",
            "0",
            "00",
            "98",
            "1",
            "2",
            "3",
            "4",
            "5",
            "6",
            "7",
            "12",
            "98",
            "1234",
            "450k",
            "150",
            "95",
            "3*7*9",
            "1-5",
            "9999",
            "#12",
            "TV 12",
            " 1 ",
            "١٢",
        ]
    ),
    st.text(max_size=40),
)
PEOPLE = st.sampled_from(
    [
        (),
        worst_people(2)[:1],
        worst_people(4),
        (worst_people()[-1],),
        (
            Caller(
                kind="member",
                id=5,
                first_name="Lan",
                language="en",
                club_id=1,
                number=12,
                pin_required=True,
                has_pin=False,
            ),
        ),
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    people=PEOPLE,
    answers=st.lists(ANSWERS, max_size=25),
    failures=st.integers(0, 4),
    resume=st.booleans(),
)
def test_step_never_raises_and_every_screen_fits(people, answers, failures, resume):
    snap = state_at("bp_dia", "vi_dau", people) if resume and people else None
    ctx = context(people, failures=failures, resume=snap)
    state: dict[str, Any] = {}
    for answer in answers or [""]:
        state, reply = ussd.step(state, answer, ctx)
        assert fits_ussd(reply.text) and reply.text
        state = json.loads(json.dumps(state))  # as the gateway stores it
        if reply.end:
            again, same = ussd.step(state, answer, ctx)
            assert same == reply  # an ended session stays ended


def _keys(lang: str, name: str) -> set[str]:
    import tomllib

    from menus.i18n import CATALOG_DIR

    def flat(table: dict[str, Any], prefix: str = "") -> set[str]:
        out: set[str] = set()
        for k, v in table.items():
            out |= flat(v, f"{prefix}{k}.") if isinstance(v, dict) else {f"{prefix}{k}"}
        return out

    with (CATALOG_DIR / lang / name).open("rb") as fh:
        return flat(tomllib.load(fh))


@pytest.mark.parametrize("name", ["ussd.toml", "views.toml"])
def test_english_has_every_text_the_source_has(name):
    source, english = _keys("vi_dau", name), _keys("en", name)
    assert source == english
    assert all(k.startswith(("ussd.", "view.")) for k in source)
