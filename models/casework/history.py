"""A case's history: the audited changes of the case and of its tasks, newest first."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlmodel import Session, col

from models.cases.tables import Case
from models.core.audit import AuditEvent
from models.integrations.tokens import Integration
from models.people.tables import User
from models.tasks.tables import Task

__all__ = ["CASE_HISTORY_LENGTH", "case_audit_trail"]

#: How many events the case page shows.
CASE_HISTORY_LENGTH = 100


def case_audit_trail(
    session: Session, case: Case, *, limit: int = CASE_HISTORY_LENGTH
) -> list[tuple[AuditEvent, str | None]]:
    """Return the last *limit* audit events of *case* and of its tasks, newest first, each
    with who acted: a person's name, an integration's (``111-helpline (API)``), or None for
    the system."""
    tasks = select(col(Task.id)).where(col(Task.case_id) == case.id)
    rows = session.execute(
        select(AuditEvent, col(User.full_name), col(Integration.name))
        .outerjoin(User, col(User.id) == col(AuditEvent.user_id))
        .outerjoin(Integration, col(Integration.id) == col(AuditEvent.integration_id))
        .where(
            or_(
                (col(AuditEvent.object_type) == "case") & (col(AuditEvent.object_id) == case.id),
                (col(AuditEvent.object_type) == "task") & col(AuditEvent.object_id).in_(tasks),
            )
        )
        .order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
        .limit(limit)
    ).all()
    return [
        (event, person or (f"{integration} (API)" if integration else None))
        for event, person, integration in rows
    ]
