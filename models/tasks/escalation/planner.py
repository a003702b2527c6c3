"""Task reminders and escalation levels, planned by the scheduler's tick per the district's
escalation policy (:mod:`models.tasks.escalation.ladder`) and its working-day calendar.

How it works:

- ``Task.escalation_due_at`` is the next moment the tick has something to plan for an open
  task: the next step of its ladder (the reminder before the due moment, level 1 at it,
  level 2 after it...), moved to the start of the next working hours when it falls at night,
  on a weekend or on a holiday. It is indexed, so a tick reads only the tasks whose moment
  has come; closed tasks have none.
- At that moment the tick writes one email per recipient of each step reached, keyed
  ``task:<id>:due:<due>:level:<n>:user:<id>`` (``...:agency:<id>:head`` for an agency
  head's address; the due moment as ``20270319T130000Z``; built and read by
  :mod:`models.outbox.keys`), so a repeated tick, a second scheduler or a restart writes
  nothing twice,
  and a recomputed due moment plans the ladder afresh. A late tick sends every escalation
  level reached, but the reminder only while no later step is reached too, and never one that
  fell before the task was created.
- Task emails leave only inside working hours: a tick outside them plans nothing for tasks and
  moves their moment to the start of the next working hours. A retry after a failed send is
  held the same way (:func:`hold_task_retries`, run by the tick before it nudges).
- :func:`replan_task_alerts` runs in the transaction of every change to a task (created,
  completed, cancelled, due moment recomputed, policy changed): it voids the unsent emails
  that no longer apply and computes the next moment. The sending worker checks again
  (:func:`why_not_send_task`): a level goes out only if the task is still open, with the same
  due moment, when it is sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlmodel import Session, col

from calendars.workdays import WorkCalendar
from models.cases.tables import Case
from models.core.base import require_id
from models.core.settings import Settings
from models.outbox.keys import (
    Addressee,
    parse_task_alert_key,
    task_alert_key,
    task_alert_prefix,
    task_created_prefix,
)
from models.outbox.notifications import (
    UNSENT,
    Notification,
    NotificationKind,
    NotificationStatus,
    add_notification,
)
from models.people.tables import Agency
from models.tasks.emails import TaskFacts, ToldBefore, escalation_email, task_reminder_email
from models.tasks.escalation.ladder import (
    EscalationStep,
    Recipient,
    district_policies,
    district_policy,
    step_recipients,
)
from models.tasks.tables import Task, TaskStatus
from models.tasks.titles import statutory_titles, title_in
from models.workdays.calendar import district_calendar, district_calendars

__all__ = [
    "hold_task_retries",
    "ladder",
    "plan_task_alerts",
    "replan_district_tasks",
    "replan_task_alerts",
    "why_not_send_task",
]

_NO_GRACE = timedelta(0)  # due at once: this very tick nudges it
TASK_KINDS = (NotificationKind.TASK_REMINDER.value, NotificationKind.ESCALATION.value)


def ladder(
    due_at: datetime, policy: Sequence[EscalationStep], calendar: WorkCalendar
) -> list[tuple[EscalationStep, datetime]]:
    """Return each step of *policy* with its moment for a task due at *due_at*, in time order."""
    steps = sorted(policy, key=lambda s: (s.working_days, s.level))
    return [(step, calendar.add_working_days(due_at, step.working_days)) for step in steps]


def _void_pending(session: Session, task: Task, reason: str, *, keep_prefix: str | None) -> int:
    n = Notification
    stale = update(n).where(
        col(n.task_id) == require_id(task),
        col(n.kind).in_(TASK_KINDS),
        col(n.status).in_(UNSENT),  # held by a worker too: it skips what is voided
    )
    if keep_prefix is not None:
        stale = stale.where(col(n.dedupe_key).not_like(f"{keep_prefix}%"))
    result = session.execute(
        stale.values(status=NotificationStatus.VOIDED.value, last_error=reason),
        execution_options={"synchronize_session": "fetch"},
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _void_news(session: Session, task: Task, reason: str) -> int:
    """Void the unsent news of *task* (:mod:`models.tasks.notices`): it was closed before the
    workers sent it."""
    n = Notification
    result = session.execute(
        update(n)
        .where(col(n.task_id) == require_id(task))
        .where(col(n.dedupe_key).like(f"{task_created_prefix(require_id(task))}%"))
        .where(col(n.status).in_(UNSENT))
        .values(status=NotificationStatus.VOIDED.value, last_error=reason),
        execution_options={"synchronize_session": "fetch"},
    )
    return int(getattr(result, "rowcount", 0) or 0)


def replan_task_alerts(
    session: Session,
    task: Task,
    *,
    policy: Sequence[EscalationStep] | None = None,
    calendar: WorkCalendar | None = None,
) -> int:
    """Bring *task*'s planned reminders and escalations in line with its status and due moment.

    Call it in the transaction of every change to a task. A closed task's unsent emails are
    voided, and so are those planned for another due moment; an open task's next moment is the
    first step of its ladder (the tick skips what was written already). Returns how many
    emails were voided. Nothing is committed.
    """
    if task.status != TaskStatus.OPEN:
        task.escalation_due_at = None
        session.add(task)
        if task.id is None:
            return 0
        reason = f"task {task.status}"
        voided = _void_pending(session, task, reason, keep_prefix=None)
        return voided + _void_news(session, task, reason)
    calendar = calendar or district_calendar(session, task.district_id)
    policy = policy if policy is not None else district_policy(session, task.district_id)
    steps = ladder(task.due_at, policy, calendar)
    task.escalation_due_at = calendar.next_working_moment(steps[0][1]) if steps else None
    session.add(task)
    session.flush()
    return _void_pending(
        session,
        task,
        "task due moment changed",
        keep_prefix=task_alert_prefix(require_id(task), task.due_at),
    )


def replan_district_tasks(session: Session, district_id: int) -> int:
    """Replan every open task of a district (its policy or calendar changed); return how many."""
    calendar = district_calendar(session, district_id)
    policy = district_policy(session, district_id)
    tasks = session.scalars(
        select(Task)
        .where(col(Task.district_id) == district_id)
        .where(col(Task.status) == TaskStatus.OPEN.value)
    ).all()
    for task in tasks:
        replan_task_alerts(session, task, policy=policy, calendar=calendar)
    return len(tasks)


def plan_task_alerts(
    session: Session, settings: Settings, *, now: datetime, limit: int = 200
) -> int:
    """Write the reminders and escalations of up to *limit* tasks whose moment has come.

    The tasks are locked while planned (``SKIP LOCKED`` on PostgreSQL), so two schedulers
    ticking at once plan each task once. Returns the number of emails written.
    """
    tasks = list(
        session.scalars(
            select(Task)
            .where(col(Task.escalation_due_at) <= now)
            .order_by(col(Task.escalation_due_at))
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    # What planning needs of each district, read for all of the batch's districts at once:
    # a tick's cost follows the tasks due, not how many districts they are spread over.
    open_ids = {task.district_id for task in tasks if task.status == TaskStatus.OPEN}
    calendars = district_calendars(session, open_ids) if open_ids else {}
    policies = district_policies(session, open_ids) if open_ids else {}
    written = 0
    for task in tasks:
        if task.status != TaskStatus.OPEN:
            task.escalation_due_at = None
            session.add(task)
            continue
        calendar = calendars[task.district_id]
        opens = calendar.next_working_moment(now)
        if opens != now:  # outside working hours: wait for them
            task.escalation_due_at = opens
            session.add(task)
            continue
        steps = ladder(task.due_at, policies[task.district_id], calendar)
        reached = [(step, moment) for step, moment in steps if moment <= now]
        wanted = [
            step
            for index, (step, moment) in enumerate(reached)
            if step.level > 0
            or (index == len(reached) - 1 and moment >= task.created_at)  # a reminder in time
        ]
        written += _write_steps(session, settings, task, wanted, calendar, now=now)
        later = [moment for _, moment in steps if moment > now]
        task.escalation_due_at = calendar.next_working_moment(min(later)) if later else None
        session.add(task)
    session.flush()
    return written


def hold_task_retries(session: Session, *, now: datetime) -> int:
    """Move the task reminders and escalations whose retry falls due outside their district's
    working hours to the start of the next working hours; return how many. Nothing committed.

    A first send is planned inside working hours; a retry after a failed send (a backoff of
    minutes to an hour) could land at night, so the tick holds it here before it nudges. Reads
    only the retries due now (by the indexed status and retry moment).
    """
    n = Notification
    due = session.execute(
        select(col(n.id), col(Task.district_id))
        .join(Task, col(Task.id) == col(n.task_id))
        .where(
            col(n.status) == NotificationStatus.PENDING.value,
            col(n.next_attempt_at) <= now,
            col(n.attempts) > 0,
            col(n.kind).in_(TASK_KINDS),
        )
    ).all()
    by_district: dict[int, list[int]] = {}
    for notification_id, district_id in due:
        by_district.setdefault(district_id, []).append(notification_id)
    held = 0
    calendars = district_calendars(session, by_district) if by_district else {}
    for district_id, ids in by_district.items():
        opens = calendars[district_id].next_working_moment(now)
        if opens != now:
            session.execute(update(n).where(col(n.id).in_(ids)).values(next_attempt_at=opens))
            held += len(ids)
    return held


def _addressee(recipient: Recipient, task: Task) -> Addressee:
    if recipient.user_id is not None:
        return Addressee(user_id=recipient.user_id)
    return Addressee(head_of_agency_id=task.responsible_agency_id)


def _write_steps(
    session: Session,
    settings: Settings,
    task: Task,
    steps: Sequence[EscalationStep],
    calendar: WorkCalendar,
    *,
    now: datetime,
) -> int:
    if not steps:
        return 0
    task_id = require_id(task)
    prefix = task_alert_prefix(task_id, task.due_at)
    earlier = session.execute(
        select(
            col(Notification.dedupe_key), col(Notification.recipient), col(Notification.created_at)
        )
        .where(col(Notification.task_id) == task_id)
        .where(col(Notification.dedupe_key).like(f"{prefix}%"))
        .where(col(Notification.status) != NotificationStatus.VOIDED.value)
        .order_by(col(Notification.id))
    ).all()
    existing = {key for key, _, _ in earlier}
    told = [
        ToldBefore(parsed.level, recipient, at)
        for key, recipient, at in earlier
        if (parsed := parse_task_alert_key(key)) is not None
    ]
    agency = session.get(Agency, task.responsible_agency_id)
    case = session.get(Case, task.case_id) if task.case_id is not None else None
    overdue = calendar.working_days_between(task.due_at, now)
    # A task overdue when its case was registered: the report was entered late.
    late = (
        (task.counted_from, task.created_at)
        if task.counted_from is not None and task.created_at >= task.due_at
        else None
    )
    written = 0
    for step in steps:
        kind = NotificationKind.TASK_REMINDER if step.level == 0 else NotificationKind.ESCALATION
        before = tuple(t for t in told if t.level < step.level)
        for recipient in step_recipients(session, task, step):
            key = task_alert_key(task_id, task.due_at, step.level, _addressee(recipient, task))
            if key in existing:
                continue
            facts = TaskFacts(
                task_id=task_id,
                title=title_in(task.title, statutory_titles(session, recipient.locale)),
                case_code=case.code if case else None,
                agency_name=agency.name(recipient.locale) if agency else "—",
                due_at=task.due_at,
                working_days_overdue=overdue,
                url=f"{settings.base_url}/tasks/{task_id}",
                told_before=before,
                registered_late=late,
            )
            zone: ZoneInfo = calendar.zone
            email = (
                task_reminder_email(facts, locale=recipient.locale, zone=zone)
                if step.level == 0
                else escalation_email(facts, level=step.level, locale=recipient.locale, zone=zone)
            )
            add_notification(
                session,
                district_id=task.district_id,
                dedupe_key=key,
                user_id=recipient.user_id,
                recipient=recipient.email,
                locale=recipient.locale,
                subject=email.subject,
                body=email.text,
                html=email.html,
                kind=kind,
                task_id=task_id,
                now=now,
                grace=_NO_GRACE,
                known_new=True,
            )
            existing.add(key)
            told.append(ToldBefore(step.level, recipient.email, now))
            written += 1
    return written


def why_not_send_task(session: Session, notification: Notification) -> str | None:
    """Return why a claimed task email must not be sent any more, or None to send it."""
    task = session.get(Task, notification.task_id) if notification.task_id is not None else None
    if task is None:
        return "task deleted"
    if task.status != TaskStatus.OPEN:
        return f"task {task.status}"
    if not notification.dedupe_key.startswith(task_alert_prefix(require_id(task), task.due_at)):
        return "task due moment changed"
    return None
