"""The task lists of a user (mine, my agency's, the district's) and what each row shows:
the case code, the agency, the escalation level, the working days overdue."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ColumnElement, func, select
from sqlmodel import Session, col

from calendars.workdays import WorkCalendar
from models.cases.tables import Case
from models.people.access import oversees_district
from models.people.tables import Agency, User
from models.tasks.escalation.ladder import EscalationState, district_policy, task_escalation
from models.tasks.queries import due_today, due_within_week, is_open, overdue
from models.tasks.tables import Task
from models.workdays.calendar import district_calendar

__all__ = [
    "PAGE_SIZE",
    "TaskBucket",
    "TaskPage",
    "TaskRow",
    "TaskScope",
    "list_tasks",
    "overdue_counts",
    "task_rows",
]

PAGE_SIZE = 50


def _agency(session: Session, user: User) -> Agency:
    agency = session.get(Agency, user.agency_id)
    assert agency is not None
    return agency


class TaskScope(StrEnum):
    MINE = "mine"
    AGENCY = "agency"
    DISTRICT = "district"


class TaskBucket(StrEnum):
    OPEN = "open"  # every open task
    OVERDUE = "overdue"
    TODAY = "today"  # due by the end of the local day
    SOON = "soon"  # due within the next 7 days
    CLOSED = "closed"  # done or cancelled


@dataclass(frozen=True)
class TaskPage:
    tasks: Sequence[Task]
    page: int
    pages: int
    total: int


def _in_bucket(bucket: TaskBucket, *, now: datetime, end_of_today: datetime) -> ColumnElement[bool]:
    if bucket is TaskBucket.CLOSED:
        return ~is_open()
    if bucket is TaskBucket.OVERDUE:
        return overdue(now)
    if bucket is TaskBucket.TODAY:
        return due_today(now, end_of_today)
    if bucket is TaskBucket.SOON:
        return due_within_week(now)
    return is_open()


def list_tasks(
    session: Session,
    user: User,
    *,
    scope: TaskScope,
    bucket: TaskBucket,
    now: datetime,
    end_of_today: datetime,
    agency_id: int | None = None,
    case_id: int | None = None,
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> TaskPage:
    """Return one page of the tasks of *scope* in *bucket*, soonest due first.

    ``mine`` is the tasks assigned to the user; ``agency`` their agency's; ``district`` every
    task of the district (those who oversee it: the chair, administrators and the unit's
    secretary; others get their agency's).
    """
    own = _agency(session, user)
    query = select(Task).where(col(Task.district_id) == own.district_id)
    if scope is TaskScope.MINE:
        query = query.where(col(Task.assignee_id) == user.id)
    elif scope is TaskScope.AGENCY or not oversees_district(session, user):
        query = query.where(col(Task.responsible_agency_id) == own.id)
    if agency_id is not None:
        query = query.where(col(Task.responsible_agency_id) == agency_id)
    if case_id is not None:
        query = query.where(col(Task.case_id) == case_id)
    query = query.where(_in_bucket(bucket, now=now, end_of_today=end_of_today))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // page_size))
    page = min(max(1, page), pages)
    order = (
        col(Task.due_at).desc() if bucket is TaskBucket.CLOSED else col(Task.due_at),
        col(Task.id),
    )
    tasks = session.scalars(
        query.order_by(*order).offset((page - 1) * page_size).limit(page_size)
    ).all()
    return TaskPage(tasks=tasks, page=page, pages=pages, total=total)


@dataclass(frozen=True)
class TaskRow:
    """A task as lists and pages show it."""

    task: Task
    agency: Agency
    case_code: str | None
    escalation: EscalationState
    #: Past its due moment and still open (:meth:`Task.is_overdue`), even by less than a
    #: working day, when ``working_days_overdue`` is still 0.
    overdue: bool
    working_days_overdue: int


def task_rows(
    session: Session,
    district_id: int,
    tasks: Sequence[Task],
    *,
    now: datetime,
    calendar: WorkCalendar | None = None,
) -> list[TaskRow]:
    """Resolve what each of *tasks* shows, with three queries whatever their number."""
    calendar = calendar or district_calendar(session, district_id)
    policy = district_policy(session, district_id)
    agencies = {
        a.id: a
        for a in session.scalars(
            select(Agency).where(col(Agency.id).in_({t.responsible_agency_id for t in tasks}))
        )
    }
    case_ids = {t.case_id for t in tasks if t.case_id is not None}
    codes: dict[int, str] = {
        case_id: code
        for case_id, code in session.execute(
            select(col(Case.id), col(Case.code)).where(col(Case.id).in_(case_ids))
        )
    }
    return [
        TaskRow(
            task=t,
            agency=agencies[t.responsible_agency_id],
            case_code=codes.get(t.case_id) if t.case_id is not None else None,
            escalation=task_escalation(t, policy, calendar, now),
            overdue=t.is_overdue(now),
            working_days_overdue=calendar.working_days_between(t.due_at, now)
            if t.is_overdue(now)
            else 0,
        )
        for t in tasks
    ]


def overdue_counts(session: Session, case_ids: Sequence[int], now: datetime) -> dict[int, int]:
    """Return the number of open overdue tasks of each of *case_ids* (absent: none)."""
    if not case_ids:
        return {}
    rows = session.execute(
        select(col(Task.case_id), func.count())
        .where(col(Task.case_id).in_(list(case_ids)))
        .where(overdue(now))
        .group_by(col(Task.case_id))
    )
    return {case_id: n for case_id, n in rows if case_id is not None}
