"""A meeting's history: every audited change of it, with the person who made it."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session, col

from models.core.audit import AuditEvent
from models.meetings.tables import Meeting
from models.people.tables import User

__all__ = ["meeting_audit_trail"]


def meeting_audit_trail(session: Session, meeting: Meeting) -> list[tuple[AuditEvent, User | None]]:
    """Return the audit events of *meeting*, oldest first, each with the person who acted
    (None for the system: the scheduler, a worker, a command)."""
    rows = session.execute(
        select(AuditEvent, User)
        .outerjoin(User, col(User.id) == col(AuditEvent.user_id))
        .where(col(AuditEvent.object_type) == "meeting")
        .where(col(AuditEvent.object_id) == meeting.id)
        .order_by(col(AuditEvent.at), col(AuditEvent.id))
    ).all()
    return [(event, person) for event, person in rows]
