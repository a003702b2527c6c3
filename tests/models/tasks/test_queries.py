"""Overdue, due today and due within a week: one rule each, the same in SQL and in Python."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import ColumnElement, select
from sqlmodel import Session, col

from models.tasks.queries import due_today, due_within_week, overdue, was_overdue_at
from models.tasks.tables import Task, TaskStatus
from tests.factories import District

NOW = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)  # Tue 11:00 in Almaty
END_OF_TODAY = datetime(2026, 11, 24, 13, 0, tzinfo=UTC)  # 18:00 in Almaty
#: Due moments around the edges of each notion, from long ago to next month.
OFFSETS = (
    timedelta(days=-30),
    timedelta(seconds=-1),
    timedelta(0),
    timedelta(hours=7),  # the end of today, exactly
    timedelta(hours=7, seconds=1),
    timedelta(days=7),  # a week ahead, exactly
    timedelta(days=7, seconds=1),
    timedelta(days=30),
)


def tasks_around_now(session: Session, district: District) -> list[Task]:
    """One task per status and due moment of :data:`OFFSETS`, made before all of them."""
    tasks = [
        Task(
            district_id=district.row.id,  # type: ignore[arg-type]
            title=f"{status} {offset}",
            responsible_agency_id=district.police.id,  # type: ignore[arg-type]
            due_at=NOW + offset,
            status=status,
            created_at=NOW - timedelta(days=60),
        )
        for status in TaskStatus
        for offset in OFFSETS
    ]
    session.add_all(tasks)
    session.commit()
    return tasks


def chosen(session: Session, predicate: ColumnElement[bool]) -> set[int]:
    return set(session.scalars(select(col(Task.id)).where(predicate)))


def test_the_sql_predicates_and_the_python_check_choose_the_same_tasks(
    session: Session, district: District
) -> None:
    tasks = tasks_around_now(session, district)
    late = {t.id for t in tasks if t.is_overdue(NOW)}
    assert {t.title for t in tasks if t.id in late} == {
        "open -30 days, 0:00:00",
        "open -1 day, 23:59:59",
    }
    assert chosen(session, overdue(NOW)) == late
    assert chosen(session, was_overdue_at(NOW)) == late  # nothing was closed after now
    today = {t.title for t in tasks if t.id in chosen(session, due_today(NOW, END_OF_TODAY))}
    assert today == {"open 0:00:00", "open 7:00:00"}
    week = {t.title for t in tasks if t.id in chosen(session, due_within_week(NOW))}
    assert week == {"open 0:00:00", "open 7:00:00", "open 7:00:01", "open 7 days, 0:00:00"}


def test_a_task_closed_after_a_moment_was_overdue_at_it(
    session: Session, district: District
) -> None:
    tasks = tasks_around_now(session, district)
    for task in tasks:
        if task.status == TaskStatus.DONE:
            task.completed_at = NOW + timedelta(hours=1)
        if task.status == TaskStatus.CANCELLED:
            task.cancelled_at = NOW - timedelta(hours=1)
    session.commit()
    then = {t.title for t in tasks if t.id in chosen(session, was_overdue_at(NOW))}
    assert then == {
        "open -30 days, 0:00:00",
        "open -1 day, 23:59:59",
        "done -30 days, 0:00:00",  # done an hour later: overdue at the moment
        "done -1 day, 23:59:59",
    }
    assert chosen(session, overdue(NOW + timedelta(hours=2))) == {
        t.id for t in tasks if t.is_overdue(NOW + timedelta(hours=2))
    }
