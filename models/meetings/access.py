"""Need to know of a meeting: who may schedule one, which meetings a user's agency may see and
change."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, select
from sqlmodel import Session, col

from models.meetings.tables import Meeting, MeetingAgency, MeetingStatus
from models.people.access import agency_of, oversees_district
from models.people.tables import Role, User

__all__ = [
    "coming_meetings",
    "may_change_meeting",
    "may_schedule_meetings",
    "may_see_meeting",
    "upcoming_meetings",
    "visible_meetings",
]


def may_schedule_meetings(user: User) -> bool:
    """Tell whether *user* may schedule meetings (and organizes their agency's): anyone active
    but a member."""
    return user.active and Role(user.role).may_schedule


def visible_meetings(session: Session, user: User) -> Select[Any]:
    """Return a query of the meetings *user* may see (any status, any time), unordered.

    Staff see the meetings their agency takes part in; those who oversee the district see
    every meeting of it. Callers add their own time range, order and limit.
    """
    query = select(Meeting)
    if oversees_district(session, user):
        return query.where(col(Meeting.district_id) == agency_of(session, user).district_id)
    return query.join(MeetingAgency, col(MeetingAgency.meeting_id) == col(Meeting.id)).where(
        col(MeetingAgency.agency_id) == user.agency_id
    )


def upcoming_meetings(
    session: Session, user: User, *, now: datetime, limit: int = 100
) -> Sequence[Meeting]:
    """Return the scheduled meetings not yet over that *user* may see, soonest first.

    Staff see the meetings their agency takes part in; the chair, administrators and the
    unit's secretary see the whole district. A council series counts by its next sitting
    (``Meeting.next_sitting_at``, indexed and kept by the scheduler's tick).
    """
    return session.scalars(
        coming_meetings(visible_meetings(session, user), now=now)
        .where(col(Meeting.status) == MeetingStatus.SCHEDULED)
        .limit(limit)
    ).all()


def coming_meetings(query: Select[Any], *, now: datetime) -> Select[Any]:
    """Narrow a query of meetings to those not yet over, by their next sitting, soonest first.

    A series' next sitting is not over by construction (the tick moves it on when it is); a
    single meeting lasts at most 12 hours, so a lower bound on the start keeps the index range
    tight.
    """
    return (
        query.where(col(Meeting.next_sitting_at) >= now - timedelta(hours=12))
        .where((col(Meeting.ends_at) >= now) | col(Meeting.rrule).is_not(None))
        .order_by(col(Meeting.next_sitting_at), col(Meeting.id))
    )


def may_see_meeting(session: Session, user: User, meeting: Meeting) -> bool:
    """Tell whether *user* may open *meeting*."""
    if oversees_district(session, user):
        return agency_of(session, user).district_id == meeting.district_id
    return session.get(MeetingAgency, (meeting.id, user.agency_id)) is not None


def may_change_meeting(session: Session, user: User, meeting: Meeting) -> bool:
    """Tell whether *user* may reschedule, cancel or change the participants of *meeting*:
    the organizing agency's coordinators, and those who schedule for the whole district."""
    if not may_schedule_meetings(user):
        return False
    if oversees_district(session, user):
        return agency_of(session, user).district_id == meeting.district_id
    return user.agency_id == meeting.organizer_agency_id
