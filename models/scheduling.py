"""Schedule meetings: the meeting, its audit event and its invitations, in one transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parseaddr
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlmodel import Session, col

from calendars.ical import Address, CalendarEvent, build_invitation
from models.access import agencies_knowing_case, may_see_case
from models.audit import record_event
from models.base import require_id, utcnow
from models.cases import Case
from models.feed_marks import mark_feeds_dirty
from models.i18n import KIND_LABELS, N_, translator
from models.meetings import Meeting, MeetingAgency, MeetingKind, MeetingStatus, meeting_uid
from models.messages import MeetingFacts, invitation_email
from models.notifications import Notification, NotificationKind, add_notification
from models.people import Agency, Role, User
from models.settings import Settings
from models.text import date_in_range, has_forbidden_controls, outgoing_text

__all__ = [
    "MAX_MEETING_LENGTH",
    "ScheduledMeeting",
    "SchedulingError",
    "agencies_by_meeting",
    "mark_meeting_feeds_dirty",
    "meeting_agencies",
    "meeting_calendar_event",
    "meeting_facts",
    "organizer_address",
    "schedule_meeting",
]

MAX_MEETING_LENGTH = timedelta(hours=12)
MAX_TITLE_LENGTH = 200
MAX_LOCATION_LENGTH = 300


class SchedulingError(ValueError):
    """The meeting cannot be scheduled as asked; ``str()`` is an English message id."""


@dataclass(frozen=True)
class ScheduledMeeting:
    meeting: Meeting
    notifications: Sequence[Notification]

    @property
    def notification_ids(self) -> list[int]:
        return [n.id for n in self.notifications if n.id is not None]


def schedule_meeting(
    session: Session,
    settings: Settings,
    *,
    organizer: User,
    kind: str,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    agency_ids: Iterable[int],
    location: str = "",
    case_code: str | None = None,
    now: datetime | None = None,
) -> ScheduledMeeting:
    """Add a meeting, its participants, its audit event and one invitation per invitee.

    The organizer's agency always takes part. Every active user of every participating agency
    gets one email in their own language with a ``METHOD:REQUEST`` calendar part. Nothing is
    committed: the caller commits, then nudges the workers with the notification ids.

    Raises:
      SchedulingError: the organizer may not schedule, or the meeting is not well formed.
    """
    now = now or utcnow()
    if not Role(organizer.role).may_schedule or not organizer.active:
        raise SchedulingError(N_("You may not schedule meetings."))
    if has_forbidden_controls(title) or has_forbidden_controls(location):
        raise SchedulingError(N_("The title or the place holds characters that are not allowed."))
    title = " ".join(title.split())
    if kind not in KIND_LABELS:
        raise SchedulingError(N_("Choose the kind of meeting."))
    if not title:
        raise SchedulingError(N_("Give the meeting a title."))
    if len(title) > MAX_TITLE_LENGTH:
        raise SchedulingError(N_("The title is too long."))
    if len(location.strip()) > MAX_LOCATION_LENGTH:
        raise SchedulingError(N_("The place is too long."))
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise ValueError("meeting times must be timezone-aware")
    if not (date_in_range(starts_at) and date_in_range(ends_at)):
        raise SchedulingError(N_("A meeting must take place between 2000 and 2100."))
    if ends_at <= starts_at:
        raise SchedulingError(N_("The meeting must end after it starts."))
    if ends_at - starts_at > MAX_MEETING_LENGTH:
        raise SchedulingError(N_("A meeting may last at most 12 hours."))
    if starts_at < now:
        raise SchedulingError(N_("The meeting cannot start in the past."))

    organizer_agency = session.get(Agency, organizer.agency_id)
    assert organizer_agency is not None and organizer_agency.id is not None
    wanted = {int(a) for a in agency_ids} | {organizer_agency.id}
    agencies = list(
        session.scalars(
            select(Agency)
            .where(col(Agency.id).in_(wanted))
            .where(col(Agency.district_id) == organizer_agency.district_id)
            .order_by(col(Agency.id))
        )
    )
    if len(agencies) != len(wanted):
        raise SchedulingError(N_("One of the chosen agencies does not exist."))
    if len(agencies) < 2 and kind != MeetingKind.PREVENTION_COUNCIL:
        raise SchedulingError(N_("Invite at least one other agency."))

    case = None
    if case_code:
        case = session.scalars(
            select(Case)
            .where(col(Case.district_id) == organizer_agency.district_id)  # codes are per district
            .where(col(Case.code) == case_code.strip())
        ).first()
        # Need to know: a case the organizer's agency does not work on "does not exist" for it.
        if case is None or not may_see_case(session, organizer, case):
            raise SchedulingError(N_("There is no case with this code."))
    elif kind == MeetingKind.CASE_CONFERENCE:
        raise SchedulingError(N_("A case conference needs the code of its case."))

    meeting = Meeting(
        uid=meeting_uid(urlsplit(settings.base_url).hostname or "birge"),
        district_id=organizer_agency.district_id,
        kind=kind,
        title=title,
        starts_at=starts_at,
        ends_at=ends_at,
        location=location.strip(),
        organizer_agency_id=organizer_agency.id,
        case_id=case.id if case else None,
        created_by_id=organizer.id,
        created_at=now,
        updated_at=now,
    )
    session.add(meeting)
    session.flush()
    assert meeting.id is not None
    for agency in agencies:
        assert agency.id is not None
        session.add(MeetingAgency(meeting_id=meeting.id, agency_id=agency.id))
    record_event(
        session,
        user_id=organizer.id,
        action="meeting.scheduled",
        object_type="meeting",
        object_id=meeting.id,
        detail=f"kind={kind} agencies={','.join(a.slug for a in agencies)}"
        + (f" case={case.code}" if case else ""),
        at=now,
    )
    notifications = _invite(session, settings, meeting, agencies, case, now=now)
    # Imported here: the planner builds on this module's helpers.
    from models.reminders import replan_meeting_reminders

    replan_meeting_reminders(session, settings, meeting, now=now)
    mark_meeting_feeds_dirty(session, [a.id for a in agencies], now=now)
    session.flush()
    return ScheduledMeeting(meeting=meeting, notifications=notifications)


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
        summary=f"{kind_label}: {facts.title}",
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
    )


def _invite(
    session: Session,
    settings: Settings,
    meeting: Meeting,
    agencies: Sequence[Agency],
    case: Case | None,
    *,
    now: datetime,
) -> list[Notification]:
    invitees = session.scalars(
        select(User)
        .where(col(User.agency_id).in_([a.id for a in agencies]))
        .where(col(User.active) == True)  # noqa: E712
        .order_by(col(User.id))
    )
    sender_email = parseaddr(settings.mail_from)[1]
    knowing = agencies_knowing_case(session, case) if case else set()
    reply_to = organizer_address(session, meeting)
    notifications = []
    for user in invitees:
        # Need to know: an invitee whose agency is not on the case gets no case code.
        shown_case = case if user.agency_id in knowing or Role(user.role).sees_district else None
        facts = meeting_facts(
            meeting, agencies, shown_case, locale=user.locale, base_url=settings.base_url
        )
        email = invitation_email(facts, locale=user.locale, zone=settings.zone)
        event = meeting_calendar_event(
            meeting,
            facts,
            kind_label=translator(user.locale)(KIND_LABELS[meeting.kind]),
            organizer=Address(sender_email, facts.organizer_name),
            attendees=(Address(user.email, user.full_name),),
        )
        notification = add_notification(
            session,
            dedupe_key=f"meeting:{meeting.id}:seq:{meeting.sequence}:invite:user:{user.id}",
            user_id=user.id,
            recipient=user.email,
            locale=user.locale,
            subject=email.subject,
            body=email.text,
            html=email.html,
            ics=build_invitation(event, timezone=settings.timezone, method="REQUEST"),
            ics_method="REQUEST",
            kind=NotificationKind.INVITATION,
            reply_to=reply_to,
            meeting_id=meeting.id,
            meeting_sequence=meeting.sequence,
            now=now,
            grace=timedelta(seconds=settings.notification_grace_seconds),
        )
        if notification is not None:
            notifications.append(notification)
    return notifications
