"""House rule: INFO logs carry no message text, phone number or health value in clear."""

from __future__ import annotations

import logging

import time_machine

from runtime.channels.console import ConsoleChannel
from tests.factories import HEALTH_PHONE, make_board_club


@time_machine.travel("2026-11-21 09:00:00+07:00", tick=False)
def test_a_red_alert_leaves_no_phone_text_or_reading_in_info_logs(
    client, session, run_jobs, rt, caplog
):
    rt.set_channel(ConsoleChannel())
    make_board_club(session)
    caplog.set_level(logging.INFO)
    resp = client.post(
        "/sms/inbound",
        data={
            "from": HEALTH_PHONE,
            "to": "8085",
            "text": "HA 12 187/113 M92",
            "id": "log-1",
        },
    )
    assert resp.status_code == 200
    run_jobs()
    info = "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.INFO)
    assert "send id=" in info  # the path did log, and sent the reply and alerts
    for secret in ("912000003", "912000002", "187/113", "HA 12", "M92"):
        assert secret not in info, secret
