"""The audit trail: who did what to which object, and when."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlmodel import Field, Session, SQLModel

from models.core.base import utc_field, utcnow
from models.core.i18n import N_

__all__ = [
    "ACTION_LABELS",
    "AuditEvent",
    "record_event",
]


class AuditEvent(SQLModel, table=True):
    """One audited action. ``detail`` holds codes and ids only, never a child's data."""

    __tablename__ = "audit_event"
    __table_args__ = (Index("ix_audit_event_object", "object_type", "object_id"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = utc_field(default_factory=utcnow, index=True)
    user_id: int | None = Field(default=None, foreign_key="user_account.id", index=True)
    #: The integration that acted through the API (user_id is then None).
    integration_id: int | None = Field(default=None, foreign_key="integration.id")
    action: str = Field(sa_type=String(64))
    object_type: str = Field(sa_type=String(32))
    object_id: int | None = Field(default=None)
    detail: str = Field(default="", sa_type=String(500))


def record_event(
    session: Session,
    *,
    user_id: int | None,
    action: str,
    object_type: str,
    object_id: int | None,
    detail: str = "",
    at: datetime | None = None,
    integration_id: int | None = None,
) -> AuditEvent:
    """Add an audit event to *session*; it commits with the change it describes."""
    event = AuditEvent(
        at=at or utcnow(),
        user_id=user_id,
        integration_id=integration_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        detail=detail[:500],
    )
    session.add(event)
    return event


ACTION_LABELS: dict[str, str] = {
    "case.opened": N_("Case opened"),
    "case.flag_set": N_("Flag set"),
    "case.closed": N_("Case closed"),
    "case.restricted_viewed": N_("Child's details viewed"),
    "case.restricted_refused": N_("Child's details refused"),
    "case.restricted_changed": N_("Child's details changed"),
    "case.rule_unassigned": N_("Rule without an agency"),
    "case.agency_added": N_("Agency joined the case"),
    "case.lead_agency_chosen": N_("Lead agency chosen"),
    "task.created": N_("Task created"),
    "task.done": N_("Task done"),
    "task.cancelled": N_("Task cancelled"),
    "task.reassigned": N_("Task reassigned"),
    "task.due_recomputed": N_("Due moment recomputed"),
    "meeting.scheduled": N_("Meeting scheduled"),
}
