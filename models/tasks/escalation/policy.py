"""Change a district's escalation ladder; its open tasks follow the new ladder at once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete
from sqlmodel import Session, col

from models.core.audit import record_event
from models.core.errors import DomainError
from models.core.i18n import N_
from models.people.tables import Agency, User
from models.tasks.escalation.ladder import EscalationLevel, EscalationStep
from models.tasks.escalation.planner import replan_district_tasks
from models.tasks.rules import may_change_statutory_rules

__all__ = ["MAX_STEP_DAYS", "EscalationError", "save_policy"]


MAX_STEP_DAYS = 10


class EscalationError(DomainError):
    """The ladder cannot be saved as asked."""


def save_policy(
    session: Session, user: User, steps: Sequence[EscalationStep], *, now: datetime
) -> None:
    """Replace the ladder of *user*'s district with *steps* (administrators only); audited.

    Steps are numbered from 0 (the reminder) up, each later than the one before.
    """
    if not may_change_statutory_rules(user):
        raise EscalationError(N_("Only administrators change the escalation policy."))
    if not steps:
        raise EscalationError(N_("Keep at least one step."))
    ordered = sorted(steps, key=lambda s: s.level)
    for index, step in enumerate(ordered):
        if step.level != index:
            raise EscalationError(N_("Number the levels 0, 1, 2 and so on."), f"level_{index}")
        if not -MAX_STEP_DAYS <= step.working_days <= MAX_STEP_DAYS:
            raise EscalationError(
                N_("Enter a number of working days from -10 to 10."), f"days_{index}"
            )
        if index and step.working_days <= ordered[index - 1].working_days:
            raise EscalationError(
                N_("Each level must come later than the one before."), f"days_{index}"
            )
    agency = session.get(Agency, user.agency_id)
    assert agency is not None
    session.execute(
        delete(EscalationLevel).where(col(EscalationLevel.district_id) == agency.district_id)
    )
    for step in ordered:
        session.add(
            EscalationLevel(
                district_id=agency.district_id,
                level=step.level,
                working_days=step.working_days,
                recipient=step.recipient.value,
            )
        )
    record_event(
        session,
        user_id=user.id,
        action="escalation.changed",
        object_type="district",
        object_id=agency.district_id,
        detail=" ".join(f"{s.level}:{s.working_days}:{s.recipient.value}" for s in ordered),
        at=now,
    )
    session.flush()
    replan_district_tasks(session, agency.district_id)
