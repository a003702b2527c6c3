"""Who a task may go to: the agencies a user may give it to, and the people who may take it.

The reassign form and the minutes' decisions offer these; creating and reassigning a task and
recording a decision refuse anyone else (:func:`may_take_task`).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlmodel import Session, col

from models.people.tables import Agency, Role, User
from models.tasks.tables import Task

__all__ = ["may_move_tasks_across_agencies", "may_take_task", "reassign_agencies", "task_assignees"]


def may_take_task(person: User | None, agency: Agency) -> bool:
    """Tell whether *person* may be given a task of *agency*: an active member of it."""
    return person is not None and person.agency_id == agency.id and person.active


def may_move_tasks_across_agencies(user: User) -> bool:
    """Tell whether *user* may give a task to another agency: those who see the district (the
    chair and administrators)."""
    return user.active and Role(user.role).sees_district


def reassign_agencies(session: Session, user: User, task: Task) -> list[Agency]:
    """Return the agencies *user* may give *task* to, by id: any agency of its district for
    those who see the district (the chair), its own agency for the others."""
    query = select(Agency).where(col(Agency.district_id) == task.district_id)
    if not may_move_tasks_across_agencies(user):
        query = query.where(col(Agency.id) == task.responsible_agency_id)
    return list(session.scalars(query.order_by(col(Agency.id))))


def task_assignees(session: Session, agencies: Sequence[Agency]) -> list[User]:
    """Return the people a task of one of *agencies* may go to (:func:`may_take_task`), by
    name."""
    return list(
        session.scalars(
            select(User)
            .where(col(User.agency_id).in_([a.id for a in agencies]))
            .where(col(User.active) == True)  # noqa: E712
            .order_by(col(User.full_name))
        )
    )
