"""Need to know of a case: who may know of it, read its restricted part, change it, and how
another agency joins it (the one place that adds an agency to a case, audited)."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlmodel import Session, col

from models.cases.tables import Case, CaseAgency
from models.core.audit import record_event
from models.core.i18n import N_
from models.people.access import agency_of, oversees_district
from models.people.tables import Agency, AgencyKind, Role, User

__all__ = [
    "CaseAccessError",
    "add_agency_to_case",
    "agencies_knowing_case",
    "may_add_agency_to_case",
    "may_change_case",
    "may_read_restricted",
    "may_see_case",
    "visible_cases",
]


class CaseAccessError(PermissionError):
    """The user may not change who knows of a case; ``str()`` is an English message id."""


def may_see_case(session: Session, user: User, case: Case) -> bool:
    """Tell whether *user* may know of *case*: its lead agency, the agencies working on it,
    and the chair and administrators of its district."""
    agency = agency_of(session, user)
    if case.district_id != agency.district_id:
        return False
    if oversees_district(session, user) or case.lead_agency_id == agency.id:
        return True
    return session.get(CaseAgency, (case.id, agency.id)) is not None


def may_read_restricted(session: Session, user: User, case: Case) -> bool:
    """Tell whether *user* may read and change the child-identifying part of *case*: the lead
    agency, the guardianship body working on it, the chair and administrators."""
    if not may_see_case(session, user, case):
        return False
    agency = agency_of(session, user)
    return (
        Role(user.role).sees_district
        or case.lead_agency_id == agency.id
        or agency.kind == AgencyKind.GUARDIANSHIP
    )


def may_change_case(session: Session, user: User, case: Case) -> bool:
    """Tell whether *user* may set a case's flags or close it: the lead agency's coordinators,
    the chair and administrators."""
    if not may_see_case(session, user, case):
        return False
    role = Role(user.role)
    return role.sees_district or (
        role is Role.COORDINATOR and case.lead_agency_id == user.agency_id
    )


def visible_cases(session: Session, user: User) -> Select[Case]:
    """Return a query of the cases *user* may know of (to be ordered and paginated)."""
    agency = agency_of(session, user)
    query = select(Case).where(col(Case.district_id) == agency.district_id)
    if oversees_district(session, user):
        return query
    on_case = select(col(CaseAgency.case_id)).where(col(CaseAgency.agency_id) == agency.id)
    return query.where((col(Case.lead_agency_id) == agency.id) | col(Case.id).in_(on_case))


def agencies_knowing_case(session: Session, case: Case) -> set[int]:
    """Return the ids of the agencies that may see *case*'s code: its lead and its agencies.

    Emails and feeds show a meeting's case code only to these (and to the district's chair);
    an agency invited to a meeting on the case sees the meeting without its code.
    """
    rows = session.scalars(
        select(col(CaseAgency.agency_id)).where(col(CaseAgency.case_id) == case.id)
    )
    return {case.lead_agency_id, *rows}


def may_add_agency_to_case(session: Session, user: User, case: Case) -> bool:
    """Tell whether *user* may let another agency know of *case*: the lead agency or the chair."""
    agency = agency_of(session, user)
    if agency.district_id != case.district_id or not user.active:
        return False
    return Role(user.role) is Role.CHAIR or (
        agency.id == case.lead_agency_id and Role(user.role) is not Role.MEMBER
    )


def add_agency_to_case(session: Session, user: User, case: Case, agency: Agency) -> bool:
    """Let *agency* work on (and so know of) *case*; audited. Return False if it already did.

    Raises:
      CaseAccessError: *user* is neither of the lead agency nor the chair, or *agency* is of
        another district.
    """
    if not may_add_agency_to_case(session, user, case):
        raise CaseAccessError(N_("Only the lead agency or the chair may add an agency to a case."))
    if agency.district_id != case.district_id:
        raise CaseAccessError(N_("One of the chosen agencies does not exist."))
    if agency.id == case.lead_agency_id:
        return False
    if session.get(CaseAgency, (case.id, agency.id)) is not None:
        return False
    session.add(CaseAgency(case_id=case.id, agency_id=agency.id))  # type: ignore[arg-type]
    record_event(
        session,
        user_id=user.id,
        action="case.agency_added",
        object_type="case",
        object_id=case.id,
        detail=f"case={case.code} agency={agency.slug}",
    )
    session.flush()
    return True
