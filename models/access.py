"""Need to know: which meetings and cases a user's agency may see."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, select
from sqlmodel import Session, col

from models.cases import Case, CaseAgency
from models.meetings import Meeting, MeetingAgency, MeetingStatus
from models.people import Agency, AgencyKind, Role, User

__all__ = [
    "may_change_case",
    "may_read_restricted",
    "may_see_case",
    "may_see_meeting",
    "upcoming_meetings",
    "visible_cases",
]


def _agency(session: Session, user: User) -> Agency:
    agency = session.get(Agency, user.agency_id)
    if agency is None:
        raise LookupError(f"user {user.id} has no agency")
    return agency


def upcoming_meetings(
    session: Session, user: User, *, now: datetime, limit: int = 100
) -> Sequence[Meeting]:
    """Return the scheduled meetings not yet over that *user* may see, soonest first.

    Staff see the meetings their agency takes part in; the chair and administrators see the
    whole district.
    """
    query = (
        select(Meeting)
        .where(col(Meeting.ends_at) >= now)
        .where(col(Meeting.status) == MeetingStatus.SCHEDULED)
        .order_by(col(Meeting.starts_at), col(Meeting.id))
        .limit(limit)
    )
    if Role(user.role).sees_district:
        query = query.where(col(Meeting.district_id) == _agency(session, user).district_id)
    else:
        query = query.join(MeetingAgency, col(MeetingAgency.meeting_id) == col(Meeting.id)).where(
            col(MeetingAgency.agency_id) == user.agency_id
        )
    return session.scalars(query).all()


def may_see_meeting(session: Session, user: User, meeting: Meeting) -> bool:
    """Tell whether *user* may open *meeting*."""
    if Role(user.role).sees_district:
        return _agency(session, user).district_id == meeting.district_id
    return session.get(MeetingAgency, (meeting.id, user.agency_id)) is not None


def may_see_case(session: Session, user: User, case: Case) -> bool:
    """Tell whether *user* may know of *case*: its lead agency, the agencies working on it,
    and the chair and administrators of its district."""
    agency = _agency(session, user)
    if case.district_id != agency.district_id:
        return False
    if Role(user.role).sees_district or case.lead_agency_id == agency.id:
        return True
    return session.get(CaseAgency, (case.id, agency.id)) is not None


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
    if Role(user.role).sees_district:
        return query
    on_case = select(col(CaseAgency.case_id)).where(col(CaseAgency.agency_id) == agency.id)
    return query.where((col(Case.lead_agency_id) == agency.id) | col(Case.id).in_(on_case))
