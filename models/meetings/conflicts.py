"""Warnings when scheduling: an invited agency already sits elsewhere, the same meeting
exists already, or a meeting or sittings fall on days off. They inform the organizer and never
stop the meeting."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlmodel import Session, col

from models.core.base import require_id
from models.core.i18n import N_
from models.core.settings import Settings
from models.meetings.facts import meeting_agencies
from models.meetings.sittings import sitting_times
from models.meetings.tables import Meeting, MeetingAgency, MeetingStatus, Sitting
from models.people.tables import Agency
from models.workdays.calendar import days_off_between, district_calendar

__all__ = ["SchedulingWarning", "day_off_warnings", "move_warnings", "scheduling_warnings"]

#: Longer than any single meeting may last (models.meetings.scheduling.MAX_MEETING_LENGTH).
_LONGEST_MEETING = timedelta(hours=13)
#: How far back a series may have started and still sit in the window looked at.
_SERIES_LOOKBACK = timedelta(days=3 * 366)
#: How far ahead a new or moved series' sittings are checked for days off.
_SERIES_HORIZON = timedelta(days=366)


@dataclass(frozen=True)
class SchedulingWarning:
    """An English message id, the meeting it is about, the agency for ``%(agency)s`` and the
    days off for ``%(days)s`` (each with its English name, see
    :func:`models.workdays.holiday_names.describe_day_off`)."""

    message: str
    meeting_id: int
    agency: Agency | None = None
    days_off: tuple[tuple[date, str], ...] = ()


def scheduling_warnings(
    session: Session,
    settings: Settings,
    *,
    organizer_agency: Agency,
    kind: str,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    agencies: Sequence[Agency],
    exclude_meeting_id: int | None = None,
) -> list[SchedulingWarning]:
    """Return what the organizer should know about the proposed time: an identical meeting
    (same kind, title, organizer and start), and, per invited agency, a meeting of theirs
    that overlaps."""
    ids = [require_id(a) for a in agencies]
    by_id = {require_id(a): a for a in agencies}
    candidates = (
        select(Meeting, col(MeetingAgency.agency_id))
        .join(MeetingAgency, col(MeetingAgency.meeting_id) == col(Meeting.id))
        .where(col(MeetingAgency.agency_id).in_(ids))
        .where(col(Meeting.status) == MeetingStatus.SCHEDULED)
        .where(col(Meeting.starts_at) < ends_at)
        .order_by(col(Meeting.starts_at), col(Meeting.id))
    )
    # Single meetings last at most MAX_MEETING_LENGTH: a short range of the starts_at index.
    singles = session.execute(
        candidates.where(col(Meeting.rrule).is_(None))
        .where(col(Meeting.starts_at) > starts_at - _LONGEST_MEETING)
        .where(col(Meeting.ends_at) > starts_at)
    ).all()
    series = session.execute(
        candidates.where(col(Meeting.rrule).is_not(None)).where(
            col(Meeting.starts_at) > starts_at - _SERIES_LOOKBACK
        )
    ).all()
    rows = [*singles, *series]
    warnings: list[SchedulingWarning] = []
    seen_identical: set[int] = set()
    seen_agency: set[int] = set()
    for meeting, agency_id in rows:
        meeting_id = require_id(meeting)
        if meeting_id == exclude_meeting_id:
            continue
        overrides = (
            session.scalars(select(Sitting).where(col(Sitting.meeting_id) == meeting_id)).all()
            if meeting.rrule
            else []
        )
        sittings = sitting_times(meeting, overrides, settings.zone, after=starts_at, before=ends_at)
        if not sittings:
            continue
        identical = (
            meeting.kind == kind
            and meeting.organizer_agency_id == organizer_agency.id
            and " ".join(meeting.title.split()).casefold() == title.casefold()
            and any(s.starts_at == starts_at for s in sittings)
        )
        if identical and meeting_id not in seen_identical:
            seen_identical.add(meeting_id)
            warnings.append(
                SchedulingWarning(
                    N_("The same meeting is already scheduled at this time."), meeting_id
                )
            )
        elif not identical and agency_id not in seen_agency:
            seen_agency.add(agency_id)
            warnings.append(
                SchedulingWarning(
                    N_("%(agency)s already has a meeting at this time."),
                    meeting_id,
                    by_id[agency_id],
                )
            )
    return warnings


def move_warnings(
    session: Session,
    settings: Settings,
    meeting: Meeting,
    *,
    starts_at: datetime,
    ends_at: datetime,
) -> list[SchedulingWarning]:
    """Return what the organizer should know about *meeting* (or one of its sittings) moved to
    *starts_at*–*ends_at*: :func:`scheduling_warnings` for its organizer and its agencies, the
    meeting itself left out."""
    agencies = meeting_agencies(session, meeting)
    organizer = next(a for a in agencies if a.id == meeting.organizer_agency_id)
    warnings = scheduling_warnings(
        session,
        settings,
        organizer_agency=organizer,
        kind=meeting.kind,
        title=meeting.title,
        starts_at=starts_at,
        ends_at=ends_at,
        agencies=agencies,
        exclude_meeting_id=meeting.id,
    )
    # A moved series starts where its first sitting now is; a moved sitting elsewhere.
    whole_series = meeting.starts_at == starts_at
    return warnings + day_off_warnings(
        session, meeting, starts_at=starts_at, whole_series=whole_series
    )


def day_off_warnings(
    session: Session, meeting: Meeting, *, starts_at: datetime, whole_series: bool
) -> list[SchedulingWarning]:
    """Return a warning naming the days off of the district's calendar that *meeting* falls
    on: its sitting at *starts_at*, or with *whole_series* every sitting of its series in the
    year from *starts_at*."""
    calendar = district_calendar(session, meeting.district_id)
    if meeting.rrule and whole_series:
        message = N_("Sittings fall on days off: %(days)s.")
        starts = [
            s.starts_at
            for s in sitting_times(
                meeting, [], calendar.zone, after=starts_at, before=starts_at + _SERIES_HORIZON
            )
        ]
    else:
        message = N_("This falls on a day off: %(days)s.")
        starts = [starts_at]
    days = sorted({calendar.local_date(start) for start in starts})
    if not days:
        return []
    off = days_off_between(calendar, days[0], days[-1])
    found = tuple((day, off[day]) for day in days if day in off)
    if not found:
        return []
    return [SchedulingWarning(message, require_id(meeting), days_off=found)]
