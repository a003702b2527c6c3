"""Which agencies a meeting may invite: any agency of its district, except that a case
conference invites only the agencies working on its case (and the organizer's own).

The forms offer these (the new-meeting and participants pages), and scheduling and changing
the participants refuse any other.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session, col

from models.cases.access import agencies_knowing_case
from models.cases.tables import Case
from models.meetings.tables import Meeting, MeetingKind
from models.people.tables import Agency

__all__ = ["bound_agency_ids", "invitable_agencies", "meeting_invitable_agencies"]


def invitable_agencies(session: Session, district_id: int) -> list[Agency]:
    """Return the agencies a meeting of the district *district_id* may invite, by id: every
    agency of the district."""
    return list(
        session.scalars(
            select(Agency).where(col(Agency.district_id) == district_id).order_by(col(Agency.id))
        )
    )


def bound_agency_ids(
    session: Session, *, kind: str, case: Case | None, organizer_agency_id: int
) -> set[int] | None:
    """Return the ids of the only agencies a meeting of *kind* on *case* may invite, or None
    when it may invite any agency of its district.

    A case conference is bound to the agencies that may know of its case (need to know,
    :func:`models.cases.access.agencies_knowing_case`) and the organizer's own.
    """
    if kind != MeetingKind.CASE_CONFERENCE or case is None:
        return None
    return agencies_knowing_case(session, case) | {organizer_agency_id}


def meeting_invitable_agencies(session: Session, meeting: Meeting) -> list[Agency]:
    """Return the agencies that may take part in *meeting*, by id: those of its district, of
    a case conference only those :func:`bound_agency_ids` allows."""
    agencies = invitable_agencies(session, meeting.district_id)
    case = session.get(Case, meeting.case_id) if meeting.case_id is not None else None
    bound = bound_agency_ids(
        session, kind=meeting.kind, case=case, organizer_agency_id=meeting.organizer_agency_id
    )
    return agencies if bound is None else [a for a in agencies if a.id in bound]
