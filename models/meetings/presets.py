"""Ready-made sets of agencies to invite, so nobody ticks eleven boxes one by one."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session, col

from models.cases.access import agencies_knowing_case, may_see_case
from models.cases.tables import Case
from models.core.base import require_id
from models.core.i18n import N_
from models.core.text import has_forbidden_controls
from models.meetings.invitable import invitable_agencies
from models.meetings.scheduling import SchedulingError, normalize_case_code
from models.people.tables import Agency, AgencyKind, User

__all__ = ["COUNCIL_USUAL_KINDS", "PRESETS", "preset_agency_ids"]

#: Who usually sits on a school's prevention council besides the school: the police juvenile
#: inspector and the district education department (the guardianship body).
COUNCIL_USUAL_KINDS = (AgencyKind.POLICE, AgencyKind.EDUCATION)

PRESETS = ("all", "case", "council")


def preset_agency_ids(
    session: Session,
    user: User,
    preset: str,
    *,
    case_code: str | None = None,
    school_id: int | None = None,
) -> list[int]:
    """Return the agencies of *preset* in *user*'s district: ``all`` agencies, the agencies
    of the case (``case``, which the user must be allowed to see) or a school's usual
    ``council`` members.

    Raises:
      SchedulingError: the preset needs a case or a school that is not given or not visible.
    """
    own = session.get(Agency, user.agency_id)
    assert own is not None
    district = invitable_agencies(session, own.district_id)
    if preset == "all":
        return sorted(require_id(a) for a in district)
    if preset == "case":
        code = normalize_case_code(case_code)
        case = (
            session.scalars(
                select(Case)
                .where(col(Case.district_id) == own.district_id)
                .where(col(Case.code) == code)
            ).first()
            if code and not has_forbidden_controls(code)
            else None
        )
        if case is None or not may_see_case(session, user, case):
            raise SchedulingError(
                N_("Enter the code of a case your agency works on first."), "case_code"
            )
        return sorted(agencies_knowing_case(session, case))
    if preset == "council":
        school = next((a for a in district if a.id == school_id), None)
        if school is None and own.kind == AgencyKind.SCHOOL:
            school = own
        if school is None or school.kind != AgencyKind.SCHOOL:
            raise SchedulingError(N_("Choose the school whose council this is."), "school")
        usual = [require_id(a) for a in district if a.kind in COUNCIL_USUAL_KINDS]
        return sorted({require_id(school), *usual})
    raise SchedulingError(N_("Choose the agencies."), "agencies")
