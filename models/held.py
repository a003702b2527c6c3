"""Read a held meeting back: who attended, what was decided, the frozen agenda, as the
minutes page and the DOCX protocol show them to one reader."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session, col

from models.access import may_see_case
from models.agenda import AgendaGroup, coordination_agenda, shown_to
from models.cases import Case
from models.meetings import Meeting
from models.minutes import Attendance, Decision, MeetingMinutes
from models.people import Agency, User
from models.recording import minutes_of

__all__ = ["AgencyAttendance", "DecisionLine", "HeldMeeting", "held_meeting"]


@dataclass(frozen=True)
class AgencyAttendance:
    agency: Agency
    present: bool
    people: tuple[User, ...]


@dataclass(frozen=True)
class DecisionLine:
    decision: Decision
    agency: Agency
    assignee: User | None


@dataclass(frozen=True)
class HeldMeeting:
    meeting: Meeting
    minutes: MeetingMinutes
    case_code: str | None  # None when there is no case or the reader may not know of it
    attendance: tuple[AgencyAttendance, ...]
    decisions: tuple[DecisionLine, ...]
    agenda: tuple[AgendaGroup, ...] | None  # coordination meetings only


def held_meeting(
    session: Session, reader: User, meeting: Meeting, *, now: datetime
) -> HeldMeeting | None:
    """Return what *meeting*'s minutes say, for *reader* (who may see the meeting), or None
    while it has no minutes. Case codes the reader's agency does not know of are left out."""
    minutes = minutes_of(session, meeting)
    if minutes is None:
        return None
    rows = session.scalars(
        select(Attendance)
        .where(col(Attendance.minutes_id) == minutes.id)
        .order_by(col(Attendance.agency_id), col(Attendance.id))
    ).all()
    decisions = session.scalars(
        select(Decision)
        .where(col(Decision.minutes_id) == minutes.id)
        .order_by(col(Decision.position))
    ).all()
    agency_ids = {r.agency_id for r in rows} | {d.agency_id for d in decisions}
    agencies = {
        a.id: a for a in session.scalars(select(Agency).where(col(Agency.id).in_(agency_ids)))
    }
    user_ids = {r.user_id for r in rows if r.user_id} | {d.assignee_id for d in decisions}
    people = {
        u.id: u for u in session.scalars(select(User).where(col(User.id).in_(user_ids - {None})))
    }
    attendance = tuple(
        AgencyAttendance(
            agency=agencies[r.agency_id],
            present=r.present,
            people=tuple(
                people[p.user_id]
                for p in rows
                if p.user_id is not None and p.agency_id == r.agency_id
            ),
        )
        for r in rows
        if r.user_id is None
    )
    case = session.get(Case, meeting.case_id) if meeting.case_id is not None else None
    agenda = coordination_agenda(session, meeting, now=now)
    return HeldMeeting(
        meeting=meeting,
        minutes=minutes,
        case_code=case.code if case and may_see_case(session, reader, case) else None,
        attendance=attendance,
        decisions=tuple(
            DecisionLine(
                decision=d,
                agency=agencies[d.agency_id],
                assignee=people.get(d.assignee_id) if d.assignee_id else None,
            )
            for d in decisions
        ),
        agenda=tuple(shown_to(session, reader, agenda)) if agenda is not None else None,
    )
