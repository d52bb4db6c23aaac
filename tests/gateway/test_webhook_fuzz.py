"""POST /sms/inbound never answers 5xx to what a provider (or anyone) can send: a 5xx makes
Africa's Talking deliver the same body again and again. A 400 with a reason is fine. With
WEBHOOK_TOKEN set, a request without the right ?token= gets 403 and stores nothing."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.messages import InboundMessage
from runtime.channels.africastalking import FIELD_LIMITS

FIELDS = ["from", "to", "text", "date", "id", "linkId", "networkCode"]
FUZZ = settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Text a form can carry: any code point but lone surrogates (which UTF-8 cannot encode).
any_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=80)
phones = st.sampled_from(
    ["+84912000001", "84912000001", "0912000001", "8085", "Viettel", "+1 555 0100", "", " ", "+"]
)
dates = st.one_of(
    st.sampled_from(["2026-11-21 02:00:00", "2026-11-21T02:00:00Z", "", "yesterday", "0", "T"]),
    st.datetimes().map(lambda d: d.isoformat(sep=" ")),
    any_text,
)
huge = st.builds(
    lambda ch, n: ch * n,
    st.sampled_from(["a", "ả", "😀", " ", "\n", "9"]),
    st.integers(1000, 100_000),
)

at_forms = st.fixed_dictionaries(
    {},
    optional={
        "from": st.one_of(phones, any_text),
        "to": st.one_of(phones, any_text),
        "text": st.one_of(any_text, huge, st.sampled_from(["TRA 12 200k", "HD", "Trả 12 450k"])),
        "date": dates,
        "id": st.one_of(st.uuids().map(str), any_text),
        "linkId": any_text,
        "networkCode": st.one_of(st.sampled_from(["45204", "45201", ""]), any_text),
    },
).flatmap(
    lambda known: st.dictionaries(any_text, any_text, max_size=4).map(lambda extra: extra | known)
)


def _stored(session: Session) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(InboundMessage)) or 0)


def _check(resp: Any) -> None:
    assert resp.status_code < 500, resp.get_data(as_text=True)
    if resp.status_code == 400:
        assert resp.get_data(as_text=True).startswith("400 Bad Request: ")
        assert len(resp.get_data(as_text=True)) > len("400 Bad Request: \n")


@FUZZ
@given(form=at_forms)
@example(form={})
@example(form={"from": "+84912000001", "id": "x"})  # no text
@example(form={"from": "+84912000001", "text": "HD"})  # no id
@example(form={"from": "", "id": "x", "text": "HD"})
@example(form={"from": "+84912000001", "id": "x", "text": "", "date": "not a date"})
@example(form={"from": "+84912000001", "id": "y", "text": "a" * 200_000})
@example(form={"from": "+84912000001", "id": "z", "text": "T\u0309ra\u0309 12 450k"})  # NFD
def test_no_form_body_makes_the_webhook_fail(
    client: Any, session: Session, form: dict[str, str]
) -> None:
    _check(client.post("/sms/inbound", data=form))


@FUZZ
@given(body=st.binary(max_size=400))
@example(body=b"from=%2B84912000001&id=r1&text=%FF%FE%FD")  # not UTF-8
@example(body=b"from=%2B84912000001&id=r2&text=%ZZ%")  # broken escapes
@example(body=b"&&&==&=")
@example(body=b"from=%2B84912000001&from=0912000002&id=r3&id=r4&text=HD")  # repeated keys
def test_no_raw_body_makes_the_webhook_fail(client: Any, body: bytes) -> None:
    resp = client.post("/sms/inbound", data=body, content_type="application/x-www-form-urlencoded")
    _check(resp)


@FUZZ
@given(
    content_type=st.sampled_from(
        ["application/json", "text/plain", "multipart/form-data; boundary=x", "", "image/png"]
    ),
    body=st.binary(max_size=200),
)
def test_other_content_types_are_refused_politely(
    client: Any, content_type: str, body: bytes
) -> None:
    _check(client.post("/sms/inbound", data=body, content_type=content_type))


def test_nul_in_text_is_stored_without_it(client: Any, session: Session) -> None:
    resp = client.post("/sms/inbound", data={"from": "+84912000001", "id": "n", "text": "a\x00b"})
    assert resp.status_code == 200
    stored = session.scalar(select(InboundMessage).where(InboundMessage.provider_id == "n"))
    assert stored is not None and stored.text == "ab"


@pytest.mark.parametrize("field", sorted(FIELD_LIMITS))
def test_overlong_fields_are_refused_with_400(client: Any, session: Session, field: str) -> None:
    form = {"from": "+84912000001", "id": f"long-{field}", "text": "HD"}
    form[field] = form.get(field, "") + "9" * 200
    resp = client.post("/sms/inbound", data=form)
    assert resp.status_code == 400 and field in resp.get_data(as_text=True)
    assert session.scalar(select(func.count()).select_from(InboundMessage)) == 0


@pytest.mark.parametrize("value", ["9999-12-31 23:59:59-05:00", "0001-01-01 00:00:00+07:00"])
def test_dates_at_the_ends_of_time(client: Any, session: Session, value: str) -> None:
    """An unusable date is replaced by the time of arrival; the message is kept."""
    form = {"from": "+84912000001", "id": f"date-{value}", "text": "HD", "date": value}
    assert client.post("/sms/inbound", data=form).status_code == 200
    assert session.scalar(select(func.count()).select_from(InboundMessage)) == 1


# ---------------------------------------------------------------------------------------------
# The token


TOKEN = "s3cret-Tok_en"


@pytest.fixture
def guarded(rt: Any, test_config: dict[str, Any]) -> Any:
    from gateway import create_app

    return create_app(test_config | {"WEBHOOK_TOKEN": TOKEN}, init_runtime=False).test_client()


VALID = {"from": "+84912000001", "to": "8085", "text": "TRA 12 200k", "id": "tok-1"}


@FUZZ
@given(
    token=st.one_of(
        st.none(),
        any_text,
        st.sampled_from(["", TOKEN.lower(), TOKEN + "x", TOKEN[:-1], f" {TOKEN}", "s3cret"]),
    ),
    form=st.one_of(st.just(VALID), at_forms),
)
def test_without_the_right_token_403_and_nothing_stored(
    guarded: Any, session: Session, token: str | None, form: dict[str, str]
) -> None:
    if token == TOKEN:
        return
    before = _stored(session)
    query = "" if token is None else "?" + urlencode({"token": token})
    resp = guarded.post("/sms/inbound" + query, data=form | {"token": TOKEN})  # not in the body
    assert resp.status_code == 403, resp.get_data(as_text=True)
    assert _stored(session) == before


def test_with_the_right_token_the_message_is_stored(guarded: Any, session: Session) -> None:
    before = _stored(session)
    resp = guarded.post("/sms/inbound?" + urlencode({"token": TOKEN}), data=VALID)
    assert resp.status_code == 200
    assert _stored(session) == before + 1
    assert guarded.post("/sms/inbound?token=" + TOKEN, data=VALID).status_code == 200
    assert _stored(session) == before + 1  # the same id again
