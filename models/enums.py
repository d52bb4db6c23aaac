"""String enums stored as plain strings."""

from __future__ import annotations

from enum import StrEnum


class Sex(StrEnum):
    MALE = "M"
    FEMALE = "F"


class MemberStatus(StrEnum):
    ACTIVE = "active"
    LEFT = "left"


class Role(StrEnum):
    CHAIR = "chair"
    VICE_CHAIR = "vice_chair"
    SECRETARY = "secretary"
    TREASURER = "treasurer"
    HEALTH_VOLUNTEER = "health_volunteer"
    HOMECARE_VOLUNTEER = "homecare_volunteer"


BOARD_ROLES = frozenset({Role.CHAIR, Role.VICE_CHAIR, Role.SECRETARY, Role.TREASURER})


class InterestMethod(StrEnum):
    FLAT = "flat"
    DECLINING = "declining"


class AreaKind(StrEnum):
    PROVINCE = "province"
    COMMUNE = "commune"
    CLUB = "club"


class BPGrade(StrEnum):
    LOW = "low"
    OPTIMAL = "optimal"
    NORMAL = "normal"
    HIGH_NORMAL = "high_normal"
    GRADE_1 = "grade_1"
    GRADE_2 = "grade_2"
    GRADE_3 = "grade_3"


class AlertLevel(StrEnum):
    NONE = "none"
    AMBER = "amber"
    RED = "red"


class InboundStatus(StrEnum):
    RECEIVED = "received"  # stored, not yet handed to a worker
    QUEUED = "queued"
    PROCESSED = "processed"
    IGNORED = "ignored"  # stored on purpose without an answer (loops, short codes)
    FAILED = "failed"


class OutboundStatus(StrEnum):
    QUEUED = "queued"
    HELD = "held"  # waiting for quiet hours or a cap to pass
    SENDING = "sending"
    ACCEPTED = "accepted"  # the provider took it
    DELIVERED = "delivered"
    FAILED = "failed"
    SKIPPED = "skipped"  # a guard refused it (invalid number, budget)


class OutboundKind(StrEnum):
    REPLY = "reply"
    ALERT = "alert"
    CONFIRMATION = "confirmation"
    SUMMARY = "summary"
    REMINDER = "reminder"
    NOTICE = "notice"


EXEMPT_FROM_QUIET_HOURS = frozenset(
    {OutboundKind.REPLY, OutboundKind.ALERT, OutboundKind.CONFIRMATION}
)


class HelpKind(StrEnum):
    ILL = "ill"
    HOUSEWORK = "housework"
    OTHER = "other"


class RequestStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
