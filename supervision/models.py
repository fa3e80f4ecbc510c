"""Models of the app, gathered from its sub-packages."""

from supervision.ledger.models import LedgerEvidence, LedgerItem, LedgerReport
from supervision.ledger.tally import LedgerTally
from supervision.meetings.models import (
    Attendance,
    ComplianceRule,
    Meeting,
    MeetingFile,
    MeetingKind,
)
from supervision.meetings.tally import MeetingTally
from supervision.rectification.models import Rectification, RectificationEvidence

__all__ = [
    "Attendance",
    "ComplianceRule",
    "LedgerEvidence",
    "LedgerItem",
    "LedgerReport",
    "LedgerTally",
    "Meeting",
    "MeetingFile",
    "MeetingKind",
    "MeetingTally",
    "Rectification",
    "RectificationEvidence",
]
