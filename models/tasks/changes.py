"""A task's change as calendars see it: its SEQUENCE and the feeds its deadline shows in."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from models.feeds.marks import mark_feeds_dirty
from models.tasks.tables import Task

__all__ = ["task_changed"]


def task_changed(
    session: Session,
    task: Task,
    *,
    now: datetime,
    created: bool = False,
    former_agency_id: int | None = None,
    former_assignee_id: int | None = None,
) -> None:
    """Record a change of *task* that calendars must see, in the caller's transaction.

    Raises its SEQUENCE (not for a new task) and stamps it, and marks the feeds its deadline
    shows in: its agency's and its assignee's, and those it showed in before a reassignment.
    """
    if not created:
        task.sequence += 1
        task.updated_at = now
        session.add(task)
    mark_feeds_dirty(
        session,
        agency_ids=[task.responsible_agency_id, former_agency_id],
        user_ids=[task.assignee_id, former_assignee_id],
        now=now,
    )
