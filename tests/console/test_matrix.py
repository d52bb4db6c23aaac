"""Who may open what: every console route x (nobody, the area's supervisor, another area's
supervisor, an administrator), and no data of another area in any answer.

The routes come from app.url_map: a new route without a row here fails the test.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from models import db
from models.clubs import Member
from models.ledger import Loan
from models.records import HelpRequest
from tests.console.conftest import (
    ADMIN_PASSWORD,
    ADMIN_PHONE,
    OTHER_MEMBER_NAME,
    OTHER_SUP_PHONE,
    World,
)
from tests.console.support import TOKEN, csrf, login
from tests.summaries.conftest import SUP_PHONE

ANON, OWN, OTHER, ADMIN = "anon", "own", "other", "admin"
ROLES = (ANON, OWN, OTHER, ADMIN)
LOGIN = "/console/login"


def _ids(world: World) -> dict[str, int]:
    with db.session_scope() as s:
        k12 = world.area.k12.id
        member = s.scalar(select(Member.id).where(Member.club_id == k12, Member.number == 12))
        loan = s.scalar(select(Loan.id).where(Loan.club_id == k12).limit(1))
        help_id = s.scalar(select(HelpRequest.id).where(HelpRequest.member_id == member))
    return {"club": k12, "member": member, "loan": loan, "help": help_id}


# (endpoint, method) -> (path given the ids, form data, expected status per role).
# A POST that changes something runs once per role in ROLES order; logout runs last.
def _matrix(ids: dict[str, int]) -> dict[tuple[str, str], tuple[str, dict[str, str], dict]]:
    page = {ANON: 302, OWN: 200, OTHER: 200, ADMIN: 200}
    scoped = {ANON: 302, OWN: 200, OTHER: 404, ADMIN: 200}
    public = {ANON: 200, OWN: 200, OTHER: 200, ADMIN: 200}
    return {
        ("console.login", "GET"): (LOGIN, {}, public),
        ("console.login", "POST"): (LOGIN, {"phone": "0912345678"}, dict.fromkeys(ROLES, 302)),
        ("console.login_admin", "GET"): ("/console/login/admin", {}, public),
        ("console.login_admin", "POST"): (
            "/console/login/admin",
            {"phone": "0912345678", "password": "x"},
            public,
        ),
        # After the phone typed in the row above: the code page, and a wrong code refused.
        ("console.login_code", "GET"): ("/console/login/code", {}, public),
        ("console.login_code", "POST"): ("/console/login/code", {"code": "000000"}, public),
        ("console.lang", "POST"): ("/console/lang", {"lang": "vi_dau"}, dict.fromkeys(ROLES, 302)),
        ("console.overview", "GET"): ("/console/", {}, page),
        ("console.clubs", "GET"): ("/console/clubs", {}, page),
        ("console.alerts", "GET"): ("/console/alerts", {}, page),
        ("console.club", "GET"): (f"/console/clubs/{ids['club']}", {}, scoped),
        ("console.member", "GET"): (f"/console/members/{ids['member']}", {}, scoped),
        ("console.loan", "GET"): (f"/console/loans/{ids['loan']}", {}, scoped),
        ("console.close", "POST"): (
            f"/console/alerts/help/{ids['help']}/close",
            {"note": "ok", "outcome": "came"},
            {ANON: 302, OTHER: 404, OWN: 302, ADMIN: 302},
        ),
        ("console.logout", "POST"): ("/console/logout", {}, dict.fromkeys(ROLES, 302)),
    }


def _routes(app: Any) -> set[tuple[str, str]]:
    return {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("console.") and rule.endpoint != "console.static"
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def _clients(console: Any) -> dict[str, Any]:
    clients = {role: console.test_client() for role in ROLES}
    login(clients[OWN], SUP_PHONE)
    login(clients[OTHER], OTHER_SUP_PHONE)
    login(clients[ADMIN], ADMIN_PHONE, ADMIN_PASSWORD)
    return clients


AREA_A = ("K12", "K07", "K03", "K20", "Thi Lan", "Le Van Hung")
AREA_B = ("HN01", "Ba Dinh Xa La", OTHER_MEMBER_NAME, "Ha Noi", "Pham Van Khac")


def _leaks(text: str, words: tuple[str, ...]) -> list[str]:
    text = TOKEN.sub("", text)  # random tokens could spell anything
    return [w for w in words if re.search(re.escape(w), text)]


def test_every_route_has_a_row_and_answers_as_expected(console: Any, world: World) -> None:
    ids = _ids(world)
    matrix = _matrix(ids)
    assert _routes(console) == set(matrix), "a console route without a row in the matrix"
    console.config["CONSOLE_CODE_LIMIT"] = "100 per minute"  # four logins ask for one phone
    clients = _clients(console)
    order = sorted(matrix, key=lambda k: k[0] == "console.logout")
    seen: dict[tuple[str, str], dict[str, int]] = {}
    for endpoint, method in order:
        path, data, expected = matrix[(endpoint, method)]
        got: dict[str, int] = {}
        for role in ROLES:
            client = clients[role]
            if method == "GET":
                resp = client.get(path)
            else:
                token = csrf(client, "/console/" if role != ANON else LOGIN)
                resp = client.post(path, data={**data, "csrf_token": token})
            got[role] = resp.status_code
            text = resp.get_data(as_text=True)
            if role == OWN:
                assert _leaks(text, AREA_B) == [], (endpoint, method)
            if role == OTHER:
                assert _leaks(text, AREA_A) == [], (endpoint, method)
            if (
                role == ANON
                and expected[role] == 302
                and endpoint
                not in {
                    "console.login",
                    "console.login_admin",
                    "console.login_code",
                    "console.lang",
                }
            ):
                assert resp.location.endswith(LOGIN), (endpoint, method)
        seen[(endpoint, method)] = got
    wrong = {k: (seen[k], matrix[k][2]) for k in matrix if seen[k] != matrix[k][2]}
    assert wrong == {}


def test_other_area_ids_answer_404_like_missing_ones(console: Any, world: World) -> None:
    clients = _clients(console)
    own = clients[OWN]
    with db.session_scope() as s:
        hn_help = s.scalar(
            select(HelpRequest.id).where(HelpRequest.member_id == world.other_member.id)
        )
    probes: list[tuple[str, Callable[[], Any]]] = [
        ("club", lambda: own.get(f"/console/clubs/{world.other.id}")),
        ("member", lambda: own.get(f"/console/members/{world.other_member.id}")),
        ("missing club", lambda: own.get("/console/clubs/987654")),
        ("missing member", lambda: own.get("/console/members/987654")),
        (
            "close",
            lambda: own.post(
                f"/console/alerts/help/{hn_help}/close",
                data={"csrf_token": csrf(own, "/console/"), "note": "x", "outcome": "came"},
            ),
        ),
    ]
    bodies = set()
    for name, probe in probes:
        resp = probe()
        assert resp.status_code == 404, name
        bodies.add(resp.get_data(as_text=True).count("Không tìm thấy"))
    assert bodies == {2}  # title and heading, the same page for all
    with db.session_scope() as s:
        assert s.get(HelpRequest, hn_help).status == "open"
    # The national administrator sees area B; the province administrator does not.
    assert clients[ADMIN].get(f"/console/clubs/{world.other.id}").status_code == 200
    province = console.test_client()
    login(province, "+84917000901", ADMIN_PASSWORD)
    assert province.get(f"/console/clubs/{world.other.id}").status_code == 404
    assert province.get(f"/console/clubs/{world.area.k12.id}").status_code == 200
