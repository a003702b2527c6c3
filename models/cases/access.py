"""Need to know of a case: who may open one, know of it, read its restricted part, change it,
and how another agency joins it (the one place that adds an agency to a case, audited)."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Select, select
from sqlmodel import Session, col

from models.cases.tables import Case, CaseAgency
from models.core.audit import record_event
from models.core.errors import Refused
from models.core.i18n import N_
from models.people.access import agency_of, oversees_district
from models.people.tables import Agency, AgencyKind, Role, User

__all__ = [
    "HIDDEN_CASE_CODE",
    "CaseAccessError",
    "CaseCodeScreen",
    "JoinReason",
    "add_agency_to_case",
    "agencies_knowing_case",
    "check_agency_joins",
    "may_add_agency_to_case",
    "may_change_case",
    "may_choose_lead_agency",
    "may_open_cases",
    "may_read_restricted",
    "may_see_case",
    "visible_cases",
    "works_on_case",
]


class CaseAccessError(Refused):
    """The user may not change who knows of a case."""


def may_open_cases(user: User) -> bool:
    """Tell whether *user* may open a case for a report: anyone of a district active but a
    member."""
    return user.active and Role(user.role).acts_for_agency


def may_see_case(session: Session, user: User, case: Case) -> bool:
    """Tell whether *user* may know of *case*: its lead agency, the agencies working on it,
    and the chair and administrators of its district; nobody above the districts."""
    if user.agency_id is None:
        return False
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


def may_choose_lead_agency(session: Session, user: User, case: Case) -> bool:
    """Tell whether *user* may hand *case* to another lead agency: the chair of its district,
    and the coordinators of the agency that leads it now."""
    if not user.active or not may_see_case(session, user, case):
        return False
    role = Role(user.role)
    return role is Role.CHAIR or (
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


#: A case code as staff write it into free text (a title, the minutes, a decision).
_CODE_IN_TEXT = re.compile(r"(?<![\w-])[A-Z]{1,4}-\d{4}-\d{4,6}(?![\w-])")
#: What a reader who may not know of a case sees instead of its code in free text (the code's
#: district prefix, here the first district's, and no number).
HIDDEN_CASE_CODE = "D-…"


class CaseCodeScreen:
    """Hide, in free text written by staff (a task's title, the minutes, a decision), the
    codes of the cases *reader* may not see: the same rule, :func:`may_see_case`, as for the
    code a page, an email or a protocol shows in its own field.

    A code that names no case of the reader's district is hidden too. Remembers its answers,
    so one screen serves a whole page."""

    def __init__(self, session: Session, reader: User) -> None:
        self._session = session
        self._reader = reader
        self._seen: dict[str, bool] = {}

    def knows(self, case: Case | None) -> bool:
        """Tell whether the reader may see *case*'s code."""
        if case is None:
            return False
        if case.code not in self._seen:
            self._seen[case.code] = may_see_case(self._session, self._reader, case)
        return self._seen[case.code]

    def __call__(self, text: str) -> str:
        """Return *text* with the codes of cases the reader may not see hidden."""
        return _CODE_IN_TEXT.sub(self._shown, text)

    def _shown(self, match: re.Match[str]) -> str:
        code = match.group(0)
        if code not in self._seen:
            district_id = agency_of(self._session, self._reader).district_id
            case = self._session.scalars(
                select(Case).where(col(Case.district_id) == district_id, col(Case.code) == code)
            ).first()
            self._seen[code] = case is not None and may_see_case(self._session, self._reader, case)
        return code if self._seen[code] else code.partition("-")[0] + "-…"


def agencies_knowing_case(session: Session, case: Case) -> set[int]:
    """Return the ids of the agencies that may see *case*'s code: its lead and its agencies.

    A person's right to the code is :func:`may_see_case` (these agencies' staff, and those
    who oversee the district); an agency invited to a meeting on the case sees the meeting
    without its code.
    """
    rows = session.scalars(
        select(col(CaseAgency.agency_id)).where(col(CaseAgency.case_id) == case.id)
    )
    return {case.lead_agency_id, *rows}


class JoinReason(StrEnum):
    """How an agency came to work on a case (named in its ``case.agency_added`` audit row)."""

    RULE = "rule"  # a statutory rule gave it a task
    TASK = "task"  # someone gave it a task by hand
    DECISION = "decision"  # a meeting's decision gave it a task
    REASSIGNMENT = "reassignment"  # a task was moved to it
    MANUAL = "manual"  # the lead agency or the chair added it


#: Joins the law orders: no person chose the agency, so nobody's permission is asked.
_BY_STATUTE = frozenset({JoinReason.RULE})


def may_add_agency_to_case(session: Session, user: User, case: Case) -> bool:
    """Tell whether *user* may let another agency know of *case*: the lead agency or the chair."""
    agency = agency_of(session, user)
    if agency.district_id != case.district_id or not user.active:
        return False
    return Role(user.role) is Role.CHAIR or (
        agency.id == case.lead_agency_id and Role(user.role).acts_for_agency
    )


def works_on_case(session: Session, case: Case, agency: Agency) -> bool:
    """Tell whether *agency* works on *case* already: its lead, or one of its agencies."""
    return (
        agency.id == case.lead_agency_id
        or session.get(CaseAgency, (case.id, agency.id)) is not None
    )


def check_agency_joins(
    session: Session, user: User | None, case: Case, agency: Agency, *, how: JoinReason
) -> str | None:
    """Return why *user* may not bring *agency* onto *case* this way (an English message id),
    or None when it may join or works on the case already. Writes nothing."""
    if agency.district_id != case.district_id:
        return N_("One of the chosen agencies does not exist.")
    if works_on_case(session, case, agency) or how in _BY_STATUTE:
        return None
    if user is None or not may_add_agency_to_case(session, user, case):
        return N_("Only the lead agency or the chair may add an agency to a case.")
    return None


def add_agency_to_case(
    session: Session,
    user: User | None,
    case: Case,
    agency: Agency,
    *,
    how: JoinReason = JoinReason.MANUAL,
    now: datetime | None = None,
) -> bool:
    """Let *agency* work on (and so know of) *case*; audited as ``case.agency_added``, naming
    *how* it came. Return False if it worked on the case already.

    The one place an agency joins an existing case: tasks, decisions and reassignments come
    through here. Only the lead agency's coordinators and the chair bring an agency in; a
    statutory rule brings in the agency it names (*user* None: the operator or the system).

    Raises:
      CaseAccessError: *user* may not add an agency to the case, or *agency* is of another
        district.
    """
    refused = check_agency_joins(session, user, case, agency, how=how)
    if refused is not None:
        raise CaseAccessError(refused)
    if works_on_case(session, case, agency):
        return False
    session.add(CaseAgency(case_id=case.id, agency_id=agency.id))  # type: ignore[arg-type]
    record_event(
        session,
        user_id=user.id if user is not None else None,
        action="case.agency_added",
        object_type="case",
        object_id=case.id,
        detail=f"case={case.code} agency={agency.slug} how={how.value}",
        at=now,
    )
    session.flush()
    return True
