"""Reports sent by other systems: received once however often they are sent, and read back.

:func:`receive_report` is :func:`~models.casework.operations.open_case` for an integration,
with what only a machine needs: an ``Idempotency-Key`` and the source's reference each find the
first case of a report sent again, even when both copies arrive at the same moment (the
database's unique constraints decide, not a read before the write).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from models.cases.tables import Case
from models.casework.operations import CaseError, open_case
from models.casework.restricted import RestrictedDetails
from models.core.audit import record_event
from models.core.i18n import N_
from models.core.text import CONTROL_CHARACTERS_MESSAGE, has_forbidden_controls
from models.integrations.idempotency import earlier_answer, remember
from models.integrations.tokens import Integration
from models.integrations.webhooks import announce_case_opened
from models.outbox.notifications import Notification
from models.people.tables import Agency
from models.tasks.tables import StatutoryRule, Task, TaskStatus

__all__ = [
    "IdempotencyConflict",
    "Received",
    "Report",
    "ReportTask",
    "TaskState",
    "district_case",
    "receive_report",
    "report_tasks",
]


class IdempotencyConflict(CaseError):
    """The ``Idempotency-Key`` was used before for a different request."""


@dataclass(frozen=True)
class Report:
    """A report as an integration sends it; the restricted details apart."""

    source: str
    reference: str
    received_at: datetime
    category: str
    receiving_agency: str  # the agency's slug
    signs_of_offence: bool = False
    child_removed: bool = False
    restricted: RestrictedDetails | None = None


@dataclass
class Received:
    case: Case
    #: False when the report had been received before (the first case is answered).
    created: bool
    tasks: list[Task] = field(default_factory=list)
    #: The ``case.opened`` event for the integration's webhook, if it has one: the caller
    #: nudges the workers with it once committed.
    outgoing: list[Notification] = field(default_factory=list)


class TaskState(StrEnum):
    OPEN = "open"
    OVERDUE = "overdue"
    DONE = "done"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class ReportTask:
    task: Task
    rule: str | None
    agency: str
    state: TaskState


def receive_report(
    session: Session,
    integration: Integration,
    report: Report,
    *,
    key: str | None,
    digest: str,
    now: datetime,
) -> Received:
    """Open the case of *report* for *integration*, or find the case it opened before (by
    *key* with the same request *digest*, or by the source's reference). Audited as
    ``api.report_received`` under the integration's name; a new case's ``case.opened`` event
    is written for the integration's webhook in the same transaction. Nothing committed.

    Raises:
      IdempotencyConflict: *key* was used for a different request.
      CaseError: the report is not well formed (an unknown agency, a moment in the future ...).
    """
    for name in ("reference", "receiving_agency"):  # one-line fields, before any query
        if has_forbidden_controls(getattr(report, name)):
            raise CaseError(CONTROL_CHARACTERS_MESSAGE, name)
    earlier = _earlier(session, integration, report, key, digest)
    if earlier is not None:
        _audit(session, integration, earlier, repeat=True, now=now)
        return Received(earlier, created=False)
    agency = session.scalars(
        select(Agency)
        .where(col(Agency.district_id) == integration.district_id)
        .where(col(Agency.slug) == report.receiving_agency)
    ).first()
    if agency is None:
        raise CaseError(N_("No agency of the district has this slug."), "receiving_agency")
    try:
        with session.begin_nested():
            opened = open_case(
                session,
                integration,
                received_at=report.received_at,
                source=report.source,
                category=report.category,
                receiving_agency_id=agency.id or 0,
                signs_of_offence=report.signs_of_offence,
                child_removed=report.child_removed,
                restricted=report.restricted,
                reference=report.reference,
                now=now,
            )
            if key is not None:
                remember(session, integration, key, digest, opened.case, now=now)
            event = announce_case_opened(session, opened.case, now=now)
    except IntegrityError:
        # The same report, by key or reference, committed a moment ago by a concurrent request.
        earlier = _earlier(session, integration, report, key, digest)
        if earlier is None:
            raise
        _audit(session, integration, earlier, repeat=True, now=now)
        return Received(earlier, created=False)
    _audit(session, integration, opened.case, repeat=False, now=now)
    outgoing = [event] if event is not None else []
    return Received(opened.case, created=True, tasks=opened.tasks, outgoing=outgoing)


def _earlier(
    session: Session, integration: Integration, report: Report, key: str | None, digest: str
) -> Case | None:
    if key is not None:
        found = earlier_answer(session, integration, key)
        if found is not None:
            remembered, case = found
            if remembered != digest:
                raise IdempotencyConflict(
                    N_("This Idempotency-Key was used for a different report."), "Idempotency-Key"
                )
            return case
    return session.scalars(
        select(Case)
        .where(col(Case.district_id) == integration.district_id)
        .where(col(Case.source) == report.source)
        .where(col(Case.source_reference) == report.reference.strip())
    ).first()


def _audit(
    session: Session, integration: Integration, case: Case, *, repeat: bool, now: datetime
) -> None:
    record_event(
        session,
        user_id=None,
        integration_id=integration.id,
        action="api.report_received",
        object_type="case",
        object_id=case.id,
        detail=f"code={case.code} integration={integration.name}" + (" repeat" if repeat else ""),
        at=now,
    )


def district_case(
    session: Session, integration: Integration, code: str, *, now: datetime
) -> Case | None:
    """The case *code* of *integration*'s district, its reading audited as ``api.report_read``
    (None for a case of another district: the same as no case)."""
    if has_forbidden_controls(code):
        return None
    case = session.scalars(
        select(Case)
        .where(col(Case.district_id) == integration.district_id)
        .where(col(Case.code) == code)
    ).first()
    if case is not None:
        record_event(
            session,
            user_id=None,
            integration_id=integration.id,
            action="api.report_read",
            object_type="case",
            object_id=case.id,
            detail=f"code={case.code} integration={integration.name}",
            at=now,
        )
    return case


def report_tasks(session: Session, case: Case, *, now: datetime) -> Sequence[ReportTask]:
    """The tasks of *case* with their rule's and agency's slugs and their state, by due time."""
    rows = session.execute(
        select(Task, col(StatutoryRule.slug), col(Agency.slug))
        .join(Agency, col(Agency.id) == col(Task.responsible_agency_id))
        .outerjoin(StatutoryRule, col(StatutoryRule.id) == col(Task.rule_id))
        .where(col(Task.case_id) == case.id)
        .order_by(col(Task.due_at), col(Task.id))
    ).all()
    return [ReportTask(task, rule, agency, _state(task, now)) for task, rule, agency in rows]


def _state(task: Task, now: datetime) -> TaskState:
    if task.status == TaskStatus.DONE:
        return TaskState.DONE
    if task.status == TaskStatus.CANCELLED:
        return TaskState.CANCELLED
    return TaskState.OVERDUE if task.is_overdue(now) else TaskState.OPEN
