"""What a held meeting leaves behind: its minutes, who attended, the decisions (each one a
task) and, for a coordination meeting, the agenda of overdue tasks frozen when it was held."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.core.base import utc_field, utcnow

__all__ = [
    "AgendaItem",
    "Attendance",
    "Decision",
    "DueKind",
    "MeetingMinutes",
    "ProtocolCounter",
]


class DueKind(StrEnum):
    """How the meeting set a decision's deadline."""

    DATE = "date"  # by the end of the working day on a date
    WORKING_DAYS = "working_days"  # N working days counted from the meeting


class MeetingMinutes(SQLModel, table=True):
    """The minutes (протокол) of one held sitting; recorded once, then signed on paper.

    A single meeting has one sitting; a council series one record per sitting it held, found
    by the sitting's original start (where its rule put it, as a calendar's RECURRENCE-ID).
    """

    __tablename__ = "meeting_minutes"
    __table_args__ = (
        UniqueConstraint("meeting_id", "sitting_start", name="uq_meeting_minutes_sitting"),
    )

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id")
    #: The sitting's original start; a single meeting's start when it was recorded.
    sitting_start: datetime = utc_field()
    text: str = Field(default="", sa_type=Text())
    recorded_at: datetime = utc_field(default_factory=utcnow)
    recorded_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    #: The moment the frozen agenda was read at: the meeting's start.
    agenda_at: datetime | None = utc_field(default=None, nullable=True)
    #: The protocol's number (№ 7), counted per district and year of the sitting (local date)
    #: when the minutes are recorded, and never changed after (:class:`ProtocolCounter`).
    protocol_year: int | None = Field(default=None)
    protocol_number: int | None = Field(default=None)


class ProtocolCounter(SQLModel, table=True):
    """The last protocol number issued in a district for the sittings of a year.

    Recording minutes locks this row (``SELECT ... FOR UPDATE``) and raises it in the same
    transaction, as case codes are counted: no gaps, no duplicates.
    """

    __tablename__ = "meeting_protocol_counter"

    district_id: int = Field(foreign_key="district.id", primary_key=True)
    year: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    last_number: int = Field(default=0)


class Attendance(SQLModel, table=True):
    """One agency at a held meeting, and (``user_id`` set) one of its people who attended.

    An agency row with ``user_id`` NULL says whether the agency was represented at all, which
    also covers a representative without an account in the portal.
    """

    __tablename__ = "meeting_attendance"
    __table_args__ = (
        UniqueConstraint("minutes_id", "agency_id", "user_id", name="uq_meeting_attendance"),
    )

    id: int | None = Field(default=None, primary_key=True)
    minutes_id: int = Field(foreign_key="meeting_minutes.id", index=True, ondelete="CASCADE")
    agency_id: int = Field(foreign_key="agency.id")
    user_id: int | None = Field(default=None, foreign_key="user_account.id")
    present: bool = Field(default=True)


class Decision(SQLModel, table=True):
    """A decision (поручение) of a held meeting and the task it became."""

    __tablename__ = "meeting_decision"

    id: int | None = Field(default=None, primary_key=True)
    minutes_id: int = Field(foreign_key="meeting_minutes.id", index=True, ondelete="CASCADE")
    position: int = Field(default=0)
    text: str = Field(sa_type=String(300))
    agency_id: int = Field(foreign_key="agency.id")
    assignee_id: int | None = Field(default=None, foreign_key="user_account.id")
    due_kind: str = Field(sa_type=String(16))
    due_date: date | None = Field(default=None, sa_type=Date())
    due_days: int | None = Field(default=None)
    due_at: datetime = utc_field()
    task_id: int = Field(foreign_key="task.id", unique=True)


class AgendaItem(SQLModel, table=True):
    """One overdue task on a coordination meeting's agenda, as it stood when the meeting began.

    Copied, not referenced only: the protocol must keep saying what was overdue then, whatever
    happens to the task later.
    """

    __tablename__ = "meeting_agenda_item"

    id: int | None = Field(default=None, primary_key=True)
    minutes_id: int = Field(foreign_key="meeting_minutes.id", index=True, ondelete="CASCADE")
    position: int = Field(default=0)
    agency_id: int = Field(foreign_key="agency.id")
    task_id: int = Field(foreign_key="task.id")
    title: str = Field(sa_type=String(300))
    case_id: int | None = Field(default=None, foreign_key="case_file.id")
    case_code: str | None = Field(default=None, sa_type=String(32))
    due_at: datetime = utc_field()
    working_days_overdue: int = Field(default=0)
