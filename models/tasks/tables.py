"""Tasks (поручения) with a responsible agency and a due moment, and the statutory rules that
create them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, String
from sqlmodel import Field, SQLModel

from models.core.base import utc_field, utcnow
from models.core.i18n import N_

__all__ = [
    "PERIOD_LABELS",
    "RESPONSIBLE_LABELS",
    "TASK_STATUS_LABELS",
    "TRIGGER_LABELS",
    "RuleTrigger",
    "StatutoryRule",
    "Task",
    "TaskOrigin",
    "TaskStatus",
]


class TaskStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class TaskOrigin(StrEnum):
    RULE = "rule"
    MANUAL = "manual"
    DECISION = "decision"


class RuleTrigger(StrEnum):
    """What makes a statutory rule apply to a case."""

    REPORT_RECEIVED = "report_received"
    SIGNS_OF_OFFENCE = "signs_of_offence"
    CHILD_REMOVED = "child_removed"


#: Who a rule names besides an agency kind: the agency that received the report, or the lead.
RESPONSIBLE_RECEIVING = "receiving"
RESPONSIBLE_LEAD = "lead"


class StatutoryRule(SQLModel, table=True):
    """One line of the interagency guide's deadlines, as data an administrator may edit.

    ``responsible`` is ``receiving``, ``lead`` or an agency kind (``police``, ``education``...);
    ``period_kind`` and ``period_days`` make a :class:`calendars.workdays.Period`.
    """

    __tablename__ = "statutory_rule"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(sa_type=String(64), unique=True)
    title_ru: str = Field(sa_type=String(300))
    title_kk: str = Field(sa_type=String(300))
    legal_source: str = Field(sa_type=String(300))
    trigger: str = Field(sa_type=String(32))
    responsible: str = Field(sa_type=String(32))
    period_kind: str = Field(sa_type=String(16))
    period_days: int = Field(default=0)
    active: bool = Field(default=True)
    position: int = Field(default=0)
    updated_at: datetime = utc_field(default_factory=utcnow)

    def title(self, locale: str) -> str:
        return self.title_kk if locale == "kk" else self.title_ru


class Task(SQLModel, table=True):
    """Something an agency must do by a moment: from a rule, a meeting decision, or by hand.

    ``counted_from`` is the moment a rule's period runs from (the report's receipt, or the
    moment a flag was set); when the district's calendar changes, open rule-based tasks are
    recomputed from it.
    """

    __tablename__ = "task"
    __table_args__ = (
        # The overdue / due-soon lists of a district and of an agency walk these in due order.
        Index("ix_task_district_status_due", "district_id", "status", "due_at"),
        Index("ix_task_agency_status_due", "responsible_agency_id", "status", "due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    district_id: int = Field(foreign_key="district.id")
    case_id: int | None = Field(default=None, foreign_key="case_file.id", index=True)
    rule_id: int | None = Field(default=None, foreign_key="statutory_rule.id")
    origin: str = Field(default=TaskOrigin.MANUAL.value, sa_type=String(16))
    title: str = Field(sa_type=String(300))
    responsible_agency_id: int = Field(foreign_key="agency.id")
    assignee_id: int | None = Field(default=None, foreign_key="user_account.id", index=True)
    counted_from: datetime | None = utc_field(default=None, nullable=True)
    due_at: datetime = utc_field()
    status: str = Field(default=TaskStatus.OPEN.value, sa_type=String(16))
    note: str = Field(default="", sa_type=String(1000))
    completed_at: datetime | None = utc_field(default=None, nullable=True)
    completed_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    cancel_reason: str = Field(default="", sa_type=String(500))
    cancelled_at: datetime | None = utc_field(default=None, nullable=True)
    created_at: datetime = utc_field(default_factory=utcnow)
    created_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    #: When the scheduler's tick next has something to plan for this open task (a reminder or
    #: an escalation level, moved into working hours); None once the task is closed or its
    #: ladder is done. Indexed: a tick reads only the tasks whose moment has come.
    escalation_due_at: datetime | None = utc_field(default=None, nullable=True, index=True)
    #: Rises with every change calendar apps must see (feeds show the deadline), as SEQUENCE.
    sequence: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    #: The last such change (None: none since creation); the feeds' DTSTAMP.
    updated_at: datetime | None = utc_field(default=None, nullable=True)

    def is_overdue(self, now: datetime) -> bool:
        """Tell whether the task is open and its due moment has passed at *now*: the rule of
        :func:`models.tasks.queries.overdue`, for rows already loaded."""
        return self.status == TaskStatus.OPEN and self.due_at < now


TRIGGER_LABELS: dict[str, str] = {
    "report_received": N_("A report is received"),
    "signs_of_offence": N_("Signs of an offence"),
    "child_removed": N_("Child removed from the family"),
}

RESPONSIBLE_LABELS: dict[str, str] = {
    "receiving": N_("The receiving agency"),
    "lead": N_("The lead agency"),
    "akimat": N_("Akimat"),
    "education": N_("Education department"),
    "school": N_("School"),
    "police": N_("Police"),
    "health": N_("Health organisation"),
    "social_protection": N_("Social protection"),
    "kdnzp": N_("Juvenile commission"),
    "guardianship": N_("Guardianship body"),
    "center": N_("Centre"),
    "ngo": N_("NGO"),
    "ombudsman": N_("Children's ombudsman"),
}

PERIOD_LABELS: dict[str, str] = {
    "working_days": N_("working days"),
    "calendar_days": N_("calendar days"),
    "immediately": N_("immediately"),
}

TASK_STATUS_LABELS: dict[str, str] = {
    "open": N_("Open"),
    "done": N_("Done"),
    "cancelled": N_("Cancelled"),
}
