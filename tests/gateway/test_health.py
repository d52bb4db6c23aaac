"""GET /healthz and the well-formed answers providers always get."""

from __future__ import annotations

import pytest


def test_healthz_reports_database_and_redis(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["status"] == "ok" and body["database"] == "ok" and body["redis"] == "ok"
    assert set(body["queues"]) == {"inbound", "outbound", "default"}


def test_healthz_degraded_when_redis_is_gone(client, rt, monkeypatch):
    from redis import Redis

    monkeypatch.setattr(rt, "_redis", Redis(host="127.0.0.1", port=1, socket_timeout=0.2))
    resp = client.get("/healthz")
    assert resp.status_code == 503
    assert resp.get_json()["redis"].startswith("error")


def test_unknown_path_is_a_plain_404(client):
    resp = client.get("/nope")
    assert resp.status_code == 404 and resp.mimetype == "text/plain"


def test_token_required_when_configured(client, app):
    app.config["WEBHOOK_TOKEN"] = "s3cret"
    form = {"from": "+84912000001", "text": "HD", "id": "t-1"}
    assert client.post("/sms/inbound", data=form).status_code == 403
    assert client.post("/sms/inbound?token=wrong", data=form).status_code == 403
    assert client.post("/sms/inbound?token=s3cret", data=form).status_code == 200


def test_inbound_missing_fields_is_400_with_reason(client):
    resp = client.post("/sms/inbound", data={"text": "HD"})
    assert resp.status_code == 400 and b"missing from" in resp.data


def test_a_real_channel_needs_a_webhook_token(test_config, rt):
    from gateway import create_app

    real = dict(test_config, SMS_CHANNEL="africastalking", WEBHOOK_TOKEN=None)
    with pytest.raises(RuntimeError, match="WEBHOOK_TOKEN is not set"):
        create_app(real, init_runtime=False)
    assert create_app(dict(real, WEBHOOK_TOKEN="t"), init_runtime=False)
    assert create_app(dict(real, OPEN_WEBHOOKS=True), init_runtime=False)


def test_a_ussd_form_that_cannot_be_stored_is_never_confirmed(client, session, rt, monkeypatch):
    """The database refuses the form: the caller gets the sorry screen, not a confirmation."""
    from sqlalchemy.exc import OperationalError

    from gateway import ussd

    def database_down(*args, **kwargs):
        raise OperationalError("INSERT", {}, Exception("connection refused"))

    monkeypatch.setattr(ussd, "store_ussd_form", database_down)
    effects = [{"job": "TRA 12 450000", "member": None, "no": 1}]
    with (
        client.application.test_request_context("/ussd"),
        __import__("pytest").raises(OperationalError),
    ):
        ussd._save(rt.redis(), "sess-x", {"state": {}}, effects, "+84912000001")


def test_a_ussd_form_stored_while_redis_refuses_its_job_is_swept_later(
    client, session, rt, monkeypatch
):
    """The form is stored before it is confirmed; its lost job is the sweeper's."""
    from sqlalchemy import select

    from gateway import ussd
    from models.messages import InboundMessage
    from workers import jobs

    monkeypatch.setattr(rt, "enqueue", lambda *a, **k: False)
    effects = [{"job": "TRA 12 450000", "member": None, "no": 1}]
    with client.application.test_request_context("/ussd"):
        ussd._save(rt.redis(), "sess-x", {"state": {}}, effects, "+84912000001")
    monkeypatch.undo()
    stored = session.scalars(select(InboundMessage).where(InboundMessage.channel == "ussd")).one()
    assert stored.text == "TRA 12 450000" and stored.status == "received"
    with __import__("time_machine").travel(stored.stored_at + jobs.LOST_AFTER * 2, tick=False):
        assert jobs.sweep()["inbound"] == 1
    assert rt.queue("inbound").job_ids == [rt.inbound_job_id(stored.id)]
