"""The scheduler's tick: the one place that knows every planner.

Each planner writes what has come due into the outbox with a dedupe key of its own: meeting
reminders (:mod:`models.meetings.reminders`), task reminders and escalations
(:mod:`models.tasks.escalation.planner`), the daily digests (:mod:`models.tasks.digests`),
and the reset links asked for whose worker's message was lost
(:mod:`models.people.passwords`).
:func:`plan_due` runs them all; :func:`why_not_send` asks the planner of an email's kind, just
before a worker sends it, whether it is still true.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session, col

from models.core.settings import Settings
from models.integrations.webhooks import why_not_send_webhook
from models.meetings.reminders import plan_meeting_reminders, why_not_send_reminder
from models.outbox.notifications import Notification, NotificationKind
from models.outbox.retention import prune_notifications
from models.people.passwords import answer_reset_requests
from models.people.retention import prune_password_resets, prune_sessions, prune_throttles
from models.tasks.digests import plan_digests
from models.tasks.escalation.planner import (
    hold_task_retries,
    plan_task_alerts,
    why_not_send_task,
)
from models.tasks.tables import Task, TaskStatus

__all__ = ["plan_due", "prune_old_rows", "why_not_send"]


def plan_due(session: Session, settings: Settings, *, now: datetime, limit: int = 200) -> int:
    """Write every notification whose moment has come: meeting reminders, task reminders and
    escalations, daily digests, reset links still unanswered; return how many. Task emails
    whose retry falls outside working hours wait for them, as their first send did. Nothing
    committed."""
    written = len(answer_reset_requests(session, settings, now=now, limit=limit))
    written += plan_meeting_reminders(session, settings, now=now, limit=limit)
    written += plan_task_alerts(session, settings, now=now, limit=limit)
    written += plan_digests(session, settings, now=now)
    hold_task_retries(session, now=now)
    return written


def why_not_send(session: Session, notification: Notification, *, now: datetime) -> str | None:
    """Return why the claimed *notification* must not be sent any more, or None to send it.

    Checked by the worker just before sending, because what was true when it was planned may
    have changed since (the meeting was cancelled or moved, the task completed, the webhook
    cleared).
    """
    if notification.kind == NotificationKind.MEETING_REMINDER:
        return why_not_send_reminder(session, notification, now=now)
    if notification.kind in (NotificationKind.TASK_REMINDER, NotificationKind.ESCALATION):
        return why_not_send_task(session, notification)
    if notification.kind == NotificationKind.WEBHOOK:
        return why_not_send_webhook(session, notification)
    return None


def prune_old_rows(session: Session, settings: Settings, *, now: datetime, batch: int) -> bool:
    """Delete up to *batch* rows of each table that only grows, past its retention: ended
    sign-in sessions, throttling counters, used or expired reset links
    (:mod:`models.people.retention`), sent or voided emails (:mod:`models.outbox.retention`).
    Each batch is its own short transaction. Returns whether any table had more than a
    batch, so that the caller prunes again soon.

    An open task's sent reminders and escalations stay: they tell the next level who was told
    before, and their keys keep the ladder from writing them again.
    """
    open_task = (
        select(col(Task.id))
        .where(col(Task.id) == col(Notification.task_id))
        .where(col(Task.status) == TaskStatus.OPEN.value)
        .exists()
    )
    deleted = [
        prune_sessions(session, now=now, idle=settings.session_idle, limit=batch),
        prune_throttles(session, now=now, limit=batch),
        prune_password_resets(session, now=now, limit=batch),
        prune_notifications(session, now=now, limit=batch, keep=open_task),
    ]
    return max(deleted) >= batch
