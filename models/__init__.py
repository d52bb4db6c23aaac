"""SQLAlchemy models and the rules that keep the data true."""

from models.clubs import (
    Club,
    ClubPlaceHistory,
    Member,
    MemberPhoneHistory,
    MemberRole,
    Supervisor,
    SupervisorArea,
)
from models.db import Base, session_scope
from models.ledger import Loan, Repayment
from models.messages import InboundMessage, JobRun, OutboundMessage
from models.places import Commune, Province
from models.records import (
    Activity,
    Attendance,
    AuditEntry,
    FundContribution,
    HealthReading,
    HelpRequest,
    HomeVisit,
    Meeting,
    Report,
)

__all__ = [
    "Activity",
    "Attendance",
    "AuditEntry",
    "Base",
    "Club",
    "ClubPlaceHistory",
    "Commune",
    "FundContribution",
    "HealthReading",
    "HelpRequest",
    "HomeVisit",
    "InboundMessage",
    "JobRun",
    "Loan",
    "Meeting",
    "Member",
    "MemberPhoneHistory",
    "MemberRole",
    "OutboundMessage",
    "Province",
    "Repayment",
    "Report",
    "Supervisor",
    "SupervisorArea",
    "session_scope",
]
