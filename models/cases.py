"""Cases, known outside their restricted part only by their code (e.g. ``D-2026-0042``)."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum

from sqlalchemy import String
from sqlmodel import Field, SQLModel

from models.base import utc_field, utcnow

__all__ = ["CASE_CODE_PATTERN", "Case", "CaseAgency", "CaseStatus"]

#: D-<year>-<number>: what staff write on paper, and all that leaves the portal about a case.
CASE_CODE_PATTERN = re.compile(r"^D-\d{4}-\d{4,6}$")


class CaseStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Case(SQLModel, table=True):
    """A child's case. Child-identifying data never live here, only the code."""

    __tablename__ = "case_file"

    id: int | None = Field(default=None, primary_key=True)
    district_id: int = Field(foreign_key="district.id", index=True)
    code: str = Field(sa_type=String(20), unique=True)
    lead_agency_id: int = Field(foreign_key="agency.id", index=True)
    status: str = Field(default=CaseStatus.OPEN.value, sa_type=String(16))
    opened_at: datetime = utc_field(default_factory=utcnow)
    closed_at: datetime | None = utc_field(default=None, nullable=True)


class CaseAgency(SQLModel, table=True):
    """An agency that works on a case and so may see it (need to know)."""

    __tablename__ = "case_agency"

    case_id: int = Field(foreign_key="case_file.id", primary_key=True, ondelete="CASCADE")
    agency_id: int = Field(foreign_key="agency.id", primary_key=True, index=True)
