"""RQ jobs for inbound messages: process one, submit a USSD form, sweep what was left behind."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select

from menus.clock import utcnow
from models import db
from models.enums import InboundStatus, OutboundStatus
from models.inbox import store_inbound
from models.messages import InboundMessage, OutboundMessage
from workers import INBOUND, OUTBOUND, runtime
from workers.sending import enqueue_send, enqueue_sends
from workers.sms import handle_inbound, vn_date_of

log = logging.getLogger(__name__)

PROCESS_INBOUND = "workers.jobs.process_inbound"
SWEEP_AGE = timedelta(minutes=2)
MAX_SWEEPS = 5
STUCK_SENDING = timedelta(minutes=10)


def process_inbound(inbound_id: int, acting_member_id: int | None = None) -> str:
    """Parse, record and answer one stored message in one transaction; a rerun does nothing."""
    with db.session_scope() as s:
        msg = s.get(InboundMessage, inbound_id, with_for_update=True)
        if msg is None:
            return "missing"
        # FAILED without processed_at: the sweeper gave up while this job still waited in a
        # long queue; it was never handled, so handle it now.
        waiting = msg.status == InboundStatus.FAILED and msg.processed_at is None
        if msg.status not in (InboundStatus.RECEIVED, InboundStatus.QUEUED) and not waiting:
            return "done already"
        outbound = handle_inbound(s, msg, vn_date_of(msg), acting_member_id)
        status = msg.status
    enqueue_sends(outbound)
    log.info("inbound id=%s -> %s, %d outbound", inbound_id, status, len(outbound))
    return str(status)


def submit_ussd_form(phone: str, member_id: int | None, command_text: str, session_key: str) -> str:
    """A USSD form or request, recorded exactly as the same SMS from that phone would be."""
    with db.session_scope() as s:
        msg_id, new = store_inbound(
            s,
            provider="ussd",
            provider_id=session_key,
            sender=phone,
            text=command_text,
            channel="ussd",
        )
    if not new:
        return "duplicate"
    return process_inbound(msg_id, member_id)


def sweep() -> dict[str, int]:
    """Hand stored-but-unprocessed messages to the workers again (after Redis was down, say),
    and release held outbound messages whose time has come."""
    now = utcnow()
    # Rows whose job is still waiting in a queue are not lost: only an empty queue means lost.
    inbound_idle = runtime.queue(INBOUND).count == 0
    outbound_idle = runtime.queue(OUTBOUND).count == 0
    with db.session_scope() as s:
        stale = s.scalars(
            select(InboundMessage)
            .where(
                InboundMessage.status.in_([InboundStatus.RECEIVED, InboundStatus.QUEUED]),
                InboundMessage.stored_at < now - SWEEP_AGE,
            )
            .limit(5000)
        ).all()
        stale_in: list[int] = []
        for msg in stale if inbound_idle else []:
            if msg.stored_at >= now - SWEEP_AGE * (1 + msg.sweeps):
                continue  # waits longer after each sweep
            if msg.sweeps >= MAX_SWEEPS:
                # Its job keeps failing: the traceback is in RQ's failed-job registry.
                msg.status, msg.note = InboundStatus.FAILED, f"gave up after {MAX_SWEEPS} sweeps"
                continue
            msg.sweeps += 1
            stale_in.append(msg.id)
        due_out = list(
            s.scalars(
                select(OutboundMessage.id)
                .where(
                    (
                        (OutboundMessage.status == OutboundStatus.HELD)
                        & (OutboundMessage.send_after <= now)
                    )
                    | (
                        (OutboundMessage.status == OutboundStatus.QUEUED)
                        & (OutboundMessage.created_at < now - SWEEP_AGE)
                        & (OutboundMessage.attempts == 0)
                        & outbound_idle
                    )
                )
                .limit(5000)
            )
        )
        # A send interrupted between "sending" and the provider's answer (a killed worker):
        # sending again may duplicate, losing an alert is worse.
        stuck = s.scalars(
            select(OutboundMessage)
            .where(
                OutboundMessage.status == OutboundStatus.SENDING,
                OutboundMessage.sent_at.is_(None),
                OutboundMessage.created_at < now - STUCK_SENDING,
            )
            .limit(1000)
        ).all()
        for row in stuck:
            row.status, row.failure_reason = OutboundStatus.QUEUED, "interrupted; sent again"
            due_out.append(row.id)
    for inbound_id in stale_in:
        runtime.enqueue(INBOUND, PROCESS_INBOUND, inbound_id)
    for outbound_id in due_out:
        enqueue_send(outbound_id)
    return {"inbound": len(stale_in), "outbound": len(due_out)}
