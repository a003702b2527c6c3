"""What a meeting is as its emails, calendar entries and feeds say it: its agencies, organizer,
facts and calendar event, and the feeds it shows in."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session, col

from calendars.ical import Address, CalendarEvent
from models.cases.tables import Case
from models.core.base import require_id
from models.core.text import outgoing_text
from models.feeds.marks import mark_feeds_dirty
from models.meetings.emails import MeetingFacts
from models.meetings.notices import display_title
from models.meetings.tables import Meeting, MeetingAgency, MeetingStatus
from models.people.tables import Agency, User

__all__ = [
    "agencies_by_meeting",
    "mark_meeting_feeds_dirty",
    "meeting_agencies",
    "meeting_calendar_event",
    "meeting_facts",
    "organizer_address",
]


def mark_meeting_feeds_dirty(
    session: Session, agency_ids: Sequence[int | None], *, now: datetime | None = None
) -> None:
    """Mark the feeds a meeting of *agency_ids* shows in: theirs and their people's."""
    people = session.scalars(select(col(User.id)).where(col(User.agency_id).in_(agency_ids)))
    mark_feeds_dirty(session, agency_ids=agency_ids, user_ids=list(people), now=now)


def organizer_address(session: Session, meeting: Meeting) -> str | None:
    """Return the address replies to a meeting's emails go to: the person who scheduled it."""
    if meeting.created_by_id is None:
        return None
    organizer = session.get(User, meeting.created_by_id)
    return organizer.email if organizer is not None else None


def meeting_agencies(session: Session, meeting: Meeting) -> list[Agency]:
    """Return the agencies taking part in *meeting*, organizer first."""
    return agencies_by_meeting(session, [meeting])[require_id(meeting)]


def agencies_by_meeting(session: Session, meetings: Sequence[Meeting]) -> dict[int, list[Agency]]:
    """Return the agencies of each of *meetings* (organizer first), in one query."""
    found: dict[int, list[Agency]] = {require_id(m): [] for m in meetings}
    if not found:
        return found
    rows = session.execute(
        select(col(MeetingAgency.meeting_id), Agency)
        .join(Agency, col(MeetingAgency.agency_id) == col(Agency.id))
        .where(col(MeetingAgency.meeting_id).in_(list(found)))
        .order_by(col(Agency.id))
    )
    for meeting_id, agency in rows:
        found[meeting_id].append(agency)
    for meeting in meetings:
        found[require_id(meeting)].sort(key=lambda a: a.id != meeting.organizer_agency_id)
    return found


def meeting_facts(
    meeting: Meeting,
    agencies: Sequence[Agency],
    case: Case | None,
    *,
    locale: str,
    base_url: str,
) -> MeetingFacts:
    """Resolve what emails and calendars say about *meeting*."""
    organizer = next(a for a in agencies if a.id == meeting.organizer_agency_id)
    return MeetingFacts(
        kind=meeting.kind,
        title=outgoing_text(meeting.title),
        starts_at=meeting.starts_at,
        ends_at=meeting.ends_at,
        location=outgoing_text(meeting.location),
        organizer_name=outgoing_text(organizer.name(locale)),
        agency_names=tuple(outgoing_text(a.name(locale)) for a in agencies),
        case_code=case.code if case else None,
        url=f"{base_url}/meetings/{meeting.id}",
    )


def meeting_calendar_event(
    meeting: Meeting,
    facts: MeetingFacts,
    *,
    kind_label: str,
    organizer: Address | None = None,
    attendees: tuple[Address, ...] = (),
) -> CalendarEvent:
    """Describe *meeting* as a calendar event (for a feed, or an invitation with attendees)."""
    description = [kind_label, ", ".join(facts.agency_names)]
    if facts.case_code:
        description.append(facts.case_code)
    description.append(facts.url)
    return CalendarEvent(
        uid=meeting.uid,
        summary=display_title(kind_label, facts.title),
        starts_at=meeting.starts_at,
        ends_at=meeting.ends_at,
        last_modified=meeting.updated_at,
        sequence=meeting.sequence,
        cancelled=meeting.status == MeetingStatus.CANCELLED,
        location=facts.location,
        description="\n".join(description),
        url=facts.url,
        categories=(kind_label,),
        organizer=organizer,
        attendees=attendees,
        rrule=meeting.rrule,
    )
