"""Meetings the unit schedules and the agencies that take part in them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import uuid4

from sqlalchemy import String
from sqlmodel import Field, SQLModel

from models.base import utc_field, utcnow

__all__ = ["Meeting", "MeetingAgency", "MeetingKind", "MeetingStatus", "meeting_uid"]


class MeetingKind(StrEnum):
    """The three kinds of joint work of DOMAIN.md, plus the unit's own meeting."""

    JOINT_INSPECTION = "joint_inspection"
    PREVENTION_COUNCIL = "prevention_council"
    CASE_CONFERENCE = "case_conference"
    COORDINATION_MEETING = "coordination_meeting"


class MeetingStatus(StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class Meeting(SQLModel, table=True):
    """One sitting: a joint inspection, a prevention council, a case conference or the unit's
    coordination meeting.

    ``uid`` is the iCalendar UID, fixed at creation; ``sequence`` rises with every change that
    calendar apps must see, as RFC 5545 asks.
    """

    __tablename__ = "meeting"

    id: int | None = Field(default=None, primary_key=True)
    uid: str = Field(sa_type=String(100), unique=True)
    district_id: int = Field(foreign_key="district.id", index=True)
    kind: str = Field(sa_type=String(32))
    title: str = Field(sa_type=String(200))
    starts_at: datetime = utc_field(index=True)
    ends_at: datetime = utc_field()
    location: str = Field(default="", sa_type=String(300))
    organizer_agency_id: int = Field(foreign_key="agency.id", index=True)
    case_id: int | None = Field(default=None, foreign_key="case_file.id", index=True)
    status: str = Field(default=MeetingStatus.SCHEDULED.value, sa_type=String(16))
    sequence: int = Field(default=0)
    created_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = utc_field(default_factory=utcnow)
    updated_at: datetime = utc_field(default_factory=utcnow)
    #: When the scheduler's tick must next plan reminders for this meeting; NULL when none is
    #: left. Kept by :func:`models.reminders.replan_meeting_reminders`; indexed, so a tick
    #: reads only the meetings whose moment has come, however many meetings there are.
    reminder_due_at: datetime | None = utc_field(default=None, nullable=True, index=True)


class MeetingAgency(SQLModel, table=True):
    """An agency invited to a meeting."""

    __tablename__ = "meeting_agency"

    meeting_id: int = Field(foreign_key="meeting.id", primary_key=True, ondelete="CASCADE")
    agency_id: int = Field(foreign_key="agency.id", primary_key=True, index=True)


def meeting_uid(host: str) -> str:
    """Return a new, globally unique iCalendar UID for a meeting."""
    return f"meeting-{uuid4().hex}@{host}"
