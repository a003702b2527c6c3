"""Open cases and find them (changing and closing them is :mod:`models.casework.changes`, their
restricted part :mod:`models.casework.restricted`).
Every operation checks need-to-know through :mod:`models.people.access` and writes its audit
row in the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlmodel import Session, col

from models.cases.access import (
    may_open_cases,
    may_see_case,
)
from models.cases.tables import (
    CASE_CODE_PATTERN,
    Case,
    CaseAgency,
    CaseCategory,
    CaseCodeCounter,
    CaseSource,
    format_case_code,
)
from models.casework.errors import CaseError
from models.casework.restricted import RestrictedDetails, write_restricted
from models.core.audit import record_event
from models.core.base import require_id
from models.core.counters import next_number
from models.core.i18n import N_
from models.core.text import CONTROL_CHARACTERS_MESSAGE, has_forbidden_controls
from models.integrations.tokens import Integration, Scope
from models.people.tables import Agency, AgencyKind, District, User
from models.tasks.deadlines import RuleGap, apply_rules, statutory_due
from models.tasks.tables import RuleTrigger, StatutoryRule, Task

__all__ = [
    "CaseError",
    "OpenedCase",
    "find_case",
    "issue_case_code",
    "open_case",
    "overdue_on_arrival",
]

EARLIEST_REPORT = datetime(2000, 1, 1, tzinfo=UTC)  # the working-day calendar's first year


@dataclass
class OpenedCase:
    case: Case
    tasks: list[Task] = field(default_factory=list)
    gaps: list[RuleGap] = field(default_factory=list)


def _district_agency(session: Session, district_id: int, agency_id: int, name: str) -> Agency:
    agency = session.get(Agency, agency_id)
    if agency is None or agency.district_id != district_id:
        raise CaseError(N_("Choose an agency of the district."), name)
    return agency


def issue_case_code(session: Session, district_id: int, year: int) -> str:
    """Return the next code of *district* for *year*, counting in the caller's transaction.

    The counter row is created on first use (starting after any code of that year already in
    the district, e.g. imported ones), then locked with ``SELECT ... FOR UPDATE``: concurrent
    openings wait for each other, and a rolled-back opening gives its number back.
    """
    district = session.get(District, district_id)
    assert district is not None
    prefix = f"{district.case_prefix}-{year:04d}-"
    codes = session.scalars(
        select(col(Case.code))
        .where(col(Case.district_id) == district_id)
        .where(col(Case.code).like(f"{prefix}%"))
    ).all()
    start = max((int(c[len(prefix) :]) for c in codes if CASE_CODE_PATTERN.match(c)), default=0)
    number = next_number(session, CaseCodeCounter, district_id=district_id, year=year, start=start)
    return format_case_code(year, number, district.case_prefix)


#: The API refuses a report received longer ago than this (the portal's form does not: a
#: person may register an old report found in a drawer, and is warned of its overdue tasks).
API_MAX_REPORT_AGE = timedelta(days=30)
MAX_REFERENCE_LENGTH = 100


def open_case(
    session: Session,
    by: User | Integration,
    *,
    received_at: datetime,
    source: str,
    category: str,
    receiving_agency_id: int,
    lead_agency_id: int | None = None,
    agency_ids: Iterable[int] = (),
    signs_of_offence: bool = False,
    child_removed: bool = False,
    restricted: RestrictedDetails | None = None,
    reference: str | None = None,
    now: datetime,
) -> OpenedCase:
    """Receive a report: open a case with a new code, its participating agencies, its
    restricted part and the tasks the statutory rules call for (report received, and each flag
    already set), every deadline counted from *received_at*.

    The one intake operation: the portal's form (*by* a person) and the API (*by* an
    integration, whose district it is) both come here. An integration's report is led by the
    receiving agency until the lead agency is chosen (itself a statutory task), may not be
    older than :data:`API_MAX_REPORT_AGE`, and is recorded under the integration's name.

    Raises:
      CaseError: *by* may not open cases, or the report is not well formed.
    """
    if isinstance(by, Integration):
        if not by.active or not by.allows(Scope.REPORTS_WRITE):
            raise CaseError(N_("You may not open cases."))
        district_id, own = by.district_id, None
        if received_at.tzinfo is not None and received_at < now - API_MAX_REPORT_AGE:
            raise CaseError(
                N_("A report received more than 30 days ago is registered in the portal."),
                "received_at",
            )
    else:
        if not may_open_cases(by):
            raise CaseError(N_("You may not open cases."))
        own = session.get(Agency, by.agency_id)
        assert own is not None
        district_id = own.district_id
    if received_at.tzinfo is None:
        raise ValueError("received_at must be timezone-aware")
    if source not in CaseSource.__members__.values():
        raise CaseError(N_("Choose how the report was received."), "source")
    if category not in CaseCategory.__members__.values():
        raise CaseError(N_("Choose the category."), "category")
    if received_at > now:
        raise CaseError(N_("The report cannot be received in the future."), "received_at")
    if received_at < EARLIEST_REPORT:
        raise CaseError(N_("The report cannot be received before the year 2000."), "received_at")
    if reference is not None:
        reference = reference.strip()
        if not reference or len(reference) > MAX_REFERENCE_LENGTH:
            raise CaseError(N_("Give the report's reference, up to 100 characters."), "reference")
        if has_forbidden_controls(reference):
            raise CaseError(CONTROL_CHARACTERS_MESSAGE, "reference")
    district = session.get(District, district_id)
    assert district is not None
    receiving = _district_agency(session, district_id, receiving_agency_id, "receiving_agency")
    lead = (
        receiving
        if lead_agency_id is None
        else _district_agency(session, district_id, lead_agency_id, "lead_agency")
    )
    others = [_district_agency(session, district_id, a, "agencies") for a in agency_ids]
    if restricted is not None:
        restricted.check(now.date())

    person = by if isinstance(by, User) else None
    integration = by if isinstance(by, Integration) else None
    year = now.astimezone(ZoneInfo(district.timezone)).year
    case = Case(
        district_id=district_id,
        code=issue_case_code(session, district_id, year),
        lead_agency_id=require_id(lead),
        receiving_agency_id=require_id(receiving),
        received_at=received_at,
        source=source,
        category=category,
        signs_of_offence=signs_of_offence,
        child_removed=child_removed,
        opened_at=now,
        opened_by_id=person.id if person else None,
        opened_by_integration_id=integration.id if integration else None,
        source_reference=reference,
    )
    session.add(case)
    session.flush()
    case_id = require_id(case)
    # The guardianship body receives a duplicate of every report (the guide, ch. 1, p. 5).
    guardianship = session.scalars(
        select(col(Agency.id))
        .where(col(Agency.district_id) == district_id)
        .where(col(Agency.kind) == AgencyKind.GUARDIANSHIP.value)
    ).all()
    own_id = own.id if own is not None else None
    participants = [lead.id, receiving.id, own_id, *(a.id for a in others), *guardianship]
    for agency_id in dict.fromkeys(p for p in participants if p is not None):
        session.add(CaseAgency(case_id=case_id, agency_id=agency_id))
    session.flush()
    record_event(
        session,
        user_id=person.id if person else None,
        integration_id=integration.id if integration else None,
        action="case.opened",
        object_type="case",
        object_id=case_id,
        detail=f"code={case.code} source={source} category={category} lead={lead.slug}",
        at=now,
    )
    if restricted is not None:
        write_restricted(session, by, case, restricted, now=now)
    opened = OpenedCase(case)
    for trigger, on in (
        (RuleTrigger.REPORT_RECEIVED, True),
        (RuleTrigger.SIGNS_OF_OFFENCE, signs_of_offence),
        (RuleTrigger.CHILD_REMOVED, child_removed),
    ):
        if on:
            tasks, gaps = apply_rules(
                session, case, trigger, counted_from=received_at, user=person, now=now
            )
            opened.tasks += tasks
            opened.gaps += gaps
    return opened


def overdue_on_arrival(
    session: Session,
    user: User,
    *,
    received_at: datetime,
    signs_of_offence: bool,
    child_removed: bool,
    now: datetime,
) -> list[StatutoryRule]:
    """Return the statutory rules whose tasks a report received at *received_at*, opened by
    *user* at *now*, would have overdue at once (e.g. "immediately": an hour after receipt).

    The statute is counted from the receipt all the same (:func:`open_case`); the form says
    so before saving, and the escalations say the case was registered late.
    """
    agency = session.get(Agency, user.agency_id)
    if agency is None or received_at.tzinfo is None or received_at > now:
        return []
    triggers = [RuleTrigger.REPORT_RECEIVED]
    triggers += [RuleTrigger.SIGNS_OF_OFFENCE] if signs_of_offence else []
    triggers += [RuleTrigger.CHILD_REMOVED] if child_removed else []
    return [
        rule
        for trigger in triggers
        for rule, due_at in statutory_due(session, agency.district_id, trigger, received_at)
        if due_at <= now
    ]


def find_case(session: Session, user: User, code: str) -> Case | None:
    """Return the case of *user*'s district with *code*, or None when there is none or the
    user may not know of it (need to know: the two look the same)."""
    agency = session.get(Agency, user.agency_id)
    if agency is None or not CASE_CODE_PATTERN.match(code.strip()):
        return None
    case = session.scalars(
        select(Case)
        .where(col(Case.district_id) == agency.district_id)
        .where(col(Case.code) == code.strip())
    ).first()
    if case is None or not may_see_case(session, user, case):
        return None
    return case
