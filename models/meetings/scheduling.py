"""Schedule meetings: the meeting, its audit event and its invitations, in one transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlmodel import Session, col

from calendars.recurrence import RecurrenceError, normalize_rule
from models.cases.access import may_see_case
from models.cases.tables import Case
from models.core.audit import record_event
from models.core.base import require_id, utcnow
from models.core.errors import DomainError
from models.core.i18n import N_
from models.core.settings import Settings
from models.core.text import date_in_range, has_forbidden_controls
from models.meetings.access import may_schedule_meetings
from models.meetings.conflicts import SchedulingWarning, day_off_warnings, scheduling_warnings
from models.meetings.facts import mark_meeting_feeds_dirty
from models.meetings.invitable import bound_agency_ids, invitable_agencies
from models.meetings.invitations import Purpose, mail_participants
from models.meetings.reminders import replan_meeting_reminders
from models.meetings.tables import (
    KIND_LABELS,
    Meeting,
    MeetingAgency,
    MeetingKind,
    meeting_uid,
)
from models.outbox.notifications import Notification
from models.people.tables import Agency, AgencyKind, User

__all__ = [
    "MAX_MEETING_LENGTH",
    "PlannedMeeting",
    "ScheduledMeeting",
    "SchedulingError",
    "check_schedule_meeting",
    "check_times",
    "normalize_case_code",
    "schedule_meeting",
]

MAX_MEETING_LENGTH = timedelta(hours=12)
MAX_TITLE_LENGTH = 200
MAX_LOCATION_LENGTH = 300


class SchedulingError(DomainError):
    """The meeting cannot be scheduled or changed as asked; a form's problems come all at
    once (:meth:`DomainError.many`), each next to its field."""


@dataclass(frozen=True)
class ScheduledMeeting:
    meeting: Meeting
    notifications: Sequence[Notification]
    #: Things the organizer should know but that do not stop the meeting (overlaps, days off).
    warnings: Sequence[SchedulingWarning] = ()

    @property
    def notification_ids(self) -> list[int]:
        return [n.id for n in self.notifications if n.id is not None]


def check_times(
    starts_at: datetime | None, ends_at: datetime | None, *, now: datetime
) -> dict[str | None, str]:
    """Return what is wrong with a meeting's times, by form field."""
    errors: dict[str | None, str] = {}
    if starts_at is None or ends_at is None:
        return errors
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise ValueError("meeting times must be timezone-aware")
    if not (date_in_range(starts_at) and date_in_range(ends_at)):
        errors["date"] = N_("A meeting must take place between 2000 and 2100.")
        return errors
    if ends_at <= starts_at:
        errors["end_time"] = N_("The meeting must end after it starts.")
    elif ends_at - starts_at > MAX_MEETING_LENGTH:
        errors["end_time"] = N_("A meeting may last at most 12 hours.")
    if starts_at < now:
        errors["date"] = N_("The meeting cannot start in the past.")
    return errors


def normalize_case_code(code: str | None) -> str:
    """Return a case code as written on paper: ``d-2026-0042 `` becomes ``D-2026-0042``."""
    return (code or "").strip().upper()[:40]


@dataclass(frozen=True)
class PlannedMeeting:
    """A meeting that passed every rule of :func:`schedule_meeting`, as it would be written."""

    organizer_agency: Agency
    title: str
    starts_at: datetime
    ends_at: datetime
    address: str
    case: Case | None
    school: Agency | None
    agencies: list[Agency]
    rrule: str | None


def check_schedule_meeting(
    session: Session,
    settings: Settings,
    *,
    organizer: User,
    kind: str,
    title: str,
    starts_at: datetime | None,
    ends_at: datetime | None,
    agency_ids: Iterable[int],
    location: str = "",
    case_code: str | None = None,
    address: str = "",
    school_id: int | None = None,
    rrule: str | None = None,
    now: datetime | None = None,
) -> PlannedMeeting:
    """Check a meeting under the rules of :func:`schedule_meeting`, writing nothing; return
    it as it would be written.

    A form that could not read every field calls this to show the domain's problems beside
    its own: *starts_at*/*ends_at* may then be None, and the other problems are still found.

    Raises:
      SchedulingError: the organizer may not schedule, or the meeting is not well formed;
        ``errors`` holds every problem found.
    """
    now = now or utcnow()
    if not may_schedule_meetings(organizer):
        raise SchedulingError(N_("You may not schedule meetings."))
    organizer_agency = session.get(Agency, organizer.agency_id)
    assert organizer_agency is not None and organizer_agency.id is not None
    errors: dict[str | None, str] = {}
    for name, text in (("title", title), ("location", location), ("address", address)):
        if has_forbidden_controls(text):
            errors[name] = N_("The title or the place holds characters that are not allowed.")
    title = " ".join(title.split())
    if kind not in KIND_LABELS:
        errors["kind"] = N_("Choose the kind of meeting.")
    if not title:
        errors["title"] = N_("Give the meeting a title.")
    elif len(title) > MAX_TITLE_LENGTH:
        errors.setdefault("title", N_("The title is too long."))
    if len(location.strip()) > MAX_LOCATION_LENGTH:
        errors.setdefault("location", N_("The place is too long."))
    address = " ".join(address.split())
    if len(address) > MAX_LOCATION_LENGTH:
        errors.setdefault("address", N_("The address is too long."))
    errors.update(check_times(starts_at, ends_at, now=now))
    if starts_at is None or ends_at is None:
        errors.setdefault("date", N_("Give the date and times."))

    district_agencies = {
        require_id(a): a for a in invitable_agencies(session, organizer_agency.district_id)
    }
    wanted = {int(a) for a in agency_ids} | {organizer_agency.id}
    if not wanted <= set(district_agencies):
        errors["agencies"] = N_("One of the chosen agencies does not exist.")
    wanted &= set(district_agencies)

    case = None
    code = normalize_case_code(case_code)
    if has_forbidden_controls(code):
        errors["case_code"] = N_("There is no case with this code that your agency works on.")
    elif code:
        case = session.scalars(
            select(Case)
            .where(col(Case.district_id) == organizer_agency.district_id)  # codes are per district
            .where(col(Case.code) == code)
        ).first()
        # Need to know: a case the organizer's agency does not work on "does not exist" for it.
        if case is None or not may_see_case(session, organizer, case):
            errors["case_code"] = N_("There is no case with this code that your agency works on.")
            case = None
    elif kind in (MeetingKind.CASE_CONFERENCE, MeetingKind.JOINT_INSPECTION):
        errors["case_code"] = N_("This kind of meeting needs the code of its case.")

    school = None
    bound = bound_agency_ids(session, kind=kind, case=case, organizer_agency_id=organizer_agency.id)
    if bound is not None:
        if wanted - bound:
            errors["agencies"] = N_("Only the agencies working on the case may be invited.")
        wanted |= bound
    elif kind == MeetingKind.COORDINATION_MEETING:
        if organizer_agency.kind != AgencyKind.AKIMAT:
            errors["kind"] = N_("Coordination meetings are called by the akimat.")
        wanted = set(district_agencies)
    elif kind == MeetingKind.JOINT_INSPECTION and not address:
        errors["address"] = N_("Give the address to be inspected.")
    elif kind == MeetingKind.PREVENTION_COUNCIL:
        if school_id is None and organizer_agency.kind == AgencyKind.SCHOOL:
            school_id = organizer_agency.id
        school = district_agencies.get(school_id) if school_id is not None else None
        if school is None or school.kind != AgencyKind.SCHOOL:
            errors["school"] = N_("Choose the school whose council this is.")
        else:
            wanted.add(require_id(school))
    if rrule and kind != MeetingKind.PREVENTION_COUNCIL:
        errors["rrule"] = N_("Only prevention councils repeat.")
    elif rrule and starts_at is not None:
        try:
            rrule = normalize_rule(rrule, starts_at.astimezone(settings.zone))
        except RecurrenceError as exc:
            errors["rrule"] = str(exc)
    if len(wanted) < 2 and kind != MeetingKind.PREVENTION_COUNCIL and "agencies" not in errors:
        errors["agencies"] = N_("Invite at least one other agency.")
    if errors:
        raise SchedulingError.many(errors)
    assert starts_at is not None and ends_at is not None
    return PlannedMeeting(
        organizer_agency=organizer_agency,
        title=title,
        starts_at=starts_at,
        ends_at=ends_at,
        address=address if kind == MeetingKind.JOINT_INSPECTION else "",
        case=case,
        school=school,
        agencies=[district_agencies[i] for i in sorted(wanted)],
        rrule=rrule or None,
    )


def schedule_meeting(
    session: Session,
    settings: Settings,
    *,
    organizer: User,
    kind: str,
    title: str,
    starts_at: datetime | None,
    ends_at: datetime | None,
    agency_ids: Iterable[int],
    location: str = "",
    case_code: str | None = None,
    address: str = "",
    school_id: int | None = None,
    rrule: str | None = None,
    now: datetime | None = None,
) -> ScheduledMeeting:
    """Add a meeting, its participants, its audit event and one invitation per invitee.

    The organizer's agency always takes part. Every active user of every participating agency
    gets one email in their own language with a ``METHOD:REQUEST`` calendar part and answer
    links. Each kind asks for its own: a joint inspection an address, a case and another
    agency; a prevention council its school (and, for a series, an RRULE); a case conference
    its case, whose agencies it invites and is restricted to; a coordination meeting is called
    by the akimat and invites every agency. Nothing is committed: the caller commits, then
    nudges the workers with the notification ids.

    Raises:
      SchedulingError: as :func:`check_schedule_meeting`, which runs first.
    """
    now = now or utcnow()
    plan = check_schedule_meeting(
        session,
        settings,
        organizer=organizer,
        kind=kind,
        title=title,
        starts_at=starts_at,
        ends_at=ends_at,
        agency_ids=agency_ids,
        location=location,
        case_code=case_code,
        address=address,
        school_id=school_id,
        rrule=rrule,
        now=now,
    )
    agencies, case = plan.agencies, plan.case
    organizer_agency = plan.organizer_agency
    warnings = scheduling_warnings(
        session,
        settings,
        organizer_agency=organizer_agency,
        kind=kind,
        title=plan.title,
        starts_at=plan.starts_at,
        ends_at=plan.ends_at,
        agencies=agencies,
    )

    meeting = Meeting(
        uid=meeting_uid(urlsplit(settings.base_url).hostname or "birge"),
        district_id=organizer_agency.district_id,
        kind=kind,
        title=plan.title,
        starts_at=plan.starts_at,
        ends_at=plan.ends_at,
        location=location.strip(),
        address=plan.address,
        organizer_agency_id=require_id(organizer_agency),
        case_id=case.id if case else None,
        school_agency_id=plan.school.id if plan.school else None,
        rrule=plan.rrule,
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
        + (f" case={case.code}" if case else "")
        + (f" rrule={plan.rrule}" if plan.rrule else ""),
        at=now,
    )
    session.flush()
    warnings += day_off_warnings(session, meeting, starts_at=meeting.starts_at, whole_series=True)
    notifications = mail_participants(session, settings, meeting, Purpose.INVITE, now=now)
    replan_meeting_reminders(session, settings, meeting, now=now)
    mark_meeting_feeds_dirty(session, [a.id for a in agencies], now=now)
    session.flush()
    return ScheduledMeeting(meeting=meeting, notifications=notifications, warnings=warnings)
