"""RQ jobs for inbound messages: process one, submit a USSD form, sweep what was left behind."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import timedelta
from functools import partial

from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job, JobStatus
from rq.registry import FailedJobRegistry, StartedJobRegistry
from sqlalchemy import func, select

import runtime
from menus.clock import utcnow
from models import db
from models.enums import InboundStatus, OutboundStatus
from models.inbox import store_ussd_form
from models.messages import InboundMessage, OutboundMessage
from runtime import INBOUND, OUTBOUND
from runtime.metrics import INBOUND_MESSAGES
from workers.sending import enqueue_send, enqueue_sends
from workers.sms import handle_inbound, vn_date_of

log = logging.getLogger(__name__)

PROCESS_INBOUND = runtime.PROCESS_INBOUND
# A row stored this long ago whose job Redis does not have was lost (the enqueue after commit
# takes milliseconds); the sweeper runs every SWEEP_SECONDS in the clock process.
LOST_AFTER = timedelta(seconds=20)
SWEEP_AGE = timedelta(minutes=2)  # after a first hand-over, each try waits this much longer
MAX_SWEEPS = 5
SWEEP_BATCH = 5000
STUCK_SENDING = timedelta(minutes=10)
ALIVE = frozenset({JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED})


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
        acting = acting_member_id or msg.acting_member_id
        outbound = handle_inbound(s, msg, vn_date_of(msg), acting)
        msg.processed_at = utcnow()  # as it commits: handling can wait on locks for a while
        status, channel = msg.status, msg.channel
    INBOUND_MESSAGES.labels(channel, str(status)).inc()
    enqueue_sends(outbound)
    log.info("inbound id=%s -> %s, %d outbound", inbound_id, status, len(outbound))
    return str(status)


def submit_ussd_form(phone: str, member_id: int | None, command_text: str, session_key: str) -> str:
    """A USSD form queued as a job by an earlier version (forms are now stored by the hop)."""
    with db.session_scope() as s:
        msg_id, new = store_ussd_form(s, phone, member_id, command_text, session_key)
    if not new:
        return "duplicate"
    return process_inbound(msg_id)


def _job_states(queue_name: str, job_ids: list[str]) -> list[str | None]:
    """Each job's RQ status, None where Redis has no such job (never queued, or lost).

    A job marked queued that is in no queue list is lost too: a worker whose host went silent
    while it waited took it off the list (a blocking pop answered into a dead connection).
    """
    if not job_ids:
        return []
    conn = runtime.redis()
    pipe = conn.pipeline(transaction=False)
    for job_id in job_ids:
        pipe.hget(Job.key_for(job_id), "status")
    states = [raw.decode() if raw else None for raw in pipe.execute()]
    if JobStatus.QUEUED in states:
        queue = runtime.queue(queue_name)
        waiting = {raw.decode() for raw in conn.lrange(queue.key, 0, -1)}
        states = [
            None if state == JobStatus.QUEUED and job_id not in waiting else state
            for job_id, state in zip(job_ids, states, strict=True)
        ]
    return states


def _expire_abandoned_jobs() -> None:
    """Fail the jobs whose worker stopped answering (RQ does it between a worker's jobs; an idle
    night must not wait for traffic), so the sweep below sees them as failed."""
    conn = runtime.redis()
    for name in (INBOUND, OUTBOUND):
        StartedJobRegistry(name, connection=conn).cleanup()


def _hand_over(queue: str, job_id: str, state: str | None, enqueue: Callable[[], bool]) -> bool:
    """Queue a row's job again: a failed job goes back from the failed registry, a lost one is
    queued anew under the same id."""
    if state == JobStatus.FAILED:
        try:
            FailedJobRegistry(queue, connection=runtime.redis()).requeue(job_id)
            return True
        except (InvalidJobOperation, NoSuchJobError):
            pass
    return enqueue()


def sweep() -> dict[str, int]:
    """Hand the workers every stored row whose job Redis no longer has (a restart, a failover,
    an enqueue that failed) or whose job failed, and release held sends whose time has come.

    The database is the source of truth: a row says what is owed; Redis only carries the jobs.
    A row whose job is alive (queued, running, waiting for a retry) is left alone, however long
    the queue, so the sweeper never doubles a backlog and never waits for a lull.
    """
    now = utcnow()
    _expire_abandoned_jobs()
    with db.session_scope() as s:
        waiting = s.scalars(
            select(InboundMessage)
            .where(
                InboundMessage.status.in_([InboundStatus.RECEIVED, InboundStatus.QUEUED]),
                InboundMessage.stored_at < now - LOST_AFTER,
            )
            .order_by(InboundMessage.id)
            .limit(SWEEP_BATCH)
        ).all()
        states = _job_states(INBOUND, [runtime.inbound_job_id(m.id) for m in waiting])
        stale_in: list[tuple[int, str | None]] = []
        for msg, state in zip(waiting, states, strict=True):
            if state in ALIVE:
                continue
            if msg.sweeps and msg.stored_at >= now - SWEEP_AGE * (1 + msg.sweeps):
                continue  # handed over before: each try waits longer
            if msg.sweeps >= MAX_SWEEPS:
                # Its job keeps failing: the traceback is in RQ's failed-job registry.
                msg.status, msg.note = InboundStatus.FAILED, f"gave up after {MAX_SWEEPS} sweeps"
                continue
            msg.sweeps += 1
            stale_in.append((msg.id, state))
        owed = s.scalars(
            select(OutboundMessage)
            .where(
                (
                    (OutboundMessage.status == OutboundStatus.HELD)
                    & (OutboundMessage.send_after <= now)
                )
                | (
                    (OutboundMessage.status == OutboundStatus.QUEUED)
                    & (func.coalesce(OutboundMessage.send_after, OutboundMessage.created_at)
                       < now - LOST_AFTER)
                )
            )
            .order_by(OutboundMessage.id)
            .limit(SWEEP_BATCH)
        ).all()  # fmt: skip
        out_states = _job_states(OUTBOUND, [runtime.send_job_id(r.id) for r in owed])
        due_out: list[tuple[int, str | None]] = [
            (row.id, state)
            for row, state in zip(owed, out_states, strict=True)
            if row.status == OutboundStatus.HELD or state not in ALIVE
        ]
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
            due_out.append((row.id, None))
    handed_in = sum(
        _hand_over(INBOUND, runtime.inbound_job_id(i), st, partial(runtime.enqueue_inbound, i))
        for i, st in stale_in
    )
    handed_out = sum(
        _hand_over(OUTBOUND, runtime.send_job_id(i), st, partial(enqueue_send, i))
        for i, st in due_out
    )
    if handed_in or handed_out:
        log.info("sweep: %d inbound and %d outbound handed to the workers", handed_in, handed_out)
    runtime.redis().set(runtime.SWEEP_HEARTBEAT, time.time(), ex=3600)
    return {"inbound": len(stale_in), "outbound": len(due_out)}
