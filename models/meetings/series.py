"""A prevention council's series: move or cancel one sitting, end the series from a date.

A changed sitting is a :class:`~models.meetings.tables.Sitting` override keyed by its original
start; the series itself is untouched, so calendar apps keep every other sitting. Each change
raises the meeting's SEQUENCE (the override carries it) and mails every invitee one update
with RECURRENCE-ID, audited like every other change.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from sqlmodel import Session

from calendars.recurrence import RecurrenceError, end_rule_before
from models.core.audit import record_event
from models.core.base import require_id, utcnow
from models.core.i18n import N_
from models.core.settings import Settings
from models.meetings.changes import (
    after_change,
    announce_change,
    bump_sequence,
    check_may_change,
    check_not_held,
)
from models.meetings.conflicts import move_warnings
from models.meetings.invitations import Purpose, mail_participants
from models.meetings.scheduling import ScheduledMeeting, SchedulingError, check_times
from models.meetings.sittings import rule_has_sitting, sitting_override
from models.meetings.tables import Meeting, Sitting
from models.people.tables import User

__all__ = ["cancel_sitting", "end_series", "move_sitting"]


def _sitting(
    session: Session, settings: Settings, meeting: Meeting, original_start: datetime
) -> Sitting:
    """Return the override of the sitting at *original_start*, new if there is none yet."""
    if not meeting.rrule:
        raise SchedulingError(N_("This meeting is not a series."))
    if not rule_has_sitting(meeting, settings.zone, original_start):
        raise SchedulingError(N_("The series has no sitting at that time."))
    check_not_held(session, meeting, original_start)
    found = sitting_override(session, meeting, original_start)
    if found is not None:
        if found.cancelled:
            raise SchedulingError(N_("This sitting is cancelled already."))
        return found
    return Sitting(
        meeting_id=require_id(meeting),
        original_start=original_start,
        starts_at=original_start,
        ends_at=original_start + (meeting.ends_at - meeting.starts_at),
    )


def move_sitting(
    session: Session,
    settings: Settings,
    meeting: Meeting,
    *,
    by: User,
    original_start: datetime,
    starts_at: datetime | None,
    ends_at: datetime | None,
    now: datetime | None = None,
) -> ScheduledMeeting:
    """Move the sitting the rule puts at *original_start* to a new time; the others stay."""
    now = now or utcnow()
    check_may_change(session, by, meeting)
    sitting = _sitting(session, settings, meeting, original_start)
    errors = check_times(starts_at, ends_at, now=now)
    if starts_at is None or ends_at is None:
        errors.setdefault("date", N_("Give the new date and times."))
    if errors:
        raise SchedulingError.many(errors)
    assert starts_at is not None and ends_at is not None
    if (starts_at, ends_at) == (sitting.starts_at, sitting.ends_at):
        raise SchedulingError(N_("Nothing changed: give a new time or place."), "date")
    bump_sequence(meeting, now)
    sitting.starts_at, sitting.ends_at = starts_at, ends_at
    sitting.sequence, sitting.updated_at = meeting.sequence, now
    changed = _changed(session, settings, meeting, sitting, by, "meeting.sitting_moved", now)
    warnings = move_warnings(session, settings, meeting, starts_at=starts_at, ends_at=ends_at)
    return replace(changed, warnings=warnings)


def cancel_sitting(
    session: Session,
    settings: Settings,
    meeting: Meeting,
    *,
    by: User,
    original_start: datetime,
    now: datetime | None = None,
) -> ScheduledMeeting:
    """Cancel the one sitting at *original_start*: an EXDATE of the series, and a
    ``METHOD:CANCEL`` with its RECURRENCE-ID to every invitee."""
    now = now or utcnow()
    check_may_change(session, by, meeting)
    sitting = _sitting(session, settings, meeting, original_start)
    if sitting.starts_at <= now:
        raise SchedulingError(N_("This sitting has already begun."))
    bump_sequence(meeting, now)
    sitting.cancelled = True
    sitting.sequence, sitting.updated_at = meeting.sequence, now
    return _changed(session, settings, meeting, sitting, by, "meeting.sitting_cancelled", now)


def end_series(
    session: Session,
    settings: Settings,
    meeting: Meeting,
    *,
    by: User,
    last_day: date | None,
    now: datetime | None = None,
) -> ScheduledMeeting:
    """End the series so that no sitting falls on *last_day* (a local date) or later, and
    send every invitee the series with its new UNTIL."""
    now = now or utcnow()
    check_may_change(session, by, meeting)
    if not meeting.rrule:
        raise SchedulingError(N_("This meeting is not a series."))
    if last_day is None:
        raise SchedulingError(N_("Give the date from which no sitting takes place."), "date")
    if last_day < now.astimezone(settings.zone).date():
        raise SchedulingError(N_("The series cannot end in the past."), "date")
    try:
        rule = end_rule_before(
            meeting.rrule, meeting.starts_at.astimezone(settings.zone), last_day, settings.zone
        )
    except RecurrenceError as exc:
        raise SchedulingError(str(exc), "date") from None
    if rule == meeting.rrule:
        raise SchedulingError(N_("The series ends before that date already."), "date")
    meeting.rrule = rule
    return announce_change(
        session,
        settings,
        meeting,
        by=by,
        action="meeting.series_ended",
        purpose=Purpose.UPDATE,
        now=now,
        detail=f"from={last_day.isoformat()}",
    )


def _changed(
    session: Session,
    settings: Settings,
    meeting: Meeting,
    sitting: Sitting,
    by: User,
    action: str,
    now: datetime,
) -> ScheduledMeeting:
    session.add(meeting)
    session.add(sitting)
    session.flush()
    record_event(
        session,
        user_id=by.id,
        action=action,
        object_type="meeting",
        object_id=meeting.id,
        detail=f"sitting={sitting.original_start.isoformat()} "
        f"to={sitting.starts_at.isoformat()} seq={meeting.sequence}",
        at=now,
    )
    purpose = Purpose.SITTING_CANCELLED if sitting.cancelled else Purpose.SITTING_MOVED
    notifications = mail_participants(session, settings, meeting, purpose, now=now, sitting=sitting)
    after_change(session, settings, meeting, now)
    session.flush()
    return ScheduledMeeting(meeting=meeting, notifications=notifications)
