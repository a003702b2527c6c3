"""The emails a meeting's changes cause: invitations, updates and cancellations (iTIP).

Every email carries one calendar part that calendar apps apply by UID and SEQUENCE
(RFC 5546): ``REQUEST`` for a new or changed meeting, with every ATTENDEE; ``CANCEL`` with a
higher SEQUENCE and ``STATUS:CANCELLED`` for a cancelled meeting, or for the people no longer
invited; a series as one event with its RRULE (and EXDATEs), a moved sitting as its own
event whose RECURRENCE-ID is the sitting's original start. Invitations and updates carry the
recipient's accept / tentative / decline links.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from email.utils import parseaddr
from enum import StrEnum

from sqlalchemy import select
from sqlmodel import Session, col

from calendars.ical import Address, CalendarEvent, build_invitation
from models.cases.access import may_see_case
from models.cases.tables import Case
from models.core.base import require_id
from models.core.i18n import translator
from models.core.settings import Settings
from models.meetings.answers import rsvp_links
from models.meetings.facts import (
    meeting_agencies,
    meeting_calendar_event,
    meeting_facts,
    organizer_address,
)
from models.meetings.notices import change_email
from models.meetings.tables import (
    KIND_LABELS,
    Answer,
    Meeting,
    MeetingResponse,
    MeetingStatus,
    Sitting,
)
from models.outbox.keys import invitation_key
from models.outbox.notifications import Notification, NotificationKind, add_notification
from models.people.tables import Agency, User

__all__ = ["Purpose", "invitees", "mail_participants", "meeting_events", "meeting_sittings"]


#: How iCalendar names each answer (PARTSTAT of an ATTENDEE).
_PARTSTAT = {
    Answer.ACCEPTED.value: "ACCEPTED",
    Answer.TENTATIVE.value: "TENTATIVE",
    Answer.DECLINED.value: "DECLINED",
}


class Purpose(StrEnum):
    """Why an email about a meeting is sent."""

    INVITE = "invite"
    UPDATE = "update"
    CANCEL = "cancel"
    UNINVITE = "uninvite"
    SITTING_MOVED = "sitting-moved"
    SITTING_CANCELLED = "sitting-cancelled"

    @property
    def method(self) -> str:
        cancels = (Purpose.CANCEL, Purpose.UNINVITE, Purpose.SITTING_CANCELLED)
        return "CANCEL" if self in cancels else "REQUEST"


def invitees(session: Session, agencies: Sequence[Agency]) -> list[User]:
    """Return the active people of *agencies*: everyone a meeting's emails go to."""
    return list(
        session.scalars(
            select(User)
            .where(col(User.agency_id).in_([require_id(a) for a in agencies]))
            .where(col(User.active) == True)  # noqa: E712
            .order_by(col(User.id))
        )
    )


def meeting_sittings(session: Session, meeting: Meeting) -> list[Sitting]:
    """Return the moved and cancelled sittings of *meeting*'s series, by original start."""
    return list(
        session.scalars(
            select(Sitting)
            .where(col(Sitting.meeting_id) == meeting.id)
            .order_by(col(Sitting.original_start))
        )
    )


def meeting_events(
    master: CalendarEvent, sittings: Sequence[Sitting], *, cancelled: bool = False
) -> list[CalendarEvent]:
    """Return *master* with its series' cancelled sittings as EXDATEs, and one override
    event per moved sitting (RECURRENCE-ID = its original start)."""
    if master.rrule is None:
        return [master]
    exdates = tuple(s.original_start for s in sittings if s.cancelled)
    events = [replace(master, exdates=exdates, cancelled=cancelled)]
    for sitting in sittings:
        if not sitting.cancelled:
            events.append(sitting_event(master, sitting, cancelled=cancelled))
    return events


def sitting_event(master: CalendarEvent, sitting: Sitting, *, cancelled: bool) -> CalendarEvent:
    """Return the override event of one sitting of the series *master*."""
    return replace(
        master,
        rrule=None,
        exdates=(),
        recurrence_id=sitting.original_start,
        starts_at=sitting.starts_at,
        ends_at=sitting.ends_at,
        sequence=sitting.sequence,
        last_modified=sitting.updated_at,
        cancelled=cancelled or sitting.cancelled,
    )


def mail_participants(
    session: Session,
    settings: Settings,
    meeting: Meeting,
    purpose: Purpose,
    *,
    now: datetime,
    recipients: Sequence[User] | None = None,
    sitting: Sitting | None = None,
) -> list[Notification]:
    """Write one email per recipient (default: every invitee) about *meeting* to the outbox.

    The dedupe key holds the meeting's sequence, so a change is mailed once per person
    however often the operation that causes it is retried.
    """
    agencies = meeting_agencies(session, meeting)
    case = session.get(Case, meeting.case_id) if meeting.case_id else None
    reply_to = organizer_address(session, meeting)
    people = invitees(session, agencies)
    recipients = people if recipients is None else recipients
    sender_email = parseaddr(settings.mail_from)[1]
    answers = {
        r.user_id: r.answer
        for r in session.scalars(
            select(MeetingResponse).where(col(MeetingResponse.meeting_id) == meeting.id)
        )
    }
    attendees = tuple(
        Address(p.email, p.full_name, _PARTSTAT.get(answers.get(require_id(p), ""), "NEEDS-ACTION"))
        for p in people
    )
    sittings = meeting_sittings(session, meeting)
    notifications = []
    for user in recipients:
        # Need to know: an invitee whose agency is not on the case gets no case code.
        shown_case = case if case is not None and may_see_case(session, user, case) else None
        facts = meeting_facts(
            meeting, agencies, shown_case, locale=user.locale, base_url=settings.base_url
        )
        if sitting is not None:
            facts = replace(facts, starts_at=sitting.starts_at, ends_at=sitting.ends_at)
        master = meeting_calendar_event(
            meeting,
            facts,
            kind_label=translator(user.locale)(KIND_LABELS[meeting.kind]),
            organizer=Address(sender_email, facts.organizer_name),
            # The people no longer invited get a cancellation addressed to them alone.
            attendees=(Address(user.email, user.full_name),)
            if purpose is Purpose.UNINVITE
            else attendees,
        )
        if purpose is Purpose.UNINVITE:
            master = replace(master, sequence=meeting.sequence, cancelled=True)
        if sitting is not None:
            events = [sitting_event(master, sitting, cancelled=sitting.cancelled)]
        else:
            cancelled = purpose in (Purpose.CANCEL, Purpose.UNINVITE)
            events = meeting_events(master, sittings, cancelled=cancelled)
        answering = purpose.method == "REQUEST" and meeting.status == MeetingStatus.SCHEDULED
        links = rsvp_links(settings, meeting, user) if answering else {}
        email = change_email(
            facts,
            purpose.value,
            locale=user.locale,
            zone=settings.zone,
            links=links,
            series_rule=meeting.rrule if sitting is None else None,
        )
        notification = add_notification(
            session,
            district_id=meeting.district_id,
            dedupe_key=invitation_key(
                require_id(meeting),
                meeting.sequence,
                purpose.value,
                require_id(user),
                sitting_id=sitting.id if sitting is not None else None,
            ),
            user_id=user.id,
            recipient=user.email,
            locale=user.locale,
            subject=email.subject,
            body=email.text,
            html=email.html,
            ics=build_invitation(events, timezone=settings.timezone, method=purpose.method),
            ics_method=purpose.method,
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
