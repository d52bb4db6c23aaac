"""The send job: guards, composition, one provider call, and the row's status from its answer."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict
from datetime import datetime, timedelta

from redis.exceptions import RedisError
from rq import Retry
from sqlalchemy import func, select

import runtime
from menus.clock import VN_TZ, to_vn, utcnow
from menus.encoding import compose
from menus.phones import is_vn_mobile
from models import db
from models.clubs import Club
from models.enums import EXEMPT_FROM_QUIET_HOURS, OutboundKind, OutboundStatus
from models.messages import OutboundMessage
from models.outbox import apply_delivery_report
from runtime import OUTBOUND
from runtime.channels.base import SendStatus, mask_number
from runtime.channels.reports import DeliveryReport, should_replace
from runtime.metrics import OUTBOUND_SENDS, SEND_FAILURES, label

log = logging.getLogger(__name__)

SEND_JOB = runtime.SEND_OUTBOUND
MAX_ATTEMPTS = 5
BACKOFF = [10, 60, 300, 900]
PLAIN_LANGS = frozenset({"vi", "en"})  # languages whose texts carry no diacritics
SLACK = timedelta(seconds=2)  # clocks of different hosts differ a little
SENT_STATES = (OutboundStatus.SENDING, OutboundStatus.ACCEPTED, OutboundStatus.DELIVERED)


class TransientSendError(Exception):
    """The provider may take the message later: RQ retries the job with backoff."""


def enqueue_send(outbound_id: int) -> bool:
    """Queue the row's send job (keyed by the row); the row itself says what is still owed."""
    return runtime.enqueue(
        OUTBOUND,
        SEND_JOB,
        outbound_id,
        retry=Retry(max=MAX_ATTEMPTS - 1, interval=BACKOFF),
        job_id=runtime.send_job_id(outbound_id),
    )


def enqueue_sends(ids: list[int]) -> None:
    for outbound_id in ids:
        enqueue_send(outbound_id)


def parse_quiet_hours(spec: str) -> tuple[int, int] | None:
    """ "21:00-07:00" -> minutes of day (1260, 420); empty means no quiet hours."""
    if not spec:
        return None
    start, end = (part.strip() for part in spec.split("-"))
    h1, m1 = (int(x) for x in start.split(":"))
    h2, m2 = (int(x) for x in end.split(":"))
    return h1 * 60 + m1, h2 * 60 + m2


def quiet_until(now: datetime, spec: str) -> datetime | None:
    """The end of the quiet period containing now (Vietnam time), or None outside it."""
    window = parse_quiet_hours(spec)
    if window is None:
        return None
    start, end = window
    local = to_vn(now)
    minute = local.hour * 60 + local.minute
    inside = (start <= minute or minute < end) if start > end else (start <= minute < end)
    if not inside:
        return None
    end_today = local.replace(hour=end // 60, minute=end % 60, second=0, microsecond=0)
    if end_today <= local:
        end_today += timedelta(days=1)
    return end_today


def _vn_day_start(now: datetime) -> datetime:
    local = to_vn(now)
    return datetime(local.year, local.month, local.day, tzinfo=VN_TZ)


def _hold_reason(s, row: OutboundMessage, now: datetime) -> tuple[str, datetime | None] | None:  # noqa: ANN001
    """Why a message must wait ("quiet", "cap") or be skipped ("budget"), if it must."""
    cfg = runtime.config()
    if row.kind in EXEMPT_FROM_QUIET_HOURS:
        return None
    until = quiet_until(now, cfg.get("QUIET_HOURS") or "")
    if until is not None:
        return "quiet", until
    cap = cfg.get("DAILY_CAP_PER_RECIPIENT")
    if cap:
        day = _vn_day_start(now)
        sent_today = s.scalar(
            select(func.count())
            .select_from(OutboundMessage)
            .where(
                OutboundMessage.to == row.to,
                OutboundMessage.created_at >= day,
                OutboundMessage.status.in_(SENT_STATES),
                OutboundMessage.kind.notin_(list(EXEMPT_FROM_QUIET_HOURS)),
                OutboundMessage.id != row.id,
            )
        )
        if sent_today >= cap:
            return "cap", day + timedelta(days=1, hours=7)
    if row.club_id is not None:
        budget = s.scalar(select(Club.monthly_sms_budget).where(Club.id == row.club_id))
        if budget:
            local = to_vn(now)
            month = datetime(local.year, local.month, 1, tzinfo=VN_TZ)
            used = s.scalar(
                select(func.coalesce(func.sum(OutboundMessage.segments), 0)).where(
                    OutboundMessage.club_id == row.club_id,
                    OutboundMessage.created_at >= month,
                    OutboundMessage.status.in_(SENT_STATES),
                )
            )
            if used >= budget:
                return "budget", None
    return None


def send_outbound(outbound_id: int) -> str:
    """Send one outbound row once; safe to run again (a sent row is left alone)."""
    channel = runtime.channel()
    now = utcnow()
    # Wait for the channel's rate before claiming the row, so a Redis error here leaves it queued.
    _throttle(channel.name, channel.rate_per_second)
    with db.session_scope() as s:
        row = s.get(OutboundMessage, outbound_id, with_for_update=True)
        if row is None or row.status not in (OutboundStatus.QUEUED, OutboundStatus.HELD):
            return "skip"
        if row.status == OutboundStatus.QUEUED and row.send_after and row.send_after > now + SLACK:
            return "not due"  # a retry's time has not come (a second job for the same row)
        if not is_vn_mobile(row.to):
            row.status, row.failure_reason = OutboundStatus.SKIPPED, "not a mobile number"
            return "skipped"
        hold = _hold_reason(s, row, now)
        if hold is not None:
            reason, until = hold
            if until is None:
                row.status, row.failure_reason = OutboundStatus.SKIPPED, f"monthly {reason}"
                OUTBOUND_SENDS.labels(row.kind, "skipped").inc()
                return "skipped"
            row.status, row.send_after, row.failure_reason = OutboundStatus.HELD, until, reason
            OUTBOUND_SENDS.labels(row.kind, "held").inc()
            return "held"
        composed = compose(
            row.text,
            accents_allowed=channel.accents_allowed and row.language not in PLAIN_LANGS,
            rejected_chars=channel.rejected_chars,
            max_segments=2 if row.kind in (OutboundKind.REPLY, OutboundKind.SUMMARY) else 3,
            lang=row.language,
        )
        row.text, row.encoding, row.segments = composed.text, composed.encoding, composed.segments
        row.channel = channel.name
        row.status = OutboundStatus.SENDING
        row.attempts += 1
        attempts, to, text, kind = row.attempts, row.to, composed.text, row.kind

    result = channel.send(to, text)

    with db.session_scope() as s:
        row = s.get(OutboundMessage, outbound_id, with_for_update=True)
        assert row is not None
        row.provider_status = result.provider_status
        if result.status == SendStatus.ACCEPTED:
            row.status, row.sent_at = OutboundStatus.ACCEPTED, utcnow()
            row.provider_id, row.cost, row.currency = (
                result.provider_id,
                result.cost,
                result.currency,
            )
            row.failure_reason = None
        elif result.status == SendStatus.RETRY and attempts < MAX_ATTEMPTS:
            # The row owes a send at its due time, whatever Redis remembers of the retry.
            row.status, row.failure_reason = OutboundStatus.QUEUED, (result.reason or "retry")[:200]
            row.send_after = utcnow() + timedelta(seconds=BACKOFF[attempts - 1])
        else:
            row.status, row.failure_reason = (
                OutboundStatus.FAILED,
                (result.reason or "failed")[:200],
            )
    log.info("send id=%s to=%s -> %s", outbound_id, mask_number(to), result.status)
    OUTBOUND_SENDS.labels(kind, str(result.status)).inc()
    if result.status != SendStatus.ACCEPTED:
        SEND_FAILURES.labels(label(result.provider_status or result.status)).inc()
    if result.status == SendStatus.ACCEPTED and result.provider_id:
        _apply_parked_reports(result.provider_id)
    if result.status == SendStatus.RETRY and attempts < MAX_ATTEMPTS:
        raise TransientSendError(f"attempt {attempts}: {result.reason}")
    return str(result.status)


PARKED_REPORTS = "dientua:dlr:{}"
PARKED_COUNT = "dientua:dlr:parked"
# A report beats the send job by milliseconds; a few minutes is plenty. The count of parked
# reports is bounded per window, and so is each id's list, whatever a provider (or anyone with
# the token) posts.
PARK_SECONDS = 300
MAX_PARKED = 10_000
MAX_PER_ID = 5


def record_delivery_report(report: DeliveryReport) -> bool:
    """Apply a delivery report (any channel) to its outbound row; idempotent.

    A report can beat the send job's own write of the provider's id (a phone gateway reports
    "sent" within milliseconds): such a report is parked in Redis and applied by the send job.
    """
    with db.session_scope() as s:
        known = apply_delivery_report(
            s,
            provider_id=report.provider_id,
            status=report.status,
            delivered=report.delivered,
            failed=report.failed,
            failure_reason=report.failure_reason,
            should_replace=should_replace,
        )
    if not known:
        key = PARKED_REPORTS.format(report.provider_id)
        try:
            r = runtime.redis()
            pipe = r.pipeline()
            pipe.set(PARKED_COUNT, 0, ex=PARK_SECONDS, nx=True)  # a window starts
            pipe.incr(PARKED_COUNT)
            _, parked = pipe.execute()
            if parked > MAX_PARKED:
                log.warning("delivery report for an unknown message id dropped (too many parked)")
                return known
            pipe = r.pipeline()
            pipe.rpush(key, json.dumps(asdict(report)))
            pipe.ltrim(key, -MAX_PER_ID, -1)
            pipe.expire(key, PARK_SECONDS)
            pipe.execute()
            log.info("delivery report for a message id not stored yet: parked")
        except RedisError:
            log.warning("delivery report for an unknown message id dropped (Redis unavailable)")
    return known


def _apply_parked_reports(provider_id: str) -> None:
    key = PARKED_REPORTS.format(provider_id)
    pipe = runtime.redis().pipeline()
    pipe.lrange(key, 0, -1)
    pipe.delete(key)
    parked, _ = pipe.execute()
    for raw in parked:
        record_delivery_report(DeliveryReport(**json.loads(raw)))


def _throttle(channel_name: str, per_second: float) -> None:
    """A shared per-channel rate limit across workers: a counter per second in Redis."""
    if per_second <= 0:
        return
    r = runtime.redis()
    limit = max(int(per_second), 1)
    while True:
        second = int(time.time())
        key = f"dientua:rate:{channel_name}:{second}"
        count = r.incr(key)
        if count == 1:
            r.expire(key, 5)
        if count <= limit:
            return
        time.sleep(max(second + 1 - time.time(), 0.01))
