"""A joint inspection once held: the act its participants signed, and a note."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session

from models.core.audit import record_event
from models.core.base import utcnow
from models.core.i18n import N_
from models.core.settings import Settings
from models.meetings.access import may_change_meeting
from models.meetings.scheduling import SchedulingError
from models.meetings.tables import Meeting, MeetingKind, MeetingStatus
from models.people.tables import User

__all__ = [
    "MAX_ACT_NUMBER_LENGTH",
    "MAX_NOTE_LENGTH",
    "check_inspection_outcome",
    "record_inspection_outcome",
]

MAX_ACT_NUMBER_LENGTH = 50
MAX_NOTE_LENGTH = 1000


def _act_number(act_number: str) -> str:
    return " ".join(act_number.split())


def check_inspection_outcome(
    session: Session,
    settings: Settings,
    meeting: Meeting,
    *,
    by: User,
    act_number: str,
    act_date: date | None,
    note: str = "",
    now: datetime | None = None,
) -> None:
    """Check an outcome under the rules of :func:`record_inspection_outcome`, writing nothing.

    A form that could not read every field calls this to show the domain's problems beside
    its own: *act_date* may then be None.

    Raises:
      SchedulingError: the user may not, the meeting is no held joint inspection, or a value
        is missing or out of bounds (``errors`` by field).
    """
    now = now or utcnow()
    if not may_change_meeting(session, by, meeting):
        raise SchedulingError(N_("You may not change this meeting."))
    if meeting.kind != MeetingKind.JOINT_INSPECTION:
        raise SchedulingError(N_("Only a joint inspection has an act."))
    if meeting.status == MeetingStatus.CANCELLED:
        raise SchedulingError(N_("This meeting is cancelled and cannot be changed."))
    if meeting.starts_at > now:
        raise SchedulingError(N_("The outcome is recorded once the inspection has begun."))
    errors: dict[str | None, str] = {}
    act_number = _act_number(act_number)
    if not act_number:
        errors["act_number"] = N_("Give the number of the act.")
    elif len(act_number) > MAX_ACT_NUMBER_LENGTH:
        errors["act_number"] = N_("The act number is too long.")
    held_on = meeting.starts_at.astimezone(settings.zone).date()
    if act_date is None:
        errors["act_date"] = N_("Give the date of the act.")
    elif not held_on <= act_date <= now.astimezone(settings.zone).date():
        errors["act_date"] = N_("The act is dated between the inspection and today.")
    if len(note.strip()) > MAX_NOTE_LENGTH:
        errors["note"] = N_("The note is too long.")
    if errors:
        raise SchedulingError.many(errors)


def record_inspection_outcome(
    session: Session,
    settings: Settings,
    meeting: Meeting,
    *,
    by: User,
    act_number: str,
    act_date: date | None,
    note: str = "",
    now: datetime | None = None,
) -> Meeting:
    """Record the act number, its date and a note of a joint inspection that has begun.

    Recording again corrects the outcome; each time is audited. Nothing is emailed: the act
    and the note stay in the portal.

    Raises:
      SchedulingError: as :func:`check_inspection_outcome`, which runs first.
    """
    now = now or utcnow()
    check_inspection_outcome(
        session,
        settings,
        meeting,
        by=by,
        act_number=act_number,
        act_date=act_date,
        note=note,
        now=now,
    )
    act_number, note = _act_number(act_number), note.strip()
    meeting.act_number, meeting.act_date, meeting.outcome_note = act_number, act_date, note
    meeting.updated_at = now
    session.add(meeting)
    record_event(
        session,
        user_id=by.id,
        action="meeting.outcome_recorded",
        object_type="meeting",
        object_id=meeting.id,
        detail=f"act={act_number}",
        at=now,
    )
    session.flush()
    return meeting
