"""What "open", "overdue", "due today" and "due within a week" mean for a task, once, as SQL
predicates for ``.where(...)`` and ``func.count().filter(...)``.

Each compares ``status`` by equality and ``due_at`` by range, so a query that also fixes the
district or the responsible agency walks ``ix_task_district_status_due`` or
``ix_task_agency_status_due``. Where rows are already loaded, :meth:`Task.is_overdue` is the
same rule in Python (``tests/models/tasks/test_queries.py`` holds them together).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_
from sqlmodel import col

from models.tasks.tables import Task, TaskStatus

__all__ = [
    "DUE_SOON",
    "done_on_time",
    "due_today",
    "due_within_week",
    "is_open",
    "overdue",
    "was_overdue_at",
]

#: How far ahead "due within a week" looks.
DUE_SOON = timedelta(days=7)


def is_open() -> ColumnElement[bool]:
    """Select the tasks still to be done (neither done nor cancelled)."""
    return col(Task.status) == TaskStatus.OPEN.value


def overdue(now: datetime) -> ColumnElement[bool]:
    """Select the open tasks whose due moment has passed at *now*."""
    return and_(is_open(), col(Task.due_at) < now)


def done_on_time() -> ColumnElement[bool]:
    """Select the tasks done by their due moment (the on-time rates' numerator)."""
    return and_(
        col(Task.status) == TaskStatus.DONE.value, col(Task.completed_at) <= col(Task.due_at)
    )


def due_today(now: datetime, end_of_today: datetime) -> ColumnElement[bool]:
    """Select the open tasks not overdue yet that are due by *end_of_today* (the end of the
    local day)."""
    return and_(is_open(), col(Task.due_at) >= now, col(Task.due_at) <= end_of_today)


def due_within_week(now: datetime) -> ColumnElement[bool]:
    """Select the open tasks not overdue yet that are due within :data:`DUE_SOON` of *now*."""
    return and_(is_open(), col(Task.due_at) >= now, col(Task.due_at) <= now + DUE_SOON)


def was_overdue_at(at: datetime) -> ColumnElement[bool]:
    """Select the tasks that were overdue at *at*, a moment that may have passed: they
    existed then, were due before it, and were open then (done or cancelled only later).

    At *at* = now this is :func:`overdue`, without its use of the indexes' status column.
    """
    open_then = or_(
        is_open(),
        and_(col(Task.status) == TaskStatus.DONE.value, col(Task.completed_at) > at),
        and_(col(Task.status) == TaskStatus.CANCELLED.value, col(Task.cancelled_at) > at),
    )
    return and_(col(Task.due_at) < at, col(Task.created_at) <= at, open_then)
