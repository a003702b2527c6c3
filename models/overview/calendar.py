"""The calendar view's task deadlines, and the window of meetings and deadlines it shows."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import select
from sqlmodel import Session, col

from models.cases.access import visible_cases
from models.cases.tables import Case
from models.meetings.tables import MeetingKind
from models.overview.calendar_meetings import (
    MAX_CALENDAR_EVENTS,
    CalendarEntry,
    calendar_meetings,
    check_range,
)
from models.people.access import oversees_district
from models.people.tables import Agency, User
from models.tasks.queries import overdue
from models.tasks.tables import Task, TaskStatus

__all__ = ["TASK_DEADLINE", "CalendarWindow", "TaskDeadline", "calendar_tasks", "calendar_window"]

#: The calendar's kind filter value for task deadlines, next to the meeting kinds.
TASK_DEADLINE = "task_deadline"

_SHOWN = (TaskStatus.OPEN.value, TaskStatus.DONE.value)


class TaskDeadline(NamedTuple):
    """What the calendar view shows of a task: its due moment and case code, no child data."""

    id: int
    title: str
    due_at: datetime
    status: str
    case_code: str | None
    agency_id: int
    overdue: bool


def calendar_tasks(
    session: Session,
    user: User,
    *,
    start: datetime,
    end: datetime,
    now: datetime,
    agency_id: int | None = None,
    limit: int = MAX_CALENDAR_EVENTS,
) -> list[TaskDeadline]:
    """Return the open and done tasks *user* may see due in [start, end), at most *limit*.

    The task lists' rule: those who oversee the district (the chair, administrators, the
    unit's secretary) see its tasks, everyone else their agency's; and never a task of a case
    the user may not know of. Either way the query walks one of the (district or agency,
    status, due) indexes over the window.
    """
    check_range(start, end)
    own = session.get(Agency, user.agency_id)
    if own is None:
        return []
    query = (
        select(
            col(Task.id),
            col(Task.title),
            col(Task.due_at),
            col(Task.status),
            col(Case.code),
            col(Task.responsible_agency_id),
            overdue(now),
        )
        .outerjoin(Case, col(Case.id) == col(Task.case_id))
        .where(col(Task.status).in_(_SHOWN))
        .where(col(Task.due_at) >= start)
        .where(col(Task.due_at) < end)
    )
    if oversees_district(session, user):
        query = query.where(col(Task.district_id) == own.district_id)
    else:
        known = visible_cases(session, user).with_only_columns(col(Case.id))
        query = query.where(col(Task.responsible_agency_id) == own.id).where(
            col(Task.case_id).is_(None) | col(Task.case_id).in_(known)
        )
    if agency_id is not None:
        query = query.where(col(Task.responsible_agency_id) == agency_id)
    rows = session.execute(query.order_by(col(Task.due_at), col(Task.id)).limit(limit))
    return [
        TaskDeadline(id, title, due_at, status, code, agency, bool(late))
        for id, title, due_at, status, code, agency, late in rows
    ]


@dataclass(frozen=True)
class CalendarWindow:
    """The meetings and the task deadlines of a calendar window, at most 2000 together."""

    meetings: list[CalendarEntry]
    tasks: list[TaskDeadline]


def calendar_window(
    session: Session,
    user: User,
    *,
    start: datetime,
    end: datetime,
    now: datetime,
    kinds: Iterable[str] = (),
    agency_id: int | None = None,
) -> CalendarWindow:
    """Return what the calendar view shows of [start, end): the meetings of
    :func:`~models.overview.calendar_meetings.calendar_meetings` and the deadlines of
    :func:`calendar_tasks`.

    *kinds* are meeting kinds and :data:`TASK_DEADLINE`; none (or none known) is every kind.
    When there are more than 2000 together, the earliest 2000 are kept.

    Raises:
      ValueError: the range is empty or longer than 100 days.
    """
    wanted = {k for k in kinds if k in {TASK_DEADLINE, *(kind.value for kind in MeetingKind)}}
    meeting_kinds = wanted - {TASK_DEADLINE}
    meetings: list[CalendarEntry] = []
    if not wanted or meeting_kinds:
        meetings = calendar_meetings(
            session, user, start=start, end=end, kinds=meeting_kinds, agency_id=agency_id
        )
    tasks: list[TaskDeadline] = []
    if not wanted or TASK_DEADLINE in wanted:
        tasks = calendar_tasks(
            session,
            user,
            start=start,
            end=end,
            now=now,
            agency_id=agency_id,
            limit=MAX_CALENDAR_EVENTS,
        )
    if len(meetings) + len(tasks) > MAX_CALENDAR_EVENTS:
        moments = sorted([m.starts_at for m in meetings] + [t.due_at for t in tasks])
        last = moments[MAX_CALENDAR_EVENTS - 1]
        meetings = [m for m in meetings if m.starts_at <= last]
        tasks = [t for t in tasks if t.due_at <= last]
        tasks = tasks[: MAX_CALENDAR_EVENTS - len(meetings)]
    return CalendarWindow(meetings=meetings, tasks=tasks)
