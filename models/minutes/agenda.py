"""The coordination meeting's agenda: the district's overdue tasks by agency at the time of
the meeting, read live until the meeting is held and frozen into its minutes from then on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session, col

from models.cases.access import CaseCodeScreen
from models.cases.tables import Case
from models.meetings.tables import Meeting, MeetingKind
from models.minutes.tables import AgendaItem, MeetingMinutes
from models.people.tables import Agency, User
from models.tasks.queries import was_overdue_at
from models.tasks.tables import Task
from models.tasks.titles import statutory_titles, title_in
from models.workdays.calendar import district_calendar

__all__ = [
    "AgendaGroup",
    "AgendaLine",
    "agenda_in",
    "agenda_moment",
    "coordination_agenda",
    "live_agenda",
    "overdue_at",
    "shown_to",
]


@dataclass(frozen=True)
class AgendaLine:
    """One overdue task as the agenda shows it."""

    task_id: int
    title: str
    case_id: int | None
    case_code: str | None
    due_at: datetime
    working_days_overdue: int


@dataclass(frozen=True)
class AgendaGroup:
    """The overdue tasks of one agency."""

    agency: Agency
    lines: tuple[AgendaLine, ...]


def overdue_at(session: Session, district_id: int, at: datetime) -> Sequence[Task]:
    """Return the district's tasks that were open and overdue at *at*, by agency and due time.

    A task done or cancelled after *at* still counts: it was overdue then.
    """
    return session.scalars(
        select(Task)
        .where(col(Task.district_id) == district_id)
        .where(was_overdue_at(at))
        .order_by(col(Task.responsible_agency_id), col(Task.due_at), col(Task.id))
    ).all()


def agenda_moment(meeting: Meeting, now: datetime) -> datetime:
    """Return when the agenda is read: now before the meeting, its start once it has begun."""
    return min(now, meeting.starts_at)


def live_agenda(session: Session, meeting: Meeting, *, at: datetime) -> list[AgendaGroup]:
    """Compute the agenda of *meeting*'s district at *at* (with three queries)."""
    tasks = overdue_at(session, meeting.district_id, at)
    calendar = district_calendar(session, meeting.district_id)
    codes = _case_codes(session, {t.case_id for t in tasks if t.case_id is not None})
    lines = [
        (
            t.responsible_agency_id,
            AgendaLine(
                task_id=t.id or 0,
                title=t.title,
                case_id=t.case_id,
                case_code=codes.get(t.case_id) if t.case_id is not None else None,
                due_at=t.due_at,
                working_days_overdue=calendar.working_days_between(t.due_at, at),
            ),
        )
        for t in tasks
    ]
    return _grouped(session, lines)


def coordination_agenda(
    session: Session, meeting: Meeting, *, now: datetime
) -> list[AgendaGroup] | None:
    """Return the agenda of a coordination meeting (None for other kinds): the frozen one
    once its minutes are recorded, the live one before."""
    if meeting.kind != MeetingKind.COORDINATION_MEETING:
        return None
    minutes = session.scalars(
        select(MeetingMinutes).where(col(MeetingMinutes.meeting_id) == meeting.id)
    ).first()
    if minutes is None:
        return live_agenda(session, meeting, at=agenda_moment(meeting, now))
    items = session.scalars(
        select(AgendaItem)
        .where(col(AgendaItem.minutes_id) == minutes.id)
        .order_by(col(AgendaItem.position))
    ).all()
    return _grouped(
        session,
        [
            (
                item.agency_id,
                AgendaLine(
                    task_id=item.task_id,
                    title=item.title,
                    case_id=item.case_id,
                    case_code=item.case_code,
                    due_at=item.due_at,
                    working_days_overdue=item.working_days_overdue,
                ),
            )
            for item in items
        ],
    )


def shown_to(
    session: Session,
    user: User,
    groups: Sequence[AgendaGroup],
    screen: CaseCodeScreen | None = None,
) -> list[AgendaGroup]:
    """Hide the case codes *user*'s agency does not know of (need to know): a line's code,
    and any code written into its title."""
    screen = screen or CaseCodeScreen(session, user)

    def visible(line: AgendaLine) -> AgendaLine:
        if line.case_id is None:
            return replace(line, title=screen(line.title))
        known = screen.knows(session.get(Case, line.case_id))
        return replace(line, title=screen(line.title), case_code=line.case_code if known else None)

    return [replace(g, lines=tuple(visible(line) for line in g.lines)) for g in groups]


def _case_codes(session: Session, case_ids: set[int]) -> dict[int, str]:
    if not case_ids:
        return {}
    rows = session.execute(select(col(Case.id), col(Case.code)).where(col(Case.id).in_(case_ids)))
    return {case_id: code for case_id, code in rows}


def _grouped(session: Session, lines: Sequence[tuple[int, AgendaLine]]) -> list[AgendaGroup]:
    agency_ids = {agency_id for agency_id, _ in lines}
    agencies = {
        a.id: a for a in session.scalars(select(Agency).where(col(Agency.id).in_(agency_ids)))
    }
    by_agency: dict[int, list[AgendaLine]] = {}
    for agency_id, line in lines:
        by_agency.setdefault(agency_id, []).append(line)
    return [
        AgendaGroup(agency=agencies[agency_id], lines=tuple(found))
        for agency_id, found in sorted(by_agency.items())
    ]


def agenda_in(
    session: Session, agenda: tuple[AgendaGroup, ...] | None, locale: str
) -> tuple[AgendaGroup, ...] | None:
    """Return *agenda* with its statutory tasks titled in *locale* (a Kazakh protocol)."""
    if agenda is None:
        return None
    titles = statutory_titles(session, locale)
    return tuple(
        replace(
            g, lines=tuple(replace(line, title=title_in(line.title, titles)) for line in g.lines)
        )
        for g in agenda
    )
