"""Need to know: which meetings and cases a user's agency may see."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, select
from sqlmodel import Session, col

from models.cases.tables import Case, CaseAgency
from models.core.audit import record_event
from models.core.i18n import N_
from models.meetings.tables import Meeting, MeetingAgency, MeetingStatus
from models.people.tables import Agency, AgencyKind, Role, User

__all__ = [
    "CaseAccessError",
    "add_agency_to_case",
    "agencies_knowing_case",
    "coming_meetings",
    "may_add_agency_to_case",
    "may_change_case",
    "may_change_meeting",
    "may_read_restricted",
    "may_see_case",
    "may_see_meeting",
    "oversees_district",
    "upcoming_meetings",
    "visible_cases",
    "visible_meetings",
]


class CaseAccessError(PermissionError):
    """The user may not change who knows of a case; ``str()`` is an English message id."""


def _agency(session: Session, user: User) -> Agency:
    agency = session.get(Agency, user.agency_id)
    if agency is None:
        raise LookupError(f"user {user.id} has no agency")
    return agency


def oversees_district(session: Session, user: User) -> bool:
    """Tell whether *user* works for the whole district: administrators, the chair and the
    unit's secretary (a coordinator of the akimat, who works for the chair)."""
    role = Role(user.role)
    if role.sees_district:
        return True
    return role is Role.COORDINATOR and _agency(session, user).kind == AgencyKind.AKIMAT


def visible_meetings(session: Session, user: User) -> Select[Any]:
    """Return a query of the meetings *user* may see (any status, any time), unordered.

    Staff see the meetings their agency takes part in; those who oversee the district see
    every meeting of it. Callers add their own time range, order and limit.
    """
    query = select(Meeting)
    if oversees_district(session, user):
        return query.where(col(Meeting.district_id) == _agency(session, user).district_id)
    return query.join(MeetingAgency, col(MeetingAgency.meeting_id) == col(Meeting.id)).where(
        col(MeetingAgency.agency_id) == user.agency_id
    )


def upcoming_meetings(
    session: Session, user: User, *, now: datetime, limit: int = 100
) -> Sequence[Meeting]:
    """Return the scheduled meetings not yet over that *user* may see, soonest first.

    Staff see the meetings their agency takes part in; the chair, administrators and the
    unit's secretary see the whole district. A council series counts by its next sitting
    (``Meeting.next_sitting_at``, indexed and kept by the scheduler's tick).
    """
    return session.scalars(
        coming_meetings(visible_meetings(session, user), now=now)
        .where(col(Meeting.status) == MeetingStatus.SCHEDULED)
        .limit(limit)
    ).all()


def coming_meetings(query: Select[Any], *, now: datetime) -> Select[Any]:
    """Narrow a query of meetings to those not yet over, by their next sitting, soonest first.

    A series' next sitting is not over by construction (the tick moves it on when it is); a
    single meeting lasts at most 12 hours, so a lower bound on the start keeps the index range
    tight.
    """
    return (
        query.where(col(Meeting.next_sitting_at) >= now - timedelta(hours=12))
        .where((col(Meeting.ends_at) >= now) | col(Meeting.rrule).is_not(None))
        .order_by(col(Meeting.next_sitting_at), col(Meeting.id))
    )


def may_see_meeting(session: Session, user: User, meeting: Meeting) -> bool:
    """Tell whether *user* may open *meeting*."""
    if oversees_district(session, user):
        return _agency(session, user).district_id == meeting.district_id
    return session.get(MeetingAgency, (meeting.id, user.agency_id)) is not None


def may_see_case(session: Session, user: User, case: Case) -> bool:
    """Tell whether *user* may know of *case*: its lead agency, the agencies working on it,
    and the chair and administrators of its district."""
    agency = _agency(session, user)
    if case.district_id != agency.district_id:
        return False
    if oversees_district(session, user) or case.lead_agency_id == agency.id:
        return True
    return session.get(CaseAgency, (case.id, agency.id)) is not None


def may_change_meeting(session: Session, user: User, meeting: Meeting) -> bool:
    """Tell whether *user* may reschedule, cancel or change the participants of *meeting*:
    the organizing agency's coordinators, and those who schedule for the whole district."""
    if not user.active or not Role(user.role).may_schedule:
        return False
    if oversees_district(session, user):
        return _agency(session, user).district_id == meeting.district_id
    return user.agency_id == meeting.organizer_agency_id


def may_read_restricted(session: Session, user: User, case: Case) -> bool:
    """Tell whether *user* may read and change the child-identifying part of *case*: the lead
    agency, the guardianship body working on it, the chair and administrators."""
    if not may_see_case(session, user, case):
        return False
    agency = _agency(session, user)
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
    agency = _agency(session, user)
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
    agency = _agency(session, user)
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
