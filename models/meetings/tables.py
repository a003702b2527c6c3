"""Meetings the unit schedules and the agencies that take part in them."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from uuid import uuid4

from sqlalchemy import Index, String, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from models.core.base import utc_field, utcnow
from models.core.i18n import N_

__all__ = [
    "KIND_LABELS",
    "Answer",
    "Meeting",
    "MeetingAgency",
    "MeetingKind",
    "MeetingResponse",
    "MeetingStatus",
    "Sitting",
    "meeting_uid",
]


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
    """A meeting: a joint inspection, a prevention council (one sitting, or a series of them),
    a case conference or the unit's coordination meeting.

    ``uid`` is the iCalendar UID, fixed at creation; ``sequence`` rises with every change that
    calendar apps must see, as RFC 5545 asks.
    """

    __tablename__ = "meeting"
    # The district's series (a few dozen councils among its meetings), for the calendar view.
    __table_args__ = (
        Index(
            "ix_meeting_series",
            "district_id",
            "starts_at",
            postgresql_where=text("rrule IS NOT NULL"),
            sqlite_where=text("rrule IS NOT NULL"),
        ),
    )

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
    #: A prevention council's series: an RFC 5545 RRULE (no DTSTART) in the district's local
    #: time, ``starts_at``/``ends_at`` being the first sitting. NULL for a single meeting.
    rrule: str | None = Field(default=None, sa_type=String(300))
    #: The school whose prevention council this is.
    school_agency_id: int | None = Field(default=None, foreign_key="agency.id")
    #: A joint inspection's address: a family's home, so it stays in the portal and never
    #: goes into an email or a feed (it identifies the child).
    address: str = Field(default="", sa_type=String(300), sa_column_kwargs={"server_default": ""})

    #: A joint inspection once held: the number and date of the signed act, and a note (kept
    #: in the portal only, like the address).
    act_number: str | None = Field(default=None, sa_type=String(50))
    act_date: date | None = Field(default=None)
    outcome_note: str = Field(
        default="", sa_type=String(1000), sa_column_kwargs={"server_default": ""}
    )

    @property
    def is_series(self) -> bool:
        return bool(self.rrule)

    #: When the scheduler's tick must next look at this meeting: plan a sitting's reminders
    #: or, for a series, move on to its next sitting once one is over; NULL when nothing is
    #: left. Kept by :func:`models.meetings.reminders.replan_meeting_reminders`; indexed, so a tick
    #: reads only the meetings whose moment has come, however many meetings there are.
    reminder_due_at: datetime | None = utc_field(default=None, nullable=True, index=True)
    #: The start of the sitting that is on now or comes next: a single meeting's start, a
    #: series' next sitting (where it now is, if moved); NULL when a series has none left.
    #: The lists of coming meetings order by it, so a council whose first sitting is long past
    #: still shows by its next one. Kept with ``reminder_due_at``.
    next_sitting_at: datetime | None = utc_field(
        default=None,
        nullable=True,
        index=True,
        sa_column_kwargs={"default": lambda context: context.get_current_parameters()["starts_at"]},
    )


class MeetingAgency(SQLModel, table=True):
    """An agency invited to a meeting."""

    __tablename__ = "meeting_agency"

    meeting_id: int = Field(foreign_key="meeting.id", primary_key=True, ondelete="CASCADE")
    agency_id: int = Field(foreign_key="agency.id", primary_key=True, index=True)


class Sitting(SQLModel, table=True):
    """One sitting of a series that differs from its rule: moved, or cancelled.

    ``original_start`` is where the rule put it: calendar apps match the override to the
    sitting by it (RECURRENCE-ID), and a cancelled one becomes an EXDATE of the series.
    """

    __tablename__ = "meeting_sitting"
    __table_args__ = (UniqueConstraint("meeting_id", "original_start"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True, ondelete="CASCADE")
    original_start: datetime = utc_field()
    starts_at: datetime = utc_field()
    ends_at: datetime = utc_field()
    cancelled: bool = Field(default=False)
    sequence: int = Field(default=0)
    updated_at: datetime = utc_field(default_factory=utcnow)


class Answer(StrEnum):
    """An invitee's answer, as iCalendar's PARTSTAT names it."""

    ACCEPTED = "accepted"
    TENTATIVE = "tentative"
    DECLINED = "declined"


class MeetingResponse(SQLModel, table=True):
    """A person's latest answer to a meeting's invitation (one row per person and meeting)."""

    __tablename__ = "meeting_response"
    __table_args__ = (UniqueConstraint("meeting_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="user_account.id")
    agency_id: int = Field(foreign_key="agency.id")
    answer: str = Field(sa_type=String(16))
    answered_at: datetime = utc_field(default_factory=utcnow)


def meeting_uid(host: str) -> str:
    """Return a new, globally unique iCalendar UID for a meeting."""
    return f"meeting-{uuid4().hex}@{host}"


KIND_LABELS: dict[str, str] = {
    MeetingKind.JOINT_INSPECTION: N_("Joint inspection"),
    MeetingKind.PREVENTION_COUNCIL: N_("Prevention council"),
    MeetingKind.CASE_CONFERENCE: N_("Case conference"),
    MeetingKind.COORDINATION_MEETING: N_("Coordination meeting"),
}
