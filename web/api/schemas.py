"""The API's request and answer bodies, as pydantic models: they validate what comes in and
give the OpenAPI document its schemas (JSON Schema 2020-12, as OpenAPI 3.1 wants).

A request body is validated strictly, from its JSON text: what it accepts is what its schema
says, not what pydantic could coerce (``received_at: 0`` is no moment of 1970)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field
from pydantic_core import PydanticCustomError

from models.cases.tables import CaseCategory, CaseSource
from models.casework.reports import TaskState
from models.core.text import CONTROL_CHARACTERS_MESSAGE, has_forbidden_controls

__all__ = [
    "Child",
    "FieldError",
    "Problem",
    "ReportCreated",
    "ReportIn",
    "ReportStatus",
    "TaskOut",
    "TaskState",
    "TaskStatusOut",
]

_EXAMPLE: dict[str, Any] = {
    "source": "helpline_111",
    "reference": "111-2026-004512",
    "received_at": "2026-12-04T16:40:00+05:00",
    "category": "violence",
    "receiving_agency": "education",
    "signs_of_offence": True,
    "child_removed": False,
    "child": {"name": "…", "birth_date": "2015-03-01", "address": "…", "school_class": "5 Б"},
    "notes": "…",
}


def _one_line(value: str) -> str:
    """Refuse a control character in a value the report is looked up by, before any query
    holds it (PostgreSQL refuses a NUL in text with an error, not with no row)."""
    if has_forbidden_controls(value):
        raise PydanticCustomError("control_characters", CONTROL_CHARACTERS_MESSAGE)
    return value


#: One line of text without control characters (models.core.text's rule).
OneLine = Annotated[str, AfterValidator(_one_line)]


class Child(BaseModel):
    """The child, as the source knows them: restricted, stored apart, never answered back."""

    model_config = ConfigDict(extra="forbid", strict=True)

    name: str | None = Field(default=None, max_length=200)
    birth_date: date | None = None
    address: str | None = Field(default=None, max_length=300)
    school_class: str | None = Field(default=None, max_length=200)


class ReportIn(BaseModel):
    """A report as a source sends it. The statutory deadlines count from ``received_at``."""

    model_config = ConfigDict(
        extra="forbid", strict=True, json_schema_extra={"examples": [_EXAMPLE]}
    )

    source: CaseSource = Field(description="Who received the report first.")
    reference: OneLine = Field(
        min_length=1,
        max_length=100,
        description="The source's own reference, one line without control characters; a "
        "report sent again with it finds its case.",
    )
    received_at: AwareDatetime = Field(
        description="When the report was received, with its offset; not in the future, and "
        "not more than 30 days back."
    )
    category: CaseCategory
    receiving_agency: OneLine = Field(
        min_length=1,
        max_length=64,
        description="The slug of the district's agency that received the report; it leads the "
        "case until the lead agency is chosen.",
    )
    signs_of_offence: bool = False
    child_removed: bool = False
    child: Child | None = None
    notes: str | None = Field(default=None, max_length=2000, description="Restricted.")


class TaskOut(BaseModel):
    rule: str | None = Field(description="The statutory rule's slug (none for a manual task).")
    agency: str = Field(description="The responsible agency's slug.")
    due_at: str = Field(description="ISO 8601, in the district's offset.")


class ReportCreated(BaseModel):
    case_code: str
    url: str = Field(description="The case's page in the portal.")
    tasks: list[TaskOut]


class TaskStatusOut(TaskOut):
    state: TaskState
    completed_at: str | None = Field(default=None, description="When done; ISO 8601.")


class ReportStatus(BaseModel):
    case_code: str
    status: str = Field(description="open or closed")
    tasks: list[TaskStatusOut]


class FieldError(BaseModel):
    field: str = Field(description="The body's field, dotted (child.birth_date), or empty.")
    message: str


class Problem(BaseModel):
    """An error, as RFC 9457 problem details (``application/problem+json``)."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    errors: list[FieldError] = Field(default_factory=list)
