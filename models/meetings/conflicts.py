"""Warnings when scheduling: an invited agency already sits elsewhere, or the same meeting
exists already. They inform the organizer and never stop the meeting."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlmodel import Session, col

from models.core.base import require_id
from models.core.i18n import N_
from models.core.settings import Settings
from models.meetings.facts import meeting_agencies
from models.meetings.sittings import sitting_times
from models.meetings.tables import Meeting, MeetingAgency, MeetingStatus, Sitting
from models.people.tables import Agency

__all__ = ["SchedulingWarning", "move_warnings", "scheduling_warnings"]

#: Longer than any single meeting may last (models.meetings.scheduling.MAX_MEETING_LENGTH).
_LONGEST_MEETING = timedelta(hours=13)
#: How far back a series may have started and still sit in the window looked at.
_SERIES_LOOKBACK = timedelta(days=3 * 366)


@dataclass(frozen=True)
class SchedulingWarning:
    """An English message id, the meeting it is about, and the agency for ``%(agency)s``."""

    message: str
    meeting_id: int
    agency: Agency | None = None


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
    return scheduling_warnings(
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
