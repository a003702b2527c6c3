"""A decision of a held meeting as the secretary writes it: what, which agency, by when (a date
or working days counted on the district's calendar), and the checks it must pass before
:func:`models.minutes.recording.record_minutes` makes it a task."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlmodel import Session

from calendars.workdays import Period, PeriodKind, WorkCalendar
from models.cases.access import JoinReason, check_agency_joins
from models.cases.tables import Case
from models.core.i18n import N_
from models.core.text import date_in_range, has_forbidden_controls
from models.meetings.tables import Meeting
from models.minutes.tables import DueKind
from models.people.tables import Agency, User
from models.tasks.assignees import may_take_task

__all__ = [
    "MAX_DECISION_LENGTH",
    "MAX_WORKING_DAYS",
    "DecisionDraft",
    "check_decision",
    "decision_due_at",
]

MAX_DECISION_LENGTH = 300
MAX_WORKING_DAYS = 250  # about a working year; a longer deadline is a date


@dataclass(frozen=True)
class DecisionDraft:
    """A decision as the secretary wrote it: what, who, and by when (a date or working days)."""

    text: str
    agency_id: int | None
    due_kind: str
    due_date: date | None = None
    due_days: int | None = None
    assignee_id: int | None = None


def decision_due_at(
    calendar: WorkCalendar,
    held_at: datetime,
    due_kind: str,
    due_date: date | None,
    days: int | None,
) -> datetime:
    """Return when a decision is due: the end of the working day on *due_date*, or *days*
    working days counted on the district's calendar from the day after the sitting held at
    *held_at* (as a statutory period is counted), at the end of that working day."""
    if due_kind == DueKind.WORKING_DAYS:
        assert days is not None
        return calendar.due(held_at, Period(PeriodKind.WORKING_DAYS, days))
    assert due_date is not None
    return datetime.combine(due_date, calendar.day_ends, tzinfo=calendar.zone).astimezone(UTC)


def check_decision(
    session: Session,
    user: User,
    meeting: Meeting,
    case: Case | None,
    held_at: datetime,
    calendar: WorkCalendar,
    draft: DecisionDraft,
    index: int,
    now: datetime,
    errors: dict[str | None, str],
) -> datetime | None:
    """Check the *index*-th decision of a record, noting each problem in *errors* at its form
    field; return its due moment (None when it has none)."""
    prefix = f"decisions-{index}-"
    text = " ".join(draft.text.split())
    if not text:
        errors[prefix + "text"] = N_("Write the decision.")
    elif has_forbidden_controls(text):
        errors[prefix + "text"] = N_("This field holds characters that are not allowed.")
    elif len(text) > MAX_DECISION_LENGTH:
        errors[prefix + "text"] = N_("This text is too long.")
    agency = session.get(Agency, draft.agency_id) if draft.agency_id is not None else None
    if agency is None or agency.district_id != meeting.district_id:
        errors[prefix + "agency"] = N_("Choose the responsible agency.")
    elif case is not None and (
        refused := check_agency_joins(session, user, case, agency, how=JoinReason.DECISION)
    ):
        errors[prefix + "agency"] = refused
    elif draft.assignee_id is not None and not may_take_task(
        session.get(User, draft.assignee_id), agency
    ):
        errors[prefix + "assignee"] = N_("Choose a person of the responsible agency.")
    if draft.due_kind == DueKind.WORKING_DAYS:
        field = prefix + "due_days"
        if draft.due_days is None or not 1 <= draft.due_days <= MAX_WORKING_DAYS:
            errors[field] = N_("Give a number of working days from 1 to 250.")
            return None
    elif draft.due_kind == DueKind.DATE:
        field = prefix + "due_date"
        if draft.due_date is None or not date_in_range(draft.due_date):
            errors[field] = N_("Give the date the decision is due.")
            return None
    else:
        errors[prefix + "due_kind"] = N_("Say how the deadline is given.")
        return None
    due_at = decision_due_at(calendar, held_at, draft.due_kind, draft.due_date, draft.due_days)
    if due_at <= now:
        errors[field] = N_("This deadline has already passed.")
        return None
    return due_at
