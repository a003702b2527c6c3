"""Cases, known outside their restricted part only by their code (e.g. ``D-2026-0042``)."""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Index, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.core.base import utc_field, utcnow
from models.core.i18n import N_

__all__ = [
    "CASE_CODE_PATTERN",
    "CASE_STATUS_LABELS",
    "CATEGORY_LABELS",
    "SOURCE_LABELS",
    "Case",
    "CaseAgency",
    "CaseCategory",
    "CaseCodeCounter",
    "CaseFlag",
    "CaseRestricted",
    "CaseSource",
    "CaseStatus",
    "example_case_code",
    "format_case_code",
]

#: <district's prefix>-<year>-<number>: what staff write on paper, and all that leaves the
#: portal about a case. The prefix (``D`` for a deployment's first district) makes a code name
#: one case across the districts of a deployment.
CASE_CODE_PATTERN = re.compile(r"^[A-Z]{1,4}-\d{4}-\d{4,6}$")


def format_case_code(year: int, number: int, prefix: str = "D") -> str:
    """Return the code of the *number*-th case of *year* in the district with *prefix*:
    ``D-2026-0042``."""
    return f"{prefix}-{year:04d}-{number:04d}"


def example_case_code(prefix: str, year: int) -> str:
    """Return the code a form shows people of the district with *prefix* as an example of one:
    ``BRL-2026-0042``. Never another district's: its prefix would name a case they cannot
    open, and the first district's example is one of its real codes."""
    return format_case_code(year, 42, prefix)


class CaseStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class CaseSource(StrEnum):
    """How the report reached the portal."""

    HELPLINE_111 = "helpline_111"
    SCHOOL = "school"
    POLICE = "police"
    HEALTH = "health"
    SOCIAL_PROTECTION = "social_protection"
    CITIZEN = "citizen"
    MEDIA = "media"
    DOOR_TO_DOOR = "door_to_door"
    OTHER = "other"


class CaseCategory(StrEnum):
    VIOLENCE = "violence"
    CRUEL_TREATMENT = "cruel_treatment"
    NEGLECT = "neglect"
    BULLYING = "bullying"
    WITNESS_OF_VIOLENCE = "witness_of_violence"
    CONFLICT_WITH_LAW = "conflict_with_law"
    TRUANCY = "truancy"
    OTHER = "other"


class CaseFlag(StrEnum):
    """The facts of a case that trigger statutory rules when set."""

    SIGNS_OF_OFFENCE = "signs_of_offence"
    CHILD_REMOVED = "child_removed"


class Case(SQLModel, table=True):
    """A child's case. Child-identifying data never live here, only the code.

    The code is unique per district (each district numbers its own cases per year).
    """

    __tablename__ = "case_file"
    __table_args__ = (
        UniqueConstraint("district_id", "code", name="uq_case_file_district_code"),
        # A report sent again by its source (the same reference) finds its first case.
        Index(
            "uq_case_file_source_reference",
            "district_id",
            "source",
            "source_reference",
            unique=True,
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    district_id: int = Field(foreign_key="district.id", index=True)
    code: str = Field(sa_type=String(20))
    lead_agency_id: int = Field(foreign_key="agency.id", index=True)
    receiving_agency_id: int | None = Field(default=None, foreign_key="agency.id")
    received_at: datetime = utc_field(default_factory=utcnow)
    source: str = Field(default=CaseSource.OTHER.value, sa_type=String(32))
    category: str = Field(default=CaseCategory.OTHER.value, sa_type=String(32))
    signs_of_offence: bool = Field(default=False)
    child_removed: bool = Field(default=False)
    status: str = Field(default=CaseStatus.OPEN.value, sa_type=String(16))
    opened_at: datetime = utc_field(default_factory=utcnow)
    opened_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    #: The integration that sent the report through the API (opened_by_id is then None).
    opened_by_integration_id: int | None = Field(default=None, foreign_key="integration.id")
    #: The source system's own reference of the report (the API's ``reference``).
    source_reference: str | None = Field(default=None, sa_type=String(100))
    closed_at: datetime | None = utc_field(default=None, nullable=True)
    closed_reason: str | None = Field(default=None, sa_type=String(500))

    def flag(self, flag: CaseFlag) -> bool:
        return bool(getattr(self, flag.value))


class CaseAgency(SQLModel, table=True):
    """An agency that works on a case and so may see it (need to know)."""

    __tablename__ = "case_agency"

    case_id: int = Field(foreign_key="case_file.id", primary_key=True, ondelete="CASCADE")
    agency_id: int = Field(foreign_key="agency.id", primary_key=True, index=True)


class CaseRestricted(SQLModel, table=True):
    """The child-identifying part of a case: read and changed only through
    :mod:`models.casework.operations`, which checks
    :func:`models.cases.access.may_read_restricted` and audits every view. Nothing here ever
    goes into an email, a feed, a log line or a URL."""

    __tablename__ = "case_restricted"

    case_id: int = Field(foreign_key="case_file.id", primary_key=True, ondelete="CASCADE")
    child_name: str = Field(default="", sa_type=String(200))
    birth_date: date | None = Field(default=None)
    address: str = Field(default="", sa_type=String(300))
    school_class: str = Field(default="", sa_type=String(200))
    notes: str = Field(default="", sa_type=String(2000))
    updated_at: datetime = utc_field(default_factory=utcnow)
    updated_by_id: int | None = Field(default=None, foreign_key="user_account.id")


class CaseCodeCounter(SQLModel, table=True):
    """The last case number issued in a district in a year.

    Opening a case locks this row (``SELECT ... FOR UPDATE``) and raises it in the same
    transaction, so concurrent openings queue up and a rolled-back opening gives its number back:
    no gaps, no duplicates.
    """

    __tablename__ = "case_code_counter"

    district_id: int = Field(foreign_key="district.id", primary_key=True)
    year: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    last_number: int = Field(default=0)


SOURCE_LABELS: dict[str, str] = {
    "helpline_111": N_("Helpline 111"),
    "school": N_("School"),
    "police": N_("Police"),
    "health": N_("Health organisation"),
    "social_protection": N_("Social protection"),
    "citizen": N_("Citizen"),
    "media": N_("Media"),
    "door_to_door": N_("Door-to-door round"),
    "other": N_("Other"),
}

CATEGORY_LABELS: dict[str, str] = {
    "violence": N_("Violence"),
    "cruel_treatment": N_("Cruel treatment"),
    "neglect": N_("Neglect"),
    "bullying": N_("Bullying"),
    "witness_of_violence": N_("Witness of violence"),
    "conflict_with_law": N_("Child in conflict with the law"),
    "truancy": N_("Truancy"),
    "other": N_("Other"),
}

CASE_STATUS_LABELS: dict[str, str] = {"open": N_("Open"), "closed": N_("Closed")}
