"""Birge's domain: the tables and the operations that keep them consistent.

Importing this package registers every table on ``SQLModel.metadata`` (Alembic and the tests
rely on that); it opens no connection and reads no configuration.
"""

from __future__ import annotations

from models.audit import AuditEvent
from models.cases import Case, CaseAgency, CaseCodeCounter, CaseRestricted
from models.escalation import EscalationLevel
from models.feed_marks import FeedChange
from models.feeds import FeedToken
from models.freshness import ChangeMark
from models.meetings import Meeting, MeetingAgency, MeetingResponse, Sitting
from models.minutes import AgendaItem, Attendance, Decision, MeetingMinutes
from models.notifications import Notification
from models.passwords import PasswordReset
from models.people import Agency, District, User
from models.sessions import UserSession
from models.tasks import StatutoryRule, Task
from models.throttle import SignInThrottle
from models.workcalendar import CalendarOverride

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
    "Meeting",
    "MeetingAgency",
    "MeetingMinutes",
    "MeetingResponse",
    "Notification",
    "PasswordReset",
    "SignInThrottle",
    "Sitting",
    "StatutoryRule",
    "Task",
    "User",
    "UserSession",
]
