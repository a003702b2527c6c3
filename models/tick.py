"""The scheduler's tick: the one place that knows every planner.

Each planner writes what has come due into the outbox with a dedupe key of its own: meeting
reminders (:mod:`models.meetings.reminders`), task reminders and escalations
(:mod:`models.tasks.escalation.planner`), the daily digests (:mod:`models.tasks.digests`).
:func:`plan_due` runs them all; :func:`why_not_send` asks the planner of an email's kind, just
before a worker sends it, whether it is still true.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from models.core.settings import Settings
from models.meetings.reminders import plan_meeting_reminders, why_not_send_reminder
from models.outbox.notifications import Notification, NotificationKind
from models.tasks.digests import plan_digests
from models.tasks.escalation.planner import (
    hold_task_retries,
    plan_task_alerts,
    why_not_send_task,
)

__all__ = ["plan_due", "why_not_send"]


def plan_due(session: Session, settings: Settings, *, now: datetime, limit: int = 200) -> int:
    """Write every notification whose moment has come: meeting reminders, task reminders and
    escalations, daily digests; return how many. Task emails whose retry falls outside working
    hours wait for them, as their first send did. Nothing committed."""
    written = plan_meeting_reminders(session, settings, now=now, limit=limit)
    written += plan_task_alerts(session, settings, now=now, limit=limit)
    written += plan_digests(session, settings, now=now)
    hold_task_retries(session, now=now)
    return written


def why_not_send(session: Session, notification: Notification, *, now: datetime) -> str | None:
    """Return why the claimed *notification* must not be sent any more, or None to send it.

    Checked by the worker just before sending, because what was true when it was planned may
    have changed since (the meeting was cancelled or moved, the task completed).
    """
    if notification.kind == NotificationKind.MEETING_REMINDER:
        return why_not_send_reminder(session, notification, now=now)
    if notification.kind in (NotificationKind.TASK_REMINDER, NotificationKind.ESCALATION):
        return why_not_send_task(session, notification)
    return None
