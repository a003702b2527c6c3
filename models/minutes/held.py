"""Read a held meeting back: who attended, what was decided, the frozen agenda, as the
minutes page and the DOCX protocol show them to one reader."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlmodel import Session, col

from models.cases.access import CaseCodeScreen
from models.cases.tables import Case
from models.core.base import require_id
from models.meetings.sittings import SittingTime, sitting_times
from models.meetings.tables import Meeting, Sitting
from models.minutes.agenda import AgendaGroup, coordination_agenda, shown_to
from models.minutes.recording import minutes_of, sitting_of
from models.minutes.tables import Attendance, Decision, MeetingMinutes
from models.people.access import district_chairs
from models.people.tables import Agency, User

__all__ = [
    "AgencyAttendance",
    "DecisionLine",
    "HeldMeeting",
    "HeldSitting",
    "held_meeting",
    "held_sittings",
]

#: How far back the meeting page lists a series' sittings without minutes (those with
#: minutes are always listed), and how many it lists at most.
_UNRECORDED_BACK = timedelta(days=400)
HELD_SITTINGS_SHOWN = 24


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
    #: The decision's words as the reader may read them (codes of other cases hidden).
    text: str


@dataclass(frozen=True)
class HeldMeeting:
    meeting: Meeting
    minutes: MeetingMinutes
    #: The meeting's title and the minutes' text as the reader may read them: the codes of
    #: cases the reader may not see are hidden (:class:`models.cases.access.CaseCodeScreen`).
    title: str
    text: str
    #: The sitting held: where it sat (a series' sitting, or the single meeting itself).
    starts_at: datetime
    ends_at: datetime
    case_code: str | None  # None when there is no case or the reader may not know of it
    attendance: tuple[AgencyAttendance, ...]
    decisions: tuple[DecisionLine, ...]
    agenda: tuple[AgendaGroup, ...] | None  # coordination meetings only
    #: Who signs as chair: the district's chair when present, else the organizer when present.
    chair: User | None = None
    #: Who signs as secretary: the person who recorded the minutes.
    secretary: User | None = None


@dataclass(frozen=True)
class HeldSitting:
    """A sitting of a series that has begun, and its minutes once recorded."""

    sitting: SittingTime
    minutes: MeetingMinutes | None


def held_meeting(
    session: Session,
    reader: User,
    meeting: Meeting,
    *,
    now: datetime,
    sitting: datetime | None = None,
) -> HeldMeeting | None:
    """Return what the minutes of *meeting* (a series: of its sitting with the original start
    *sitting*) say, for *reader* (who may see the meeting), or None while there are none.
    Case codes the reader's agency does not know of are left out."""
    minutes = minutes_of(session, meeting, sitting)
    if minutes is None:
        return None
    held = sitting_of(session, meeting, minutes.sitting_start) if meeting.is_series else None
    if held is None:  # a single meeting, or a sitting its series' rule no longer has
        start = minutes.sitting_start if meeting.is_series else meeting.starts_at
        held = SittingTime(start, start, start + (meeting.ends_at - meeting.starts_at))
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
    user_ids |= {minutes.recorded_by_id}
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
    present_ids = [r.user_id for r in rows if r.user_id is not None and r.present]
    case = session.get(Case, meeting.case_id) if meeting.case_id is not None else None
    agenda = coordination_agenda(session, meeting, now=now)
    screen = CaseCodeScreen(session, reader)
    return HeldMeeting(
        meeting=meeting,
        minutes=minutes,
        title=screen(meeting.title),
        text=screen(minutes.text),
        starts_at=held.starts_at,
        ends_at=held.ends_at,
        case_code=case.code if case is not None and screen.knows(case) else None,
        attendance=attendance,
        decisions=tuple(
            DecisionLine(
                decision=d,
                agency=agencies[d.agency_id],
                assignee=people.get(d.assignee_id) if d.assignee_id else None,
                text=screen(d.text),
            )
            for d in decisions
        ),
        agenda=tuple(shown_to(session, reader, agenda, screen)) if agenda is not None else None,
        chair=_chair(session, meeting, [people[i] for i in present_ids if i in people]),
        secretary=people.get(minutes.recorded_by_id) if minutes.recorded_by_id else None,
    )


def _chair(session: Session, meeting: Meeting, present: Sequence[User]) -> User | None:
    """Return who chaired the sitting: the district's chair (the deputy akim) when present,
    else the person who scheduled the meeting when present; None leaves the line blank."""
    chairs = {require_id(u) for u in district_chairs(session, meeting.district_id)}
    for user in present:
        if user.id in chairs:
            return user
    return next((u for u in present if u.id == meeting.created_by_id), None)


def held_sittings(
    session: Session, meeting: Meeting, zone: ZoneInfo, *, now: datetime
) -> list[HeldSitting]:
    """Return the sittings of the series *meeting* that have begun, latest first, each with
    its minutes: every sitting with minutes, and those of the last year without; at most
    :data:`HELD_SITTINGS_SHOWN`. A single meeting has none here (its page shows its one
    record as before)."""
    if not meeting.is_series:
        return []
    recorded = {
        m.sitting_start: m
        for m in session.scalars(
            select(MeetingMinutes).where(col(MeetingMinutes.meeting_id) == meeting.id)
        )
    }
    overrides = session.scalars(select(Sitting).where(col(Sitting.meeting_id) == meeting.id)).all()
    after = max(meeting.starts_at, now - _UNRECORDED_BACK)
    begun = {
        s.original_start: s
        for s in sitting_times(meeting, overrides, zone, after=after, before=now)
        if s.starts_at <= now
    }
    length = meeting.ends_at - meeting.starts_at
    for start in recorded.keys() - begun.keys():  # held long ago, or before the rule changed
        begun[start] = sitting_of(session, meeting, start) or SittingTime(
            start, start, start + length
        )
    found = [HeldSitting(s, recorded.get(key)) for key, s in begun.items()]
    found.sort(key=lambda h: h.sitting.starts_at, reverse=True)
    return found[:HELD_SITTINGS_SHOWN]
