"""The Android phone gateway end to end: its signed webhook feeds the same inbound path as
Africa's Talking, and its delivery events update what was sent through it."""

from __future__ import annotations

import json

import time_machine
from sqlalchemy import select

from models.enums import InboundStatus, OutboundStatus
from models.ledger import Repayment
from models.messages import InboundMessage, OutboundMessage
from runtime.channels import build_channel
from tests.conversations.support import give_loan
from tests.factories import SECRETARY_PHONE, make_board_club
from tests.fakes.fake_android import sign, webhook_body

SECRET = "webhook-signing-key"
NOW = "2026-11-21 15:31:00+07:00"


@time_machine.travel(NOW, tick=False)
def test_signed_sms_is_recorded_and_answered_through_the_phone(
    app, client, session, rt, run_jobs, fake_android, monkeypatch
):
    cfg = dict(rt.config(), **fake_android.config())
    monkeypatch.setattr(rt, "_config", cfg)
    rt.set_channel(build_channel(cfg))
    app.config["ANDROID_WEBHOOK_SECRET"] = SECRET
    club = make_board_club(session)
    give_loan(session, club, 12)
    session.commit()

    body = webhook_body(message="TRA 12 200k", phone_number=SECRETARY_PHONE)
    headers = sign(body, SECRET)
    for _ in range(3):  # the phone retries its webhook: stored and recorded once
        assert client.post("/android/webhook", data=body, headers=headers).status_code == 200
    run_jobs()

    msg = session.scalars(select(InboundMessage)).one()
    assert (msg.provider, msg.status) == ("android", InboundStatus.PROCESSED)
    assert session.scalars(select(Repayment)).one().amount_vnd == 200_000
    reply = session.scalars(select(OutboundMessage)).one()
    assert reply.status == OutboundStatus.ACCEPTED and reply.channel == "android"
    assert reply.provider_id in fake_android.messages
    posted = [r.json for r in fake_android.requests if r.method == "POST"]
    assert len(posted) == 1 and "TRA TV12 200.000d" in json.dumps(posted[0], ensure_ascii=False)

    delivered = webhook_body(
        event="sms:delivered",
        payload={
            "messageId": reply.provider_id,
            "phoneNumber": SECRETARY_PHONE,
            "deliveredAt": "2026-11-21T15:31:05.000+07:00",
        },
    )
    assert (
        client.post("/android/webhook", data=delivered, headers=sign(delivered, SECRET)).status_code
        == 200
    )
    session.expire_all()
    assert session.get(OutboundMessage, reply.id).status == OutboundStatus.DELIVERED


@time_machine.travel(NOW, tick=False)
def test_unsigned_or_forged_webhooks_are_refused(app, client, session):
    app.config["ANDROID_WEBHOOK_SECRET"] = SECRET
    body = webhook_body(message="TRA 12 200k", phone_number=SECRETARY_PHONE)
    assert (
        client.post(
            "/android/webhook", data=body, headers={"Content-Type": "application/json"}
        ).status_code
        == 403
    )
    forged = sign(body, "not-the-key")
    assert client.post("/android/webhook", data=body, headers=forged).status_code == 403
    assert (
        client.post("/android/webhook", data=b"[1,2]", headers=sign(b"[1,2]", SECRET)).status_code
        == 400
    )
    assert session.scalars(select(InboundMessage)).all() == []


def test_webhook_token_applies_to_the_android_webhook_too(app, client):
    app.config["WEBHOOK_TOKEN"] = "tok"
    body = webhook_body()
    assert (
        client.post(
            "/android/webhook", data=body, headers={"Content-Type": "application/json"}
        ).status_code
        == 403
    )
