"""Who is calling, PINs and lock-out, resuming a dropped form, and the protocol's rough edges:
repeated hops, lost web processes, bad requests, failures."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gateway.ussd import (
    PIN_LOCK_SECONDS,
    RESUME_SECONDS,
    form_key,
    pin_key,
    resume_key,
    session_key,
)
from menus.i18n import t
from models.admin import add_supervisor
from models.views import set_pin
from tests.factories import MEMBER_PHONE, SECRETARY_PHONE, SHARED_PHONE
from tests.ussd.conftest import add_loan, jobs, member, set_language
from tests.ussd.support import HOME_VI


def test_unknown_phone_gets_one_screen_on_how_to_join(club, phone, rt):
    # Nobody is known on this phone, so the default language is all there is.
    assert (
        phone("+84987654321").dial()
        == "END " + t("vi", "ussd.unknown")
        == ("END So nay chua dang ky. Hay nho thu ky CLB Lien the he gan nha dang ky cho ban.")
    )
    assert jobs(rt) == []


def test_shared_phone_asks_who_is_calling(club, session, phone):
    member(club, 21).full_name = "Ksor H'Bla"
    session.flush()
    ph = phone(SHARED_PHONE)
    ph.talk("""
        >
        < CON Ban la ai?
        < 1 Lan
        < 2 H'Bla
        > 3
        < CON Chon lai:
        < Ban la ai?
        < 1 Lan
        < 2 H'Bla
        > 2
        < @home_vi
        < 0 Quay lai, 00 Menu
        > 0
        < CON Ban la ai?
        < 1 Lan
        < 2 H'Bla
    """)


def test_shared_phone_names_carry_their_card_number_when_alike(club, session, phone):
    set_language(session, club, "en", 20)
    assert phone(SHARED_PHONE).dial() == "CON Who are you?\n1 Lan (#20)\n2 Lan (#21)"


def test_shared_phone_forms_are_sent_for_the_member_chosen(club, session, phone, rt):
    ph = phone(SHARED_PHONE).dialled()
    ph.press("2", "4", "1", "1", "1")
    assert jobs(rt) == [
        (SHARED_PHONE, member(club, 21).id, "NHO om", form_key(ph.number, ph.session_id, 1))
    ]


def test_accents_in_names_are_stripped_in_unaccented_vietnamese(club, session, phone):
    member(club, 20).full_name = "Rơ Châm H'Yéo"
    member(club, 21).full_name = "Nguyễn Thị Đào"
    session.flush()
    assert phone(SHARED_PHONE).dial() == "CON Ban la ai?\n1 H'Yeo\n2 Dao"


def test_supervisor_who_is_also_a_member_picks_a_role(club, session, phone):
    add_supervisor(session, name="Le Van Hung", phone=MEMBER_PHONE, communes=["23764"])
    ph = phone(MEMBER_PHONE)
    assert ph.dial() == "CON Ban la ai?\n1 Lan\n2 Hung (giam sat)"
    assert ph.press("2").startswith("CON Thang 11/2026: 1 CLB")


@pytest.fixture
def pin_club(club: Any, session: Any) -> Any:
    club.pin_required = True
    set_pin(session, member(club, 12), "2468")
    add_loan(session, club)
    return club


def test_pin_before_loan_and_health_then_lock_out(pin_club, phone, redis_conn):
    ph = phone(MEMBER_PHONE)
    ph.talk("""
        >
        < @home_vi
        > 3
        < @meeting_vi 0/0
        > 0
        < @home_vi
        > 1
        < CON Nhap ma PIN 4 so:
        < 0 Quay lai, 00 Menu
        > 12
        < CON Ma PIN gom 4 chu so.
        < Nhap ma PIN 4 so:
        < 0 Quay lai, 00 Menu
        > 1111
        < CON Sai ma PIN. Con 2 lan.
        < Nhap ma PIN 4 so:
        < 0 Quay lai, 00 Menu
        > 2222
        < CON Sai ma PIN. Con 1 lan.
        < Nhap ma PIN 4 so:
        < 0 Quay lai, 00 Menu
        > 3333
        < END Sai ma PIN 3 lan. Tam khoa 30 phut.
    """)
    key = pin_key(member(pin_club, 12).id)
    assert 0 < redis_conn.ttl(key) <= PIN_LOCK_SECONDS
    # Dialling again does not reset the count: the lock is per member, not per session.
    ph.dial()
    assert ph.press("2") == "END Sai ma PIN 3 lan. Tam khoa 30 phut."
    assert ph.press("2468") == "END Sai ma PIN 3 lan. Tam khoa 30 phut."  # ended stays ended
    redis_conn.delete(key)  # thirty minutes later
    ph.dial()
    ph.press("1")
    assert ph.press("2468").startswith("CON Con no: 2.000.000d")


def test_a_right_pin_opens_loan_and_health_for_the_session_and_clears_failures(
    pin_club, phone, redis_conn
):
    ph = phone(MEMBER_PHONE).dialled()
    ph.press("1", "1111")
    assert redis_conn.get(pin_key(member(pin_club, 12).id)) == b"1"
    assert ph.press("2468").startswith("CON Con no: 2.000.000d")
    assert redis_conn.get(pin_key(member(pin_club, 12).id)) is None
    assert ph.press("0", "2") == "CON Chua co lan do huyet ap nao.\n0 Quay lai, 00 Menu"
    ph.dial()
    assert ph.press("2") == "CON Nhap ma PIN 4 so:\n0 Quay lai, 00 Menu"  # a new session asks


def test_pin_club_member_without_pin_is_told_to_ask_the_board(pin_club, session, phone):
    set_pin(session, member(pin_club, 12), None)
    ph = phone(MEMBER_PHONE).dialled()
    assert ph.press("1") == (
        "CON Ban chua co ma PIN. Nho Ban chu nhiem CLB dat ma cho ban.\n0 Quay lai, 00 Menu"
    )
    assert ph.press("0") == HOME_VI


def test_pins_are_per_member_on_a_shared_phone(pin_club, session, phone):
    set_pin(session, member(pin_club, 20), "1357")
    ph = phone(SHARED_PHONE).dialled()
    ph.press("1", "1")
    assert ph.press("1357").startswith("CON Ban khong co khoan vay nao.")
    assert ph.press("00", "0", "2", "1") == (
        "CON Ban chua co ma PIN. Nho Ban chu nhiem CLB dat ma cho ban.\n0 Quay lai, 00 Menu"
    )


def test_dropped_form_is_resumed_from_the_next_dial(club, session, phone, rt, redis_conn):
    add_loan(session, club)
    ph = phone(SECRETARY_PHONE).dialled()
    ph.press("7", "2", "12")  # ... and the session drops on the amount question
    assert 0 < redis_conn.ttl(resume_key(SECRETARY_PHONE)) <= RESUME_SECONDS
    ph.talk("""
        >
        < CON Ban dang nhap do: Tra no
        < 1 Tiep tuc
        < 2 Bat dau lai
        > 1
        < @pay_ask_vi
        > 0
        < @ask_member_vi
        > 12
        < @pay_ask_vi
        > 300k
        < @pay_confirm_vi 300.000
        > 1
        < END Da gui. Ket qua va ma so se den bang SMS.
    """)
    assert [j[2] for j in jobs(rt)] == ["TRA 12 300000"]
    assert redis_conn.get(resume_key(SECRETARY_PHONE)) is None
    assert ph.dial().startswith("CON 1 Khoan vay")


def test_starting_again_forgets_the_dropped_form(club, phone, redis_conn):
    ph = phone(SECRETARY_PHONE).dialled()
    ph.press("7", "3", "12", "150")
    ph.dial()
    assert ph.press("2").startswith("CON 1 Khoan vay")
    assert redis_conn.get(resume_key(SECRETARY_PHONE)) is None
    assert ph.dial().startswith("CON 1 Khoan vay")


def test_a_drop_at_the_resume_offer_keeps_the_offer(club, phone):
    ph = phone(SECRETARY_PHONE).dialled()
    ph.press("7", "4", "12")
    assert ph.dial().startswith("CON Ban dang nhap do: Tham nha")
    assert ph.dial().startswith("CON Ban dang nhap do: Tham nha")
    assert ph.press("1").startswith("CON Tham nha TV12 Lan hom nay.")


def test_leaving_a_form_for_the_menu_forgets_it(club, phone, redis_conn):
    ph = phone(SECRETARY_PHONE).dialled()
    ph.press("7", "1", "1")
    assert redis_conn.get(resume_key(SECRETARY_PHONE)) is not None
    ph.press("00")
    assert redis_conn.get(resume_key(SECRETARY_PHONE)) is None


def test_resume_is_offered_in_the_members_language(club, session, phone):
    set_language(session, club, "en", 1)
    ph = phone(SECRETARY_PHONE).dialled()
    ph.press("7", "1", "1")
    assert ph.dial() == "CON You were entering: Attendance\n1 Continue\n2 Start again"


def test_repeated_first_hop_does_not_break_the_session(club, session, phone, redis_conn):
    add_loan(session, club)
    ph = phone(MEMBER_PHONE)
    first = ph.dial()
    again = ph.post("")
    assert again.get_data(as_text=True) == first == HOME_VI
    assert ph.press("1").startswith("CON Con no: 2.000.000d")
    # A repeated middle hop shows the same screen, and the next answer goes on from it.
    assert ph.post("1").get_data(as_text=True).startswith("CON Con no: 2.000.000d")
    assert ph.press("0") == HOME_VI
    record = json.loads(redis_conn.get(session_key(ph.session_id)))
    assert record["n"] == 2 and record["state"]["at"] == "home"


def test_wrong_choice_is_repeated_on_a_retried_hop(club, phone):
    ph = phone(MEMBER_PHONE).dialled()
    wrong = ph.press("8")
    assert wrong.startswith("CON Chon lai:\n1 Khoan vay")
    assert ph.post("8").get_data(as_text=True) == wrong


def test_session_survives_a_web_process_restart(club, session, phone, rt, test_config, redis_conn):
    from gateway import create_app

    add_loan(session, club)
    ph = phone(MEMBER_PHONE).dialled()
    ph.client = create_app(test_config, init_runtime=False).test_client()
    assert ph.press("1").startswith("CON Con no: 2.000.000d")
    assert 0 < redis_conn.ttl(session_key(ph.session_id)) <= test_config["USSD_SESSION_TTL"]


def test_session_ttl_comes_from_config(club, phone, app, redis_conn):
    app.config["USSD_SESSION_TTL"] = 42
    ph = phone(MEMBER_PHONE).dialled()
    assert 0 < redis_conn.ttl(session_key(ph.session_id)) <= 42


def test_the_same_session_id_from_another_phone_starts_afresh(club, phone):
    a, b = phone(SECRETARY_PHONE), phone(MEMBER_PHONE)
    a.dial("shared-id")
    a.press("7")
    b.dial("shared-id")
    assert b.press("1").startswith("CON Ban khong co khoan vay nao.")


def test_dialling_with_answers_in_the_code_jumps_ahead(club, session, phone):
    add_loan(session, club)
    ph = phone(MEMBER_PHONE)
    ph.session_id = "direct"
    ph.inputs = ["5"]  # *384*123*5#
    assert ph._hop().startswith("CON Quy CLB:")


@pytest.mark.parametrize(
    ("form", "reason"),
    [
        ({"phoneNumber": MEMBER_PHONE, "text": ""}, "sessionId"),
        ({"sessionId": "s", "text": ""}, "phoneNumber"),
        ({"sessionId": "s", "phoneNumber": "12", "text": ""}, "phoneNumber"),
        ({"sessionId": "s", "phoneNumber": MEMBER_PHONE}, "text"),
        ({"sessionId": "s", "phoneNumber": MEMBER_PHONE, "text": "1*" * 1001}, "text"),
    ],
)
def test_bad_requests_are_refused_with_a_reason(client, rt, form, reason):
    resp = client.post("/ussd", data=form)
    assert resp.status_code == 400 and reason in resp.get_data(as_text=True)


def test_the_webhook_token_is_required_when_configured(club, app, phone):
    app.config["WEBHOOK_TOKEN"] = "s3cret"
    assert phone(MEMBER_PHONE).post("").status_code == 403
    assert phone(MEMBER_PHONE, token="s3cret").dial().startswith("CON 1 Khoan vay")


def test_an_unexpected_error_ends_politely(club, phone, monkeypatch):
    import gateway.ussd

    def broken(*args: Any) -> Any:
        raise RuntimeError("database went away")

    monkeypatch.setattr(gateway.ussd, "loan_view", broken)
    ph = phone(MEMBER_PHONE).dialled()
    resp = ph.post("1")
    assert resp.status_code == 200
    assert resp.get_data(as_text=True) == "END Xin loi, he thong dang ban. Vui long goi lai sau."


def test_a_hop_never_writes_the_database_but_to_store_a_confirmed_form(
    club, session, phone, rt, statements
):
    reads = {"SELECT", "SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN"}
    ph = phone(SECRETARY_PHONE).dialled()
    ph.press("7", "2", "12")
    ph.press("450k")
    assert "SELECT" in statements and set(statements) <= reads  # navigating reads only
    statements.clear()
    ph.press("1")  # confirmed: stored as an inbound message before "sent" is shown
    assert [s for s in statements if s not in reads] == ["INSERT"]
    statements.clear()
    ph.dial()
    ph.press("6")
    assert set(statements) <= reads
    ph.press("3")
    assert len(jobs(rt)) == 2


@pytest.fixture
def statements(session: Any) -> Any:
    """The SQL statements the app runs while the test goes on (first word of each)."""
    from sqlalchemy import event

    from models import db

    seen: list[str] = []
    bind = db.new_session().get_bind()

    def spy(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement.lstrip().split(None, 1)[0].upper())

    event.listen(bind, "before_cursor_execute", spy)
    yield seen
    event.remove(bind, "before_cursor_execute", spy)


def test_a_view_is_read_once_per_session(club, session, phone, statements):
    add_loan(session, club)
    set_language(session, club, "vi_dau")
    ph = phone(MEMBER_PHONE).dialled()
    loan = ph.press("1")
    assert "SELECT" in statements
    statements.clear()
    assert ph.press("98", "0", "0").startswith("CON 1 Khoản vay")
    assert ph.press("1") == loan
    assert ph.post("1*98*0*0*1").get_data(as_text=True) == loan  # a provider repeat
    assert "SELECT" not in statements
    add_loan(session, club, principal=1_000_000)  # recorded meanwhile: the next session shows it
    ph.dial()
    assert ph.press("1").startswith("CON Còn nợ (2 khoản): 3.000.000đ")
