"""Redis goes away under a stream of SMS and comes back empty: everything acknowledged is
recorded and answered exactly once, within a minute of Redis returning, while traffic goes on."""

from __future__ import annotations

import time

from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from models.enums import InboundStatus, OutboundKind, OutboundStatus
from models.messages import InboundMessage, OutboundMessage
from models.records import HealthReading
from tests.factories import SECRETARY_PHONE, make_board_club
from tests.faults.conftest import free_port, post_sms, service_env, start_web, wait_for


def _counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with Session(engine) as s:
            replies = s.execute(
                select(OutboundMessage.inbound_id, func.count())
                .where(OutboundMessage.kind == OutboundKind.REPLY)
                .group_by(OutboundMessage.inbound_id)
            ).all()
            return {
                "stored": s.scalar(select(func.count(InboundMessage.id))) or 0,
                "processed": s.scalar(
                    select(func.count(InboundMessage.id)).where(
                        InboundMessage.status == InboundStatus.PROCESSED
                    )
                )
                or 0,
                "recorded": s.scalar(select(func.count(HealthReading.id))) or 0,
                "replied": sum(1 for _, n in replies if n >= 1),
                "duplicated": sum(1 for _, n in replies if n > 1),
                "sent": s.scalar(
                    select(func.count(OutboundMessage.id)).where(
                        OutboundMessage.kind == OutboundKind.REPLY,
                        OutboundMessage.status == OutboundStatus.ACCEPTED,
                    )
                )
                or 0,
            }
    finally:
        engine.dispose()


def test_redis_restart_under_load_recovers_within_a_minute(
    scratch_db, redis_server, processes, tmp_path
):
    engine = create_engine(scratch_db)
    with Session(engine) as s:
        make_board_club(s)
        s.commit()
    engine.dispose()
    env = service_env(scratch_db, redis_server.url, tmp_path / "var")
    port = free_port()
    start_web(processes, env, port)
    for _ in range(2):
        processes.start("workers", env, name="worker")
    clock = processes.start("workers.clock", env, name="clock")

    acknowledged: list[str] = []

    def send(n: int) -> None:
        # Distinct readings for member 12, so each is recorded (and none is a loop).
        pid = f"outage-{n}"
        if post_sms(port, SECRETARY_PHONE, f"HA 12 {100 + n % 80}/{60 + n // 80}", pid) == 200:
            acknowledged.append(pid)

    for n in range(20):
        send(n)
    redis_server.kill()
    for n in range(20, 40):  # Redis down: stored and acknowledged all the same
        send(n)
    redis_server.start()  # back, and empty: every queued job and retry is gone
    back = time.monotonic()
    n = 40
    while time.monotonic() - back < 20:  # traffic goes on while the product recovers
        send(n)
        n += 1
        time.sleep(0.1)
    wait_for(
        lambda: _counts(scratch_db)["sent"] >= len(acknowledged),
        max(1.0, 60 - (time.monotonic() - back)),
        "every acknowledged SMS answered within a minute of Redis returning",
        every=0.5,
    )
    counts = _counts(scratch_db)
    print(f"\nsent {n}, acknowledged {len(acknowledged)}, {counts}")
    assert counts["stored"] == len(acknowledged) == counts["processed"] == counts["recorded"]
    assert counts["replied"] == len(acknowledged) and counts["duplicated"] == 0
    assert clock.poll() is None, "the clock died with Redis"
