"""Record a held meeting: attendance, minutes and decisions (each becomes a task; a decision
itself is :mod:`models.minutes.decisions`), and for a coordination meeting its agenda of
overdue tasks frozen as it stood when the meeting began."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session, col

from models.cases.tables import Case
from models.core.audit import record_event
from models.core.base import require_id
from models.core.errors import DomainError
from models.core.i18n import N_
from models.core.settings import Settings
from models.core.text import has_forbidden_controls
from models.meetings.access import may_change_meeting
from models.meetings.sittings import SittingTime, district_zone, find_sitting
from models.meetings.tables import Meeting, MeetingAgency, MeetingKind, MeetingStatus
from models.minutes.agenda import live_agenda
from models.minutes.decisions import (
    MAX_DECISION_LENGTH,
    MAX_WORKING_DAYS,
    DecisionDraft,
    check_decision,
    decision_due_at,
)
from models.minutes.numbers import issue_protocol_number
from models.minutes.tables import AgendaItem, Attendance, Decision, DueKind, MeetingMinutes
from models.people.tables import Agency, User
from models.tasks.operations import TaskError, create_task
from models.tasks.tables import Task, TaskOrigin
from models.workdays.calendar import district_calendar

__all__ = [
    "MAX_DECISION_LENGTH",
    "MAX_MINUTES_LENGTH",
    "MAX_WORKING_DAYS",
    "DecisionDraft",
    "MinutesError",
    "RecordedMinutes",
    "check_minutes",
    "decision_due_at",
    "may_record_minutes",
    "minutes_of",
    "people_who_may_attend",
    "record_minutes",
    "sitting_of",
]

MAX_MINUTES_LENGTH = 20_000


class MinutesError(DomainError):
    """The minutes cannot be recorded as given; every problem found comes at once
    (:meth:`DomainError.many`), not just the first."""


@dataclass(frozen=True)
class _Checked:
    """What the checks of a record found, for :func:`record_minutes` to write."""

    held: SittingTime
    text: str
    participating: dict[int, Agency]
    people: list[User]
    agency_ids: set[int]
    due: list[datetime | None]


@dataclass(frozen=True)
class RecordedMinutes:
    minutes: MeetingMinutes
    tasks: Sequence[Task]


def may_record_minutes(session: Session, user: User, meeting: Meeting) -> bool:
    """Tell whether *user* may record *meeting*'s minutes: whoever may change the meeting (the
    organizing agency's coordinators, the unit's secretary, the chair, administrators)."""
    return may_change_meeting(session, user, meeting)


def people_who_may_attend(session: Session, agencies: Sequence[Agency]) -> list[User]:
    """Return the people who may be marked present at a meeting of *agencies*: their active
    members, by agency and name."""
    return list(
        session.scalars(
            select(User)
            .where(col(User.agency_id).in_([a.id for a in agencies]))
            .where(col(User.active) == True)  # noqa: E712
            .order_by(col(User.agency_id), col(User.full_name))
        )
    )


def minutes_of(
    session: Session, meeting: Meeting, sitting: datetime | None = None
) -> MeetingMinutes | None:
    """Return the minutes of *meeting* (a series: of its sitting with the original start
    *sitting*), or None while there are none."""
    query = select(MeetingMinutes).where(col(MeetingMinutes.meeting_id) == meeting.id)
    if meeting.is_series:
        if sitting is None:
            return None
        query = query.where(col(MeetingMinutes.sitting_start) == sitting)
    return session.scalars(query).first()


def sitting_of(session: Session, meeting: Meeting, sitting: datetime | None) -> SittingTime | None:
    """Return the sitting a record of *meeting* is about: a single meeting's one sitting
    (*sitting* None), or the series' sitting its rule puts at *sitting*; None when there is no
    such sitting."""
    if not meeting.is_series:
        if sitting is not None and sitting != meeting.starts_at:
            return None
        return SittingTime(meeting.starts_at, meeting.starts_at, meeting.ends_at)
    if sitting is None:
        return None
    return find_sitting(session, meeting, district_zone(session, meeting.district_id), sitting)


def check_minutes(
    session: Session,
    user: User,
    meeting: Meeting,
    *,
    text: str,
    present_user_ids: Iterable[int],
    present_agency_ids: Iterable[int],
    decisions: Sequence[DecisionDraft],
    now: datetime,
    sitting: datetime | None = None,
) -> _Checked:
    """Check the minutes of a sitting under the rules of :func:`record_minutes`, writing
    nothing; a form whose own checks failed calls it to show every problem at once.

    Raises:
      MinutesError: as :func:`record_minutes`.
    """
    held = _check_meeting(session, user, meeting, sitting, now)
    errors: dict[str | None, str] = {}
    text = text.strip()
    if not text:
        errors["text"] = N_("Write the minutes.")
    elif len(text) > MAX_MINUTES_LENGTH:
        errors["text"] = N_("This text is too long.")
    elif has_forbidden_controls(text, multiline=True):
        errors["text"] = N_("This field holds characters that are not allowed.")

    participating = _participating(session, meeting)
    people = _present_people(session, set(present_user_ids), participating, errors)
    agency_ids = set(present_agency_ids)
    if not agency_ids <= set(participating):
        errors["agencies"] = N_("Choose among the participating agencies.")
    if not people and not agency_ids and "people" not in errors:
        errors["people"] = N_("Mark who attended.")

    calendar = district_calendar(session, meeting.district_id)
    case = session.get(Case, meeting.case_id) if meeting.case_id is not None else None
    due = [
        check_decision(session, user, meeting, case, held.starts_at, calendar, d, i, now, errors)
        for i, d in enumerate(decisions)
    ]
    if errors:
        raise MinutesError.many(errors)
    return _Checked(held, text, participating, people, agency_ids, due)


def record_minutes(
    session: Session,
    user: User,
    meeting: Meeting,
    *,
    settings: Settings,
    text: str,
    present_user_ids: Iterable[int],
    present_agency_ids: Iterable[int],
    decisions: Sequence[DecisionDraft],
    now: datetime,
    sitting: datetime | None = None,
) -> RecordedMinutes:
    """Record a sitting of *meeting* as held: its minutes, attendance and decisions, each
    decision a task (``origin=decision``) of its agency; a coordination meeting's agenda is
    frozen as it stood at the meeting's start. A council series records each sitting on its
    own, named by its original start *sitting*; a single meeting takes none. Each decision's
    agency is told of its new task by email. One transaction: nothing is committed, the caller
    commits and nudges the workers.

    Raises:
      MinutesError: the user may not, the sitting cannot have minutes yet, or the input is
        wrong; ``errors`` holds every problem at its field (:func:`check_minutes`, run first).
    """
    checked = check_minutes(
        session,
        user,
        meeting,
        text=text,
        present_user_ids=present_user_ids,
        present_agency_ids=present_agency_ids,
        decisions=decisions,
        now=now,
        sitting=sitting,
    )
    held, text, participating = checked.held, checked.text, checked.participating
    people, agency_ids, due = checked.people, checked.agency_ids, checked.due

    # The protocol's number: per district and year of the sitting, issued now and kept.
    year = held.starts_at.astimezone(district_zone(session, meeting.district_id)).year
    minutes = MeetingMinutes(
        meeting_id=require_id(meeting),
        sitting_start=held.original_start,
        text=text,
        recorded_at=now,
        recorded_by_id=user.id,
        agenda_at=meeting.starts_at if meeting.kind == MeetingKind.COORDINATION_MEETING else None,
        protocol_year=year,
        protocol_number=issue_protocol_number(session, meeting.district_id, year),
    )
    session.add(minutes)
    session.flush()
    minutes_id = require_id(minutes)
    present_agencies = agency_ids | {p.staff_agency_id for p in people}
    for agency_id in sorted(participating):
        session.add(
            Attendance(
                minutes_id=minutes_id, agency_id=agency_id, present=agency_id in present_agencies
            )
        )
    for person in people:
        session.add(
            Attendance(minutes_id=minutes_id, agency_id=person.staff_agency_id, user_id=person.id)
        )
    if meeting.kind == MeetingKind.COORDINATION_MEETING:
        _freeze_agenda(session, meeting, minutes_id)
    tasks = _decide(session, settings, user, meeting, minutes_id, decisions, due, now)
    named = f"sitting={held.original_start.isoformat()} " if meeting.is_series else ""
    present = ",".join(participating[a].slug for a in sorted(present_agencies))
    record_event(
        session,
        user_id=user.id,
        action="meeting.minutes_recorded",
        object_type="meeting",
        object_id=meeting.id,
        detail=f"{named}present={present} decisions={len(tasks)}",
        at=now,
    )
    session.flush()
    return RecordedMinutes(minutes=minutes, tasks=tasks)


def _check_meeting(
    session: Session, user: User, meeting: Meeting, sitting: datetime | None, now: datetime
) -> SittingTime:
    """Return the sitting to record, or raise why it cannot be recorded."""
    if not may_record_minutes(session, user, meeting):
        raise MinutesError(N_("You may not record the minutes of this meeting."))
    if meeting.status == MeetingStatus.CANCELLED:
        raise MinutesError(N_("A cancelled meeting has no minutes."))
    if meeting.is_series and sitting is None:
        raise MinutesError(N_("Choose a sitting of the series."))
    held = sitting_of(session, meeting, sitting)
    if held is None:
        raise MinutesError(N_("The series has no sitting at that time."))
    if held.cancelled:
        raise MinutesError(N_("A cancelled sitting has no minutes."))
    if held.starts_at > now:
        raise MinutesError(N_("The minutes can be recorded once the meeting has begun."))
    if minutes_of(session, meeting, held.original_start) is not None:
        raise MinutesError(N_("The minutes of this meeting are already recorded."))
    return held


def _participating(session: Session, meeting: Meeting) -> dict[int, Agency]:
    rows = session.scalars(
        select(Agency)
        .join(MeetingAgency, col(MeetingAgency.agency_id) == col(Agency.id))
        .where(col(MeetingAgency.meeting_id) == meeting.id)
    )
    return {require_id(a): a for a in rows}


def _present_people(
    session: Session,
    user_ids: set[int],
    participating: dict[int, Agency],
    errors: dict[str | None, str],
) -> list[User]:
    if not user_ids:
        return []
    people = list(
        session.scalars(select(User).where(col(User.id).in_(user_ids)).order_by(col(User.id)))
    )
    if len(people) != len(user_ids) or any(
        p.agency_id not in participating or not p.active for p in people
    ):
        errors["people"] = N_("Choose people of the participating agencies.")
        return []
    return people


def _freeze_agenda(session: Session, meeting: Meeting, minutes_id: int) -> None:
    position = 0
    for group in live_agenda(session, meeting, at=meeting.starts_at):
        for line in group.lines:
            session.add(
                AgendaItem(
                    minutes_id=minutes_id,
                    position=position,
                    agency_id=require_id(group.agency),
                    task_id=line.task_id,
                    title=line.title,
                    case_id=line.case_id,
                    case_code=line.case_code,
                    due_at=line.due_at,
                    working_days_overdue=line.working_days_overdue,
                )
            )
            position += 1


def _decide(
    session: Session,
    settings: Settings,
    user: User,
    meeting: Meeting,
    minutes_id: int,
    decisions: Sequence[DecisionDraft],
    due: Sequence[datetime | None],
    now: datetime,
) -> list[Task]:
    case = session.get(Case, meeting.case_id) if meeting.case_id is not None else None
    tasks = []
    for position, (draft, due_at) in enumerate(zip(decisions, due, strict=True)):
        assert due_at is not None and draft.agency_id is not None
        try:
            task = create_task(
                session,
                user,
                settings=settings,
                title=draft.text,
                agency_id=draft.agency_id,
                due_at=due_at,
                now=now,
                case=case,
                assignee_id=draft.assignee_id,
                origin=TaskOrigin.DECISION,
            )
        except TaskError as exc:  # e.g. the meeting's case was closed meanwhile
            raise MinutesError(str(exc)) from exc
        session.add(
            Decision(
                minutes_id=minutes_id,
                position=position,
                text=task.title,
                agency_id=draft.agency_id,
                assignee_id=draft.assignee_id,
                due_kind=draft.due_kind,
                due_date=draft.due_date if draft.due_kind == DueKind.DATE else None,
                due_days=draft.due_days if draft.due_kind == DueKind.WORKING_DAYS else None,
                due_at=due_at,
                task_id=require_id(task),
            )
        )
        tasks.append(task)
    return tasks
