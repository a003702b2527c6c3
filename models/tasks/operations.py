"""Create, complete, cancel and reassign tasks, and list them for a user."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from models.cases.access import (
    CaseAccessError,
    JoinReason,
    add_agency_to_case,
    check_agency_joins,
)
from models.cases.tables import Case, CaseStatus
from models.core.audit import record_event
from models.core.base import require_id
from models.core.errors import DomainError
from models.core.i18n import N_
from models.core.settings import Settings
from models.core.text import CONTROL_CHARACTERS_MESSAGE, has_forbidden_controls
from models.integrations.webhooks import announce_task_completed
from models.outbox.notifications import Notification
from models.people.access import oversees_district
from models.people.tables import Agency, Role, User
from models.tasks.assignees import may_move_tasks_across_agencies, may_take_task
from models.tasks.changes import task_changed
from models.tasks.escalation.planner import replan_task_alerts
from models.tasks.notices import announce_new_task
from models.tasks.tables import StatutoryRule, Task, TaskOrigin, TaskStatus

__all__ = [
    "MAX_NOTE_LENGTH",
    "TaskError",
    "cancel_task",
    "check_create_task",
    "complete_task",
    "create_task",
    "may_create_tasks",
    "may_manage_task",
    "may_see_task",
    "reassign_task",
]

MAX_NOTE_LENGTH = 1000
MAX_TITLE_LENGTH = 300


class TaskError(DomainError):
    """The task cannot be changed as asked."""


def _agency(session: Session, user: User) -> Agency:
    agency = session.get(Agency, user.agency_id)
    assert agency is not None
    return agency


def may_see_task(session: Session, user: User, task: Task) -> bool:
    """Staff of the responsible agency, and those who oversee the district (the chair,
    administrators and the unit's secretary)."""
    if oversees_district(session, user):
        return _agency(session, user).district_id == task.district_id
    return task.responsible_agency_id == user.agency_id


def may_create_tasks(user: User) -> bool:
    """Tell whether *user* may give an agency a task by hand or by a meeting's decision: anyone
    active but a member."""
    return user.active and Role(user.role).acts_for_agency


def may_manage_task(session: Session, user: User, task: Task) -> bool:
    """Tell whether *user* may cancel or reassign *task*: whoever sees it and may give tasks
    (a member of its agency only completes it)."""
    return may_see_task(session, user, task) and may_create_tasks(user)


def _check_text(value: str, limit: int, field: str, *, required: str | None = None) -> str:
    value = value.strip()
    if required and not value:
        raise TaskError(required, field)
    if has_forbidden_controls(value, multiline=True):
        raise TaskError(CONTROL_CHARACTERS_MESSAGE, field)
    if len(value) > limit:
        raise TaskError(N_("This text is too long."), field)
    return value


def check_create_task(
    session: Session,
    user: User,
    *,
    title: str,
    agency_id: int | None,
    due_at: datetime | None,
    now: datetime,
    case: Case | None = None,
    assignee_id: int | None = None,
    origin: TaskOrigin = TaskOrigin.MANUAL,
) -> str:
    """Check a new task under the rules of :func:`create_task`, writing nothing; return its
    title as it would be written. A form that could not read every field calls this with
    what it has (*due_at* None) to show every problem at once.

    Raises:
      TaskError: the user may not create tasks, or the task is not well formed; ``errors``
        holds every problem at its field.
    """
    if not may_create_tasks(user):
        raise TaskError(N_("You may not create tasks."))
    errors: dict[str | None, str] = {}
    title = " ".join(title.split())
    if not title:
        errors["title"] = N_("Give the task a title.")
    elif len(title) > MAX_TITLE_LENGTH:
        errors["title"] = N_("This text is too long.")
    elif has_forbidden_controls(title):
        errors["title"] = CONTROL_CHARACTERS_MESSAGE
    if due_at is not None:
        if due_at.tzinfo is None:
            raise ValueError("due_at must be timezone-aware")
        if due_at <= now:
            errors["due_at"] = N_("A task cannot be due before it is created.")
    district_id = _agency(session, user).district_id
    agency = session.get(Agency, agency_id) if agency_id else None
    if agency is None or agency.district_id != district_id:
        errors["agency"] = N_("Choose an agency of the district.")
        agency = None
    elif assignee_id is not None and not may_take_task(session.get(User, assignee_id), agency):
        errors["assignee"] = N_("Choose a person of the responsible agency.")
    if case is not None:
        if case.district_id != district_id:
            errors["case_code"] = N_("There is no case with this code.")
        elif case.status != CaseStatus.OPEN:
            errors["case_code"] = N_("The case is closed.")
        elif agency is not None:
            how = JoinReason.DECISION if origin == TaskOrigin.DECISION else JoinReason.TASK
            refused = check_agency_joins(session, user, case, agency, how=how)
            if refused:
                errors.setdefault("agency", refused)
    if errors:
        raise TaskError.many(errors)
    return title


def create_task(
    session: Session,
    user: User,
    *,
    settings: Settings,
    title: str,
    agency_id: int,
    due_at: datetime,
    now: datetime,
    case: Case | None = None,
    assignee_id: int | None = None,
    origin: TaskOrigin = TaskOrigin.MANUAL,
) -> Task:
    """Add a task for *agency_id*, due at *due_at*; the agency joins *case* if it was not on it.

    Meeting decisions become tasks through this function too (``origin=DECISION``). The
    agency learns of its new task at once: an email to each of its people the task's reminder
    would reach (:func:`models.tasks.notices.announce_new_task`), written in the same
    transaction; the caller nudges the workers after committing.

    Raises:
      TaskError: as :func:`check_create_task`, which runs first.
    """
    title = check_create_task(
        session,
        user,
        title=title,
        agency_id=agency_id,
        due_at=due_at,
        now=now,
        case=case,
        assignee_id=assignee_id,
        origin=origin,
    )
    district_id = _agency(session, user).district_id
    agency = session.get(Agency, agency_id)
    assert agency is not None
    if case is not None:
        how = JoinReason.DECISION if origin == TaskOrigin.DECISION else JoinReason.TASK
        _join_case(session, user, case, agency, how=how, now=now)
    task = Task(
        district_id=district_id,
        case_id=case.id if case else None,
        origin=origin.value,
        title=title,
        responsible_agency_id=require_id(agency),
        assignee_id=assignee_id,
        due_at=due_at,
        created_at=now,
        created_by_id=user.id,
    )
    session.add(task)
    session.flush()
    replan_task_alerts(session, task)
    record_event(
        session,
        user_id=user.id,
        action="task.created",
        object_type="task",
        object_id=task.id,
        detail=f"origin={origin.value} agency={agency.slug} due={due_at.isoformat()}"
        + (f" case={case.code}" if case else ""),
        at=now,
    )
    task_changed(session, task, now=now, created=True)
    announce_new_task(session, settings, task, by=user, now=now)
    return task


def _join_case(
    session: Session, user: User, case: Case, agency: Agency, *, how: JoinReason, now: datetime
) -> None:
    """Bring the task's agency onto its case through the one rule for that, at the form's
    agency field when refused."""
    try:
        add_agency_to_case(session, user, case, agency, how=how, now=now)
    except CaseAccessError as exc:
        raise TaskError(str(exc), "agency") from None


def _require_open(task: Task) -> None:
    if task.status != TaskStatus.OPEN:
        raise TaskError(N_("This task is no longer open."))


def complete_task(
    session: Session, user: User, task: Task, *, note: str, now: datetime
) -> list[Notification]:
    """Mark *task* done with *note*: staff of its agency, the chair or an administrator.

    Returns the ``task.completed`` event written for the webhook of the integration that
    opened the task's case, if it has one, for the caller to nudge the workers with once
    committed.
    """
    if not may_see_task(session, user, task) or not user.active:
        raise TaskError(N_("You may not change this task."))
    _require_open(task)
    note = _check_text(note, MAX_NOTE_LENGTH, "note")
    task.status = TaskStatus.DONE.value
    task.note = note
    task.completed_at = now
    task.completed_by_id = user.id
    _closed(session, user, task, action="task.done", now=now)
    case = session.get(Case, task.case_id) if task.case_id is not None else None
    if case is None:
        return []
    rule = session.get(StatutoryRule, task.rule_id) if task.rule_id is not None else None
    agency = session.get(Agency, task.responsible_agency_id)
    event = announce_task_completed(
        session,
        case,
        task_id=require_id(task),
        rule=rule.slug if rule is not None else None,
        agency=agency.slug if agency is not None else "",
        due_at=task.due_at,
        completed_at=now,
        now=now,
    )
    return [event] if event is not None else []


def cancel_task(session: Session, user: User, task: Task, *, reason: str, now: datetime) -> None:
    """Cancel *task* with a reason: a coordinator of its agency, the chair or an administrator."""
    if not may_manage_task(session, user, task):
        raise TaskError(N_("You may not change this task."))
    _require_open(task)
    reason = _check_text(
        reason, 500, "reason", required=N_("Give the reason for cancelling the task.")
    )
    task.status = TaskStatus.CANCELLED.value
    task.cancel_reason = reason
    task.cancelled_at = now
    _closed(session, user, task, action="task.cancelled", now=now)


def _closed(session: Session, user: User, task: Task, *, action: str, now: datetime) -> None:
    """Follow the closing of *task* by *user*: void its unsent reminders and escalations, audit
    *action* and record the change for the calendars that show it."""
    replan_task_alerts(session, task)
    record_event(
        session,
        user_id=user.id,
        action=action,
        object_type="task",
        object_id=task.id,
        at=now,
    )
    task_changed(session, task, now=now)
    session.flush()


def reassign_task(
    session: Session,
    user: User,
    task: Task,
    *,
    agency_id: int,
    assignee_id: int | None,
    now: datetime,
) -> None:
    """Give *task* to another person, or (the chair and administrators only) another agency.

    A coordinator reassigns within their own agency; the chair reassigns across agencies.
    """
    if not may_manage_task(session, user, task):
        raise TaskError(N_("You may not change this task."))
    _require_open(task)
    agency = session.get(Agency, agency_id)
    if agency is None or agency.district_id != task.district_id:
        raise TaskError(N_("Choose an agency of the district."), "agency")
    if agency.id != task.responsible_agency_id and not may_move_tasks_across_agencies(user):
        raise TaskError(N_("Only the chair moves a task to another agency."), "agency")
    if assignee_id is not None and not may_take_task(session.get(User, assignee_id), agency):
        raise TaskError(N_("Choose a person of the responsible agency."), "assignee")
    case = session.get(Case, task.case_id) if task.case_id is not None else None
    if case is not None:
        _join_case(session, user, case, agency, how=JoinReason.REASSIGNMENT, now=now)
    old = (task.responsible_agency_id, task.assignee_id)
    task.responsible_agency_id = require_id(agency)
    task.assignee_id = assignee_id
    session.add(task)
    record_event(
        session,
        user_id=user.id,
        action="task.reassigned",
        object_type="task",
        object_id=task.id,
        detail=f"from=agency:{old[0]},user:{old[1]} to=agency:{agency.id},user:{assignee_id}",
        at=now,
    )
    task_changed(session, task, now=now, former_agency_id=old[0], former_assignee_id=old[1])
    session.flush()
