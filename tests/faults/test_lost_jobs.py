"""Jobs Redis still names but no worker will run: taken off the queue by a worker whose host
went silent, or started by a worker that vanished. The sweeper finds both."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from rq.job import Job, JobStatus
from rq.registry import StartedJobRegistry
from sqlalchemy import select

from menus.clock import utcnow
from models.enums import InboundStatus
from models.inbox import store_inbound
from models.messages import InboundMessage
from tests.factories import SECRETARY_PHONE, make_board_club
from workers import jobs


def _stored(session) -> int:
    make_board_club(session)
    with session.begin_nested():
        msg_id, _ = store_inbound(
            session, provider="africastalking", provider_id="lost-1", sender=SECRETARY_PHONE,
            text="HD",
        )  # fmt: skip
    session.commit()
    return msg_id


def test_a_job_popped_by_a_silent_worker_is_handed_over_again(session, rt, redis_conn, run_jobs):
    msg_id = _stored(session)
    assert rt.enqueue_inbound(msg_id)
    queue = rt.queue("inbound")
    # A worker cut off while it waited: Redis answered its blocking pop into a dead connection.
    assert redis_conn.lpop(queue.key).decode() == rt.inbound_job_id(msg_id)
    job = Job.fetch(rt.inbound_job_id(msg_id), connection=redis_conn)
    assert job.get_status() == JobStatus.QUEUED and queue.count == 0
    with time_machine.travel(utcnow() + jobs.LOST_AFTER * 2, tick=False):
        assert jobs.sweep()["inbound"] == 1
    assert queue.job_ids == [rt.inbound_job_id(msg_id)]
    run_jobs()
    msg = session.scalars(select(InboundMessage)).one()
    session.refresh(msg)
    assert msg.status == InboundStatus.PROCESSED


def test_a_job_started_by_a_vanished_worker_is_failed_and_handed_over(
    session, rt, redis_conn, run_jobs
):
    msg_id = _stored(session)
    assert rt.enqueue_inbound(msg_id)
    queue = rt.queue("inbound")
    job_id = rt.inbound_job_id(msg_id)
    redis_conn.lrem(queue.key, 0, job_id)
    job = Job.fetch(job_id, connection=redis_conn)
    job.set_status(JobStatus.STARTED)
    # Its worker stopped heart-beating long ago: the registry entry has expired.
    expired = (utcnow() - timedelta(minutes=5)).timestamp()
    redis_conn.zadd(StartedJobRegistry("inbound", connection=redis_conn).key, {job_id: expired})
    with time_machine.travel(utcnow() + jobs.LOST_AFTER * 2, tick=False):
        assert jobs.sweep()["inbound"] == 1
    assert job_id in queue.job_ids
    run_jobs()
    msg = session.scalars(select(InboundMessage)).one()
    session.refresh(msg)
    assert msg.status == InboundStatus.PROCESSED
