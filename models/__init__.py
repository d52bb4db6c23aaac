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
from models.console import (  # noqa: E402 - after the tables it refers to
    AlertHandling,
    ConsoleAdmin,
    ConsoleAudit,
    ConsoleSession,
    LoginCode,
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
    "AlertHandling",
    "Attendance",
    "AuditEntry",
    "Base",
    "Club",
    "ClubPlaceHistory",
    "Commune",
    "ConsoleAdmin",
    "ConsoleAudit",
    "ConsoleSession",
    "FundContribution",
    "HealthReading",
    "HelpRequest",
    "HomeVisit",
    "InboundMessage",
    "JobRun",
    "Loan",
    "LoginCode",
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
