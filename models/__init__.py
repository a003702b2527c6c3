"""Birge's domain: the tables and the operations that keep them consistent.

Importing this package registers every table on ``SQLModel.metadata`` (Alembic and the tests
rely on that); it opens no connection and reads no configuration.
"""

from __future__ import annotations

from models.cases.tables import Case, CaseAgency, CaseCodeCounter, CaseRestricted
from models.core.audit import AuditEvent
from models.core.marks import ChangeMark
from models.feeds.marks import FeedChange
from models.feeds.tokens import FeedToken
from models.integrations.idempotency import IdempotencyKey
from models.integrations.tokens import Integration
from models.meetings.tables import Meeting, MeetingAgency, MeetingResponse, Sitting
from models.minutes.tables import AgendaItem, Attendance, Decision, MeetingMinutes
from models.outbox.notifications import Notification
from models.people.passwords import PasswordReset, PasswordResetRequest
from models.people.sessions import UserSession
from models.people.tables import Agency, District, Region, User
from models.people.throttle import SignInThrottle
from models.tasks.escalation.ladder import EscalationLevel
from models.tasks.tables import StatutoryRule, Task
from models.workdays.calendar import CalendarOverride

__all__ = [
    "Agency",
    "AgendaItem",
    "Attendance",
    "AuditEvent",
    "CalendarOverride",
    "Case",
    "CaseAgency",
    "CaseCodeCounter",
    "CaseRestricted",
    "ChangeMark",
    "Decision",
    "District",
    "EscalationLevel",
    "FeedChange",
    "FeedToken",
    "IdempotencyKey",
    "Integration",
    "Meeting",
    "MeetingAgency",
    "MeetingMinutes",
    "MeetingResponse",
    "Notification",
    "PasswordReset",
    "PasswordResetRequest",
    "Region",
    "SignInThrottle",
    "Sitting",
    "StatutoryRule",
    "Task",
    "User",
    "UserSession",
]
