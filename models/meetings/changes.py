"""Change a scheduled meeting: move it, cancel it, change who takes part.

Each operation follows :func:`models.meetings.scheduling.schedule_meeting`: it takes a session
and the acting user, checks the user may change the meeting
(:func:`models.meetings.access.may_change_meeting`),
raises the meeting's SEQUENCE where calendar apps must see the change, writes the audit event
and the outbox rows in the same transaction, and leaves the commit to the caller.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, select
from sqlmodel import Session, col

from calendars.recurrence import RecurrenceError, normalize_rule
from models.cases.tables import Case
from models.core.audit import AuditEvent, record_event
from models.core.base import require_id, utcnow
from models.core.i18n import N_
from models.core.settings import Settings
from models.meetings.access import may_change_meeting
from models.meetings.answers import record_response
from models.meetings.conflicts import move_warnings
from models.meetings.facts import mark_meeting_feeds_dirty, meeting_agencies
from models.meetings.invitable import bound_agency_ids, invitable_agencies
from models.meetings.invitations import Purpose, invitees, mail_participants
from models.meetings.reminders import replan_meeting_reminders
from models.meetings.scheduling import ScheduledMeeting, SchedulingError, check_times
from models.meetings.tables import Meeting, MeetingAgency, MeetingKind, MeetingStatus, Sitting
from models.people.tables import User

__all__ = [
    "after_change",
    "announce_change",
    "bump_sequence",
    "cancel_meeting",
    "change_participants",
    "check_may_change",
    "check_not_held",
    "check_reschedule_meeting",
    "minutes_recorded",
    "record_response",
    "reschedule_meeting",
]


def check_may_change(session: Session, user: User, meeting: Meeting) -> None:
    if not may_change_meeting(session, user, meeting):
        raise SchedulingError(N_("You may not change this meeting."))
    if meeting.status == MeetingStatus.CANCELLED:
        raise SchedulingError(N_("This meeting is cancelled and cannot be changed."))


def minutes_recorded(
    session: Session, meeting: Meeting, sitting_start: datetime | None = None
) -> bool:
    """Tell whether *meeting* was held and minuted (a series: its sitting that the rule puts
    at *sitting_start*; without one, any of its sittings).

    The minutes live in :mod:`models.minutes`, above this package; recording them writes
    ``meeting.minutes_recorded`` into the meeting's history (``sitting=<start> ...`` for a
    series), which is what is read here.
    """
    details = session.scalars(
        select(col(AuditEvent.detail))
        .where(col(AuditEvent.object_type) == "meeting")
        .where(col(AuditEvent.object_id) == meeting.id)
        .where(col(AuditEvent.action) == "meeting.minutes_recorded")
    ).all()
    if not meeting.is_series or sitting_start is None:
        return bool(details)
    return any(_sitting_named(detail) == sitting_start for detail in details)


def _sitting_named(detail: str) -> datetime | None:
    first = detail.split(" ", 1)[0]
    if not first.startswith("sitting="):
        return None
    try:
        return datetime.fromisoformat(first.removeprefix("sitting="))
    except ValueError:
        return None


def check_not_held(
    session: Session, meeting: Meeting, sitting_start: datetime | None = None
) -> None:
    """Refuse to move or cancel a meeting (a series: the sitting at *sitting_start*) whose
    minutes are recorded: it took place, and its decisions are tasks already.

    Raises:
      SchedulingError: the minutes are recorded.
    """
    if meeting.is_series and sitting_start is None:
        return  # the series as a whole: its held sittings are refused one by one
    if minutes_recorded(session, meeting, sitting_start):
        raise SchedulingError(
            N_("The minutes are recorded: the meeting was held and cannot be moved or cancelled.")
        )


def bump_sequence(meeting: Meeting, now: datetime) -> None:
    """Raise the SEQUENCE: calendar apps apply only a change with a higher one."""
    meeting.sequence += 1
    meeting.updated_at = now


def after_change(
    session: Session,
    settings: Settings,
    meeting: Meeting,
    now: datetime,
    *,
    removed_agency_ids: Iterable[int] = (),
) -> None:
    """Follow a change of *meeting*: re-plan its reminders (voiding those of older sequences)
    and mark the feeds it shows in, and those of agencies it no longer has, for rebuilding."""
    replan_meeting_reminders(session, settings, meeting, now=now)
    agency_ids = [require_id(a) for a in meeting_agencies(session, meeting)]
    mark_meeting_feeds_dirty(session, [*agency_ids, *removed_agency_ids], now=now)


def announce_change(
    session: Session,
    settings: Settings,
    meeting: Meeting,
    *,
    by: User,
    action: str,
    purpose: Purpose,
    now: datetime,
    detail: str = "",
) -> ScheduledMeeting:
    """Raise the SEQUENCE of a changed *meeting*, audit *action*, email every invitee for
    *purpose* and follow the change (reminders, feeds), in the caller's transaction."""
    bump_sequence(meeting, now)
    session.add(meeting)
    record_event(
        session,
        user_id=by.id,
        action=action,
        object_type="meeting",
        object_id=meeting.id,
        detail=f"{detail} seq={meeting.sequence}".strip(),
        at=now,
    )
    session.flush()
    notifications = mail_participants(session, settings, meeting, purpose, now=now)
    after_change(session, settings, meeting, now)
    session.flush()
    return ScheduledMeeting(meeting=meeting, notifications=notifications)


def check_reschedule_meeting(
    session: Session,
    settings: Settings,
    meeting: Meeting,
    *,
    by: User,
    starts_at: datetime | None,
    ends_at: datetime | None,
    location: str | None = None,
    now: datetime | None = None,
) -> str:
    """Check a move of *meeting* under the rules of :func:`reschedule_meeting`, writing
    nothing; return the place as it would be written.

    A form that could not read every field calls this to show the domain's problems beside
    its own: *starts_at*/*ends_at* may then be None.

    Raises:
      SchedulingError: the user may not change it, or the new time is not acceptable.
    """
    now = now or utcnow()
    check_may_change(session, by, meeting)
    check_not_held(session, meeting)
    errors = check_times(starts_at, ends_at, now=now)
    place = " ".join((location if location is not None else meeting.location).split())
    if len(place) > 300:
        errors["location"] = N_("The place is too long.")
    if starts_at is None or ends_at is None:
        errors.setdefault("date", N_("Give the new date and times."))
    if errors:
        raise SchedulingError.many(errors)
    assert starts_at is not None and ends_at is not None
    if (starts_at, ends_at, place) == (meeting.starts_at, meeting.ends_at, meeting.location):
        raise SchedulingError(N_("Nothing changed: give a new time or place."), "date")
    if meeting.rrule:
        try:
            normalize_rule(meeting.rrule, starts_at.astimezone(settings.zone))
        except RecurrenceError as exc:
            raise SchedulingError(str(exc), "date") from None
    return place


def reschedule_meeting(
    session: Session,
    settings: Settings,
    meeting: Meeting,
    *,
    by: User,
    starts_at: datetime | None,
    ends_at: datetime | None,
    location: str | None = None,
    now: datetime | None = None,
) -> ScheduledMeeting:
    """Move *meeting* (a series: its first sitting, and with it the rule's later ones) and
    send every invitee the update: ``METHOD:REQUEST``, same UID, new SEQUENCE, all ATTENDEEs.

    A series' new first date must follow its rule; its moved and cancelled sittings are
    reset, since the whole series is sent anew.

    Raises:
      SchedulingError: as :func:`check_reschedule_meeting`, which runs first.
    """
    now = now or utcnow()
    place = check_reschedule_meeting(
        session,
        settings,
        meeting,
        by=by,
        starts_at=starts_at,
        ends_at=ends_at,
        location=location,
        now=now,
    )
    assert starts_at is not None and ends_at is not None
    before = meeting.starts_at
    # A moved series is sent whole; its sittings' overrides were keyed by the old starts.
    overrides = session.scalars(select(Sitting).where(col(Sitting.meeting_id) == meeting.id)).all()
    for sitting in overrides:
        session.delete(sitting)
    meeting.starts_at, meeting.ends_at, meeting.location = starts_at, ends_at, place
    bump_sequence(meeting, now)
    session.add(meeting)
    record_event(
        session,
        user_id=by.id,
        action="meeting.rescheduled",
        object_type="meeting",
        object_id=meeting.id,
        detail=f"from={before.isoformat()} to={starts_at.isoformat()} seq={meeting.sequence}"
        + (f" sittings_reset={len(overrides)}" if overrides else ""),
        at=now,
    )
    session.flush()
    warnings = move_warnings(session, settings, meeting, starts_at=starts_at, ends_at=ends_at)
    notifications = mail_participants(session, settings, meeting, Purpose.UPDATE, now=now)
    after_change(session, settings, meeting, now)
    session.flush()
    return ScheduledMeeting(meeting=meeting, notifications=notifications, warnings=warnings)


def cancel_meeting(
    session: Session,
    settings: Settings,
    meeting: Meeting,
    *,
    by: User,
    now: datetime | None = None,
) -> ScheduledMeeting:
    """Cancel *meeting* (a series: all its sittings) and send every invitee
    ``METHOD:CANCEL`` with ``STATUS:CANCELLED`` and a higher SEQUENCE.

    Raises:
      SchedulingError: the user may not change it, it is cancelled already, or it was held
        (:func:`check_not_held`).
    """
    now = now or utcnow()
    check_may_change(session, by, meeting)
    check_not_held(session, meeting)
    meeting.status = MeetingStatus.CANCELLED.value
    return announce_change(
        session,
        settings,
        meeting,
        by=by,
        action="meeting.cancelled",
        purpose=Purpose.CANCEL,
        now=now,
    )


def change_participants(
    session: Session,
    settings: Settings,
    meeting: Meeting,
    *,
    by: User,
    agency_ids: Iterable[int],
    now: datetime | None = None,
) -> ScheduledMeeting:
    """Make *agency_ids* (with the organizer) the agencies taking part in *meeting*.

    The people of added agencies get the invitation; those of removed agencies a
    cancellation addressed to them; those who stay an update listing everyone (the SEQUENCE
    rises, since the ATTENDEE list changed).

    Raises:
      SchedulingError: the user may not change it, or the agencies are not acceptable.
    """
    now = now or utcnow()
    check_may_change(session, by, meeting)
    district = {require_id(a): a for a in invitable_agencies(session, meeting.district_id)}
    wanted = {int(a) for a in agency_ids} | {meeting.organizer_agency_id}
    if meeting.school_agency_id is not None:
        wanted.add(meeting.school_agency_id)
    if not wanted <= set(district):
        raise SchedulingError(N_("One of the chosen agencies does not exist."), "agencies")
    case = session.get(Case, meeting.case_id) if meeting.case_id is not None else None
    bound = bound_agency_ids(
        session, kind=meeting.kind, case=case, organizer_agency_id=meeting.organizer_agency_id
    )
    if bound is not None and wanted - bound:
        raise SchedulingError(
            N_("Only the agencies working on the case may be invited."), "agencies"
        )
    if len(wanted) < 2 and meeting.kind != MeetingKind.PREVENTION_COUNCIL:
        raise SchedulingError(N_("Invite at least one other agency."), "agencies")
    current = {require_id(a) for a in meeting_agencies(session, meeting)}
    added, removed = wanted - current, current - wanted
    if not added and not removed:
        raise SchedulingError(N_("Nothing changed: tick or untick an agency."), "agencies")
    removed_people = invitees(session, [district[i] for i in sorted(removed)]) if removed else []
    added_people = invitees(session, [district[i] for i in sorted(added)]) if added else []
    session.execute(
        delete(MeetingAgency)
        .where(col(MeetingAgency.meeting_id) == meeting.id)
        .where(col(MeetingAgency.agency_id).in_(removed))
    )
    for agency_id in sorted(added):
        session.add(MeetingAgency(meeting_id=require_id(meeting), agency_id=agency_id))
    bump_sequence(meeting, now)
    session.add(meeting)
    slugs = lambda ids: ",".join(district[i].slug for i in sorted(ids))  # noqa: E731
    record_event(
        session,
        user_id=by.id,
        action="meeting.participants_changed",
        object_type="meeting",
        object_id=meeting.id,
        detail=f"added={slugs(added)} removed={slugs(removed)} seq={meeting.sequence}",
        at=now,
    )
    session.flush()
    notifications = mail_participants(
        session, settings, meeting, Purpose.UNINVITE, now=now, recipients=removed_people
    )
    notifications += mail_participants(
        session, settings, meeting, Purpose.INVITE, now=now, recipients=added_people
    )
    staying = [
        p
        for p in invitees(session, meeting_agencies(session, meeting))
        if p.id not in {a.id for a in added_people}
    ]
    notifications += mail_participants(
        session, settings, meeting, Purpose.UPDATE, now=now, recipients=staying
    )
    after_change(session, settings, meeting, now, removed_agency_ids=removed)
    session.flush()
    return ScheduledMeeting(meeting=meeting, notifications=notifications)
