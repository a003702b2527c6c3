"""Tell an agency at once that it has a new task, through the outbox like every other email.

The news goes to whom the task's reminder goes (its assignee, or the agency's staff while
nobody is assigned: :func:`models.tasks.escalation.ladder.step_recipients`), each in their own
language, with the case code only, keyed ``task:<id>:created:user:<id>`` so a retried
creation writes nothing twice. Whoever gave the task is not told what they just did.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session, col

from models.cases.tables import Case
from models.core.base import require_id
from models.core.settings import Settings
from models.outbox.keys import Addressee, task_created_key
from models.outbox.notifications import Notification, NotificationStatus, add_notification
from models.people.tables import Agency, User
from models.tasks.emails import TaskFacts, new_task_email
from models.tasks.escalation.ladder import EscalationRecipient, EscalationStep, step_recipients
from models.tasks.tables import Task
from models.workdays.calendar import district_calendar

__all__ = ["announce_new_task", "unsent_task_emails"]

#: Whom the news of a new task reaches: those its reminder reaches.
_NEWS = EscalationStep(level=0, working_days=0, recipient=EscalationRecipient.ASSIGNEE)


def announce_new_task(
    session: Session, settings: Settings, task: Task, *, by: User, now: datetime
) -> list[int]:
    """Write the email telling *task*'s agency of it (one per recipient, *by* left out);
    return the ids of the notifications written. Nothing is committed."""
    task_id = require_id(task)
    agency = session.get(Agency, task.responsible_agency_id)
    case = session.get(Case, task.case_id) if task.case_id is not None else None
    zone = district_calendar(session, task.district_id).zone
    written: list[Notification] = []
    for recipient in step_recipients(session, task, _NEWS):
        if recipient.user_id is None or recipient.user_id == by.id:
            continue
        facts = TaskFacts(
            task_id=task_id,
            title=task.title,
            case_code=case.code if case else None,
            agency_name=agency.name(recipient.locale) if agency else "—",
            due_at=task.due_at,
            working_days_overdue=0,
            url=f"{settings.base_url}/tasks/{task_id}",
        )
        email = new_task_email(facts, locale=recipient.locale, zone=zone)
        notification = add_notification(
            session,
            district_id=task.district_id,
            dedupe_key=task_created_key(task_id, Addressee(user_id=recipient.user_id)),
            user_id=recipient.user_id,
            recipient=recipient.email,
            locale=recipient.locale,
            subject=email.subject,
            body=email.text,
            html=email.html,
            task_id=task_id,
            now=now,
        )
        if notification is not None:
            written.append(notification)
    session.flush()
    return [require_id(n) for n in written]


def unsent_task_emails(session: Session, task_ids: Iterable[int]) -> list[int]:
    """Return the ids of the unsent emails about these tasks, for the caller to nudge the
    workers with once it has committed."""
    ids = list(task_ids)
    if not ids:
        return []
    return list(
        session.scalars(
            select(col(Notification.id))
            .where(col(Notification.task_id).in_(ids))
            .where(col(Notification.status) == NotificationStatus.PENDING.value)
            .order_by(col(Notification.id))
        )
    )
