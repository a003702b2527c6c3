"""The calendar view's meetings: single meetings and every sitting of a series in a window."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import Select, select
from sqlmodel import Session, col

from models.meetings.access import visible_meetings
from models.meetings.sittings import district_zone, sitting_times
from models.meetings.tables import Meeting, MeetingAgency, MeetingKind, MeetingStatus, Sitting
from models.people.tables import Agency, User

__all__ = [
    "MAX_CALENDAR_EVENTS",
    "MAX_CALENDAR_RANGE",
    "CalendarEntry",
    "calendar_meetings",
    "check_range",
]

MAX_CALENDAR_RANGE = timedelta(days=100)
MAX_CALENDAR_EVENTS = 2000


class CalendarEntry(NamedTuple):
    """What the calendar view shows of a meeting or of one sitting of a series: no more
    columns than that are read.

    A named tuple: a month of a busy district is 2,000 of them, made straight from rows.
    """

    id: int
    kind: str
    title: str
    starts_at: datetime
    ends_at: datetime
    location: str
    status: str


def check_range(start: datetime, end: datetime) -> None:
    """Raise ValueError unless [start, end) is a calendar window: not empty, at most 100 days."""
    if end <= start or end - start > MAX_CALENDAR_RANGE:
        raise ValueError("the calendar range must be positive and at most 100 days")


def calendar_meetings(
    session: Session,
    user: User,
    *,
    start: datetime,
    end: datetime,
    kinds: Iterable[str] = (),
    agency_id: int | None = None,
) -> list[CalendarEntry]:
    """Return the meetings *user* may see that overlap [start, end), at most 2000, by start.

    A council series is there with each of its sittings in the window, where it now is: a
    moved sitting at its new time, a cancelled one as cancelled.

    Raises:
      ValueError: the range is empty or longer than :data:`MAX_CALENDAR_RANGE`.
    """
    check_range(start, end)
    visible = visible_meetings(session, user)
    kinds = [k for k in kinds if k in {kind.value for kind in MeetingKind}]
    if kinds:
        visible = visible.where(col(Meeting.kind).in_(kinds))
    if agency_id is not None:
        taking_part = select(col(MeetingAgency.meeting_id)).where(
            col(MeetingAgency.agency_id) == agency_id
        )
        visible = visible.where(col(Meeting.id).in_(taking_part))
    singles = (
        visible.where(col(Meeting.rrule).is_(None))
        # Meetings last at most 12 hours: bounding the start keeps the index range tight.
        .where(col(Meeting.starts_at) < end)
        .where(col(Meeting.starts_at) >= start - timedelta(hours=12))
        .where(col(Meeting.ends_at) > start)
        .order_by(col(Meeting.starts_at), col(Meeting.id))
        .limit(MAX_CALENDAR_EVENTS)
        .with_only_columns(
            col(Meeting.id),
            col(Meeting.kind),
            col(Meeting.title),
            col(Meeting.starts_at),
            col(Meeting.ends_at),
            col(Meeting.location),
            col(Meeting.status),
            maintain_column_froms=True,
        )
    )
    entries = [CalendarEntry._make(row) for row in session.execute(singles)]
    sittings = _sittings(session, user, visible, start=start, end=end)
    if sittings:
        entries = sorted(entries + sittings, key=lambda e: (e.starts_at, e.id))
    return entries[:MAX_CALENDAR_EVENTS]


def _sittings(
    session: Session, user: User, visible: Select[Any], *, start: datetime, end: datetime
) -> list[CalendarEntry]:
    """The sittings in [start, end) of the series *visible* holds."""
    agency = session.get(Agency, user.agency_id)
    if agency is None:
        return []
    series = session.scalars(
        visible.where(col(Meeting.rrule).is_not(None))
        # The district and the rule condition let the partial index ix_meeting_series
        # answer: a district's few dozen councils, not its meetings.
        .where(col(Meeting.district_id) == agency.district_id)
        .where(col(Meeting.starts_at) < end)
    ).all()
    if not series:
        return []
    overrides: defaultdict[int | None, list[Sitting]] = defaultdict(list)
    for override in session.scalars(
        select(Sitting).where(col(Sitting.meeting_id).in_([m.id for m in series]))
    ):
        overrides[override.meeting_id].append(override)
    zone = district_zone(session, agency.district_id)
    entries = []
    for meeting in series:
        for sitting in sitting_times(
            meeting, overrides[meeting.id], zone, after=start, before=end, include_cancelled=True
        ):
            status = MeetingStatus.CANCELLED.value if sitting.cancelled else meeting.status
            entries.append(
                CalendarEntry(
                    meeting.id or 0,
                    meeting.kind,
                    meeting.title,
                    sitting.starts_at,
                    sitting.ends_at,
                    meeting.location,
                    status,
                )
            )
    return entries
