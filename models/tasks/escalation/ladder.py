"""The escalation policy of a district as data, and where a task stands on it.

A policy is a ladder of steps, each a number of working days relative to the task's due moment
and whom it goes to. The default (used while a district has not saved its own): a reminder to
the assignee (or the agency's staff) 1 working day before the due moment; level 1 to the
agency's head at the due moment; level 2 to the chair 1 working day after. The workers send
the emails; this module only stores the ladder and computes positions on it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from sqlalchemy import String, UniqueConstraint, select
from sqlmodel import Field, Session, SQLModel, col

from models.core.i18n import N_
from models.people.access import district_chairs
from models.people.tables import Agency, User
from models.tasks.tables import Task, TaskStatus

__all__ = [
    "DEFAULT_POLICY",
    "RECIPIENT_LABELS",
    "EscalationLevel",
    "EscalationRecipient",
    "EscalationState",
    "EscalationStep",
    "Recipient",
    "agency_head",
    "district_policies",
    "district_policy",
    "escalation_state",
    "step_recipients",
    "task_escalation",
]


class EscalationRecipient(StrEnum):
    ASSIGNEE = "assignee"  # the task's person, or every active user of its agency
    AGENCY_HEAD = "agency_head"
    CHAIR = "chair"


class EscalationLevel(SQLModel, table=True):
    """One step of a district's escalation ladder; level 0 is the reminder."""

    __tablename__ = "escalation_level"
    __table_args__ = (UniqueConstraint("district_id", "level", name="uq_escalation_level"),)

    id: int | None = Field(default=None, primary_key=True)
    district_id: int = Field(foreign_key="district.id", index=True)
    level: int
    working_days: int  # relative to the due moment: -1 is a working day before
    recipient: str = Field(sa_type=String(16))


@dataclass(frozen=True)
class EscalationStep:
    level: int
    working_days: int
    recipient: EscalationRecipient


DEFAULT_POLICY: tuple[EscalationStep, ...] = (
    EscalationStep(0, -1, EscalationRecipient.ASSIGNEE),
    EscalationStep(1, 0, EscalationRecipient.AGENCY_HEAD),
    EscalationStep(2, 1, EscalationRecipient.CHAIR),
)


class WorkingDays(Protocol):
    """The part of :class:`calendars.workdays.WorkCalendar` escalation needs."""

    def add_working_days(self, moment: datetime, n: int) -> datetime: ...


@dataclass(frozen=True)
class EscalationState:
    """Where a task stands: ``level`` is the highest step reached (None: none yet, or the task
    is no longer open); ``next_step`` and ``next_at`` say what comes next and when."""

    level: int | None
    next_step: EscalationStep | None
    next_at: datetime | None


def escalation_state(
    *,
    due_at: datetime,
    status: str,
    policy: Sequence[EscalationStep],
    calendar: WorkingDays,
    now: datetime,
) -> EscalationState:
    """Return the current level of a task due at *due_at* and its next step with its moment.

    Pure: the same inputs give the same answer. A done or cancelled task escalates no further.
    """
    if status != TaskStatus.OPEN:
        return EscalationState(None, None, None)
    level: int | None = None
    for step in sorted(policy, key=lambda s: (s.working_days, s.level)):
        moment = calendar.add_working_days(due_at, step.working_days)
        if moment <= now:
            level = step.level
        else:
            return EscalationState(level, step, moment)
    return EscalationState(level, None, None)


def task_escalation(
    task: Task, policy: Sequence[EscalationStep], calendar: WorkingDays, now: datetime
) -> EscalationState:
    """Return :func:`escalation_state` of *task*."""
    return escalation_state(
        due_at=task.due_at, status=task.status, policy=policy, calendar=calendar, now=now
    )


def district_policy(session: Session, district_id: int) -> tuple[EscalationStep, ...]:
    """Return the district's saved ladder, or :data:`DEFAULT_POLICY` when it has none."""
    return district_policies(session, [district_id])[district_id]


def district_policies(
    session: Session, district_ids: Iterable[int]
) -> dict[int, tuple[EscalationStep, ...]]:
    """Return the ladders of several districts in one query (:func:`district_policy`)."""
    wanted = set(district_ids)
    saved: dict[int, list[EscalationStep]] = {}
    for r in session.scalars(
        select(EscalationLevel)
        .where(col(EscalationLevel.district_id).in_(wanted))
        .order_by(col(EscalationLevel.district_id), col(EscalationLevel.level))
    ):
        saved.setdefault(r.district_id, []).append(
            EscalationStep(r.level, r.working_days, EscalationRecipient(r.recipient))
        )
    return {i: tuple(saved[i]) if i in saved else DEFAULT_POLICY for i in wanted}


@dataclass(frozen=True)
class Recipient:
    """Who a step of the ladder writes to: a user of the portal, or an agency head's address."""

    email: str
    locale: str
    user_id: int | None


def agency_head(agency: Agency) -> Recipient | None:
    """Return *agency*'s head as a recipient of its task emails (level 1, the digest's part
    of the agency) in the head's language, or None when the agency has no head address."""
    if not agency.head_email:
        return None
    return Recipient(agency.head_email, agency.head_locale, None)


def step_recipients(session: Session, task: Task, step: EscalationStep) -> list[Recipient]:
    """Return who *step* of *task*'s ladder goes to (active users only), in a stable order.

    The assignee, or every active user of the agency when nobody is assigned (or the assignee
    left); the agency's head address (:func:`agency_head`); the district's active chairs.
    """
    recipient = EscalationRecipient(step.recipient)
    if recipient is EscalationRecipient.AGENCY_HEAD:
        agency = session.get(Agency, task.responsible_agency_id)
        head = agency_head(agency) if agency is not None else None
        return [head] if head is not None else []
    if recipient is EscalationRecipient.CHAIR:
        users = district_chairs(session, task.district_id)
    else:
        active = select(User).where(col(User.active) == True)  # noqa: E712
        users = []
        if task.assignee_id is not None:
            users = session.scalars(active.where(col(User.id) == task.assignee_id)).all()
        if not users:  # nobody assigned, or the assignee left: the agency's staff
            users = session.scalars(
                active.where(col(User.agency_id) == task.responsible_agency_id).order_by(
                    col(User.id)
                )
            ).all()
    return [Recipient(u.email, u.locale, u.id) for u in users]


RECIPIENT_LABELS: dict[str, str] = {
    "assignee": N_("Reminder to the assignee or the agency's staff"),
    "agency_head": N_("The agency's head"),
    "chair": N_("The chair"),
}
