"""Build a feed's bytes from its event sources, reusing the renderings of unchanged events.

A feed is a scope (whose it is, in which language: ``models.overview.feed_scopes``) and the
events of every :data:`SOURCES` entry. A source answers two questions: which events belong in
the feed, with a version that changes whenever the event does (one light query, no
rendering), and, for the few that are not cached yet, the full
:class:`~calendars.ical.CalendarEvent`. Meetings are the first source; task deadlines and
council series are more entries of the same shape.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol
from urllib.parse import urlsplit

from sqlalchemy import ColumnElement, or_, select
from sqlmodel import Session, col

from calendars.feed import (
    DeadlineEvent,
    EventCache,
    RenderedEvent,
    assemble_feed,
    render_deadline_event,
    render_feed_event,
)
from calendars.ical import CalendarEvent
from models.cases.tables import Case, CaseAgency
from models.core.base import require_id, utcnow
from models.core.i18n import N_, translator
from models.core.settings import Settings
from models.core.text import one_line
from models.meetings.facts import agencies_by_meeting, meeting_calendar_event, meeting_facts
from models.meetings.invitations import meeting_events
from models.meetings.tables import KIND_LABELS, Meeting, MeetingAgency, MeetingStatus, Sitting
from models.overview.feed_scopes import FeedScope, agency_scope
from models.people.tables import Agency
from models.tasks.tables import StatutoryRule, Task, TaskStatus

__all__ = [
    "CANCELLED_KEPT_FOR",
    "FEED_HISTORY",
    "SOURCES",
    "EventRef",
    "EventSource",
    "MeetingSource",
    "TaskSource",
    "agency_feed",
    "build_feed_bytes",
]

log = logging.getLogger(__name__)

#: A cancelled meeting stays in feeds (as STATUS:CANCELLED) this long after it was cancelled,
#: so that every subscribed calendar sees the cancellation instead of a silent disappearance.
CANCELLED_KEPT_FOR = timedelta(days=14)
#: Past meetings stay in feeds this long after they ended.
FEED_HISTORY = timedelta(days=90)
#: What one row shows as in a feed: an event, a deadline, or a series with its overrides.
FeedEntry = CalendarEvent | DeadlineEvent | tuple[CalendarEvent, ...]
#: Rows loaded per query when rendering events that are not cached.
_CHUNK = 500


@dataclass(frozen=True)
class EventRef:
    """An event that belongs in a feed, known by its row and a version of its content."""

    row_id: int
    uid: str
    version: str


class EventSource(Protocol):
    """One kind of row that shows in feeds (meetings; later task deadlines, series)."""

    kind: str

    def refs(self, session: Session, scope: FeedScope, *, now: datetime) -> list[EventRef]:
        """Return the events of *scope*'s feed, cheaply (no rendering)."""
        ...

    def events(
        self, session: Session, settings: Settings, row_ids: Sequence[int], scope: FeedScope
    ) -> dict[int, FeedEntry]:
        """Return the calendar events of *row_ids* as *scope*'s feed shows them; a row that
        cannot be described is logged by id and left out."""
        ...


class MeetingSource:
    """Meetings an agency of the scope takes part in, recent and coming; cancelled ones stay
    for :data:`CANCELLED_KEPT_FOR`."""

    kind = "meeting"

    def refs(self, session: Session, scope: FeedScope, *, now: datetime) -> list[EventRef]:
        if not scope.agency_ids:
            return []
        m = Meeting
        rows = session.execute(
            select(col(m.id), col(m.uid), col(m.sequence), col(m.updated_at))
            .where(
                col(m.id).in_(
                    select(col(MeetingAgency.meeting_id)).where(
                        col(MeetingAgency.agency_id).in_(scope.agency_ids)
                    )
                )
            )
            # A council series stays while it recurs: calendar apps expand its RRULE.
            .where(or_(col(m.ends_at) >= now - FEED_HISTORY, col(m.rrule).is_not(None)))
            .where(
                or_(
                    col(m.status) != MeetingStatus.CANCELLED,
                    col(m.updated_at) >= now - CANCELLED_KEPT_FOR,
                )
            )
        )
        return [
            EventRef(row_id=i, uid=uid, version=f"{seq}:{changed.isoformat()}")
            for i, uid, seq, changed in rows
        ]

    def events(
        self, session: Session, settings: Settings, row_ids: Sequence[int], scope: FeedScope
    ) -> dict[int, FeedEntry]:
        locale = scope.locale
        _ = translator(locale)
        found: dict[int, FeedEntry] = {}
        for start in range(0, len(row_ids), _CHUNK):
            chunk = row_ids[start : start + _CHUNK]
            meetings = session.scalars(select(Meeting).where(col(Meeting.id).in_(chunk))).all()
            agencies = agencies_by_meeting(session, meetings)
            case_ids = {m.case_id for m in meetings if m.case_id is not None}
            cases = _cases_seen_by(session, scope, case_ids)
            sittings = _sittings_of(session, [require_id(m) for m in meetings if m.rrule])
            for meeting in meetings:
                try:
                    facts = meeting_facts(
                        meeting,
                        agencies[require_id(meeting)],
                        cases.get(meeting.case_id) if meeting.case_id else None,
                        locale=locale,
                        base_url=settings.base_url,
                    )
                    label = _(KIND_LABELS[meeting.kind])
                    event = meeting_calendar_event(meeting, facts, kind_label=label)
                    # A series: its cancelled sittings as EXDATEs, moved ones as overrides.
                    # Every change of a sitting raises the series' SEQUENCE, hence its version.
                    found[require_id(meeting)] = tuple(
                        meeting_events(event, sittings.get(require_id(meeting), []))
                    )
                except (StopIteration, KeyError, ValueError, TypeError) as exc:
                    log.warning("feed: left out meeting %s (%s)", meeting.id, type(exc).__name__)
        return found


class TaskSource:
    """Task deadlines as short entries ending at their due moment: the tasks of the scope's
    agencies, and those assigned to its person. Done tasks stay (ticked) like past meetings;
    cancelled ones stay :data:`CANCELLED_KEPT_FOR` as STATUS:CANCELLED. Titled with the task
    and its case code."""

    kind = "task"

    def refs(self, session: Session, scope: FeedScope, *, now: datetime) -> list[EventRef]:
        owners: list[ColumnElement[bool]] = []
        if scope.task_agency_ids:
            owners.append(col(Task.responsible_agency_id).in_(scope.task_agency_ids))
        if scope.user_id is not None:
            owners.append(col(Task.assignee_id) == scope.user_id)
        if not owners:
            return []
        t = Task
        rows = session.execute(
            select(col(t.id), col(t.sequence), col(t.status), col(t.due_at), col(t.updated_at))
            .where(or_(*owners))
            .where(col(t.due_at) >= now - FEED_HISTORY)
            .where(
                or_(
                    col(t.status) != TaskStatus.CANCELLED,
                    col(t.cancelled_at) >= now - CANCELLED_KEPT_FOR,
                )
            )
        )
        return [
            EventRef(
                row_id=i,
                uid=f"task-{i}",
                version=f"{seq}:{status}:{due.isoformat()}:{changed or ''}",
            )
            for i, seq, status, due, changed in rows
        ]

    def events(
        self, session: Session, settings: Settings, row_ids: Sequence[int], scope: FeedScope
    ) -> dict[int, FeedEntry]:
        locale = scope.locale
        _ = translator(locale)
        host = urlsplit(settings.base_url).hostname or "birge"
        found: dict[int, FeedEntry] = {}
        for start in range(0, len(row_ids), _CHUNK):
            tasks = session.scalars(
                select(Task).where(col(Task.id).in_(row_ids[start : start + _CHUNK]))
            ).all()
            case_ids = {t.case_id for t in tasks if t.case_id is not None}
            codes = dict(
                session.execute(
                    select(col(Case.id), col(Case.code)).where(col(Case.id).in_(case_ids))
                ).all()
            )
            rule_ids = {t.rule_id for t in tasks if t.rule_id is not None}
            rules = {
                r.id: r
                for r in session.scalars(
                    select(StatutoryRule).where(col(StatutoryRule.id).in_(rule_ids))
                )
            }
            for task in tasks:
                rule = rules.get(task.rule_id)
                title = rule.title(locale) if rule is not None else task.title
                if task.case_id is not None:
                    title = f"{title} — {codes[task.case_id]}"
                if task.status == TaskStatus.DONE:
                    title = f"✓ {title}"
                found[require_id(task)] = DeadlineEvent(
                    uid=f"task-{task.id}@{host}",
                    summary=title,
                    due_at=task.due_at,
                    last_modified=task.updated_at or task.created_at,
                    sequence=task.sequence,
                    cancelled=task.status == TaskStatus.CANCELLED,
                    url=f"{settings.base_url}/tasks/{task.id}",
                    categories=(_(N_("Deadline")),),
                )
        return found


def _sittings_of(session: Session, series_ids: Sequence[int]) -> dict[int, list[Sitting]]:
    """Return the moved and cancelled sittings of each series in *series_ids*."""
    found: dict[int, list[Sitting]] = {}
    if not series_ids:
        return found
    for sitting in session.scalars(
        select(Sitting)
        .where(col(Sitting.meeting_id).in_(series_ids))
        .order_by(col(Sitting.original_start))
    ):
        found.setdefault(sitting.meeting_id, []).append(sitting)
    return found


def _render(entry: FeedEntry, timezone: str) -> RenderedEvent:
    """Render one row's entry; a series renders as its master and overrides, kept together."""
    if isinstance(entry, DeadlineEvent):
        return render_deadline_event(entry, timezone)
    if isinstance(entry, CalendarEvent):
        return render_feed_event(entry, timezone)
    parts = [render_feed_event(event, timezone) for event in entry]
    return RenderedEvent(
        uid=parts[0].uid, starts_at=parts[0].starts_at, body=b"".join(p.body for p in parts)
    )


def _cases_seen_by(session: Session, scope: FeedScope, case_ids: set[int]) -> dict[int, Case]:
    """Return the cases of *case_ids* whose code *scope*'s feed may name: need to know, as
    for emails: the agency leads the case or works on it (the chair's knows them all)."""
    cases = session.scalars(select(Case).where(col(Case.id).in_(case_ids))).all()
    if scope.sees_all_cases:
        return {require_id(c): c for c in cases}
    on_cases = set(
        session.scalars(
            select(col(CaseAgency.case_id))
            .where(col(CaseAgency.case_id).in_(case_ids))
            .where(col(CaseAgency.agency_id).in_(scope.agency_ids))
        )
    )
    return {
        require_id(c): c for c in cases if c.lead_agency_id in scope.agency_ids or c.id in on_cases
    }


#: Every kind of row that shows in feeds, in the order their events are gathered.
SOURCES: tuple[EventSource, ...] = (MeetingSource(), TaskSource())


def build_feed_bytes(
    session: Session,
    settings: Settings,
    scope: FeedScope,
    cache: EventCache,
    *,
    now: datetime | None = None,
) -> bytes:
    """Build *scope*'s feed, rendering only the events *cache* does not hold in this version."""
    now = now or utcnow()
    rendered: list[RenderedEvent] = []
    for source in SOURCES:
        missing: list[tuple[tuple[str, str, str, tuple[object, ...]], EventRef]] = []
        for ref in source.refs(session, scope, now=now):
            key = (source.kind, ref.uid, ref.version, scope.viewer)
            hit = cache.get(key)
            if hit is None:
                missing.append((key, ref))
            else:
                rendered.append(hit)
        if not missing:
            continue
        events = source.events(session, settings, [ref.row_id for _, ref in missing], scope)
        for key, ref in missing:
            event = events.get(ref.row_id)
            if event is None:
                continue
            try:
                one = _render(event, settings.timezone)
            except (ValueError, TypeError, AttributeError) as exc:
                log.warning(
                    "feed %s: left out %s %s (%s)",
                    scope.uid,
                    source.kind,
                    ref.row_id,
                    type(exc).__name__,
                )
                continue
            cache.put(key, one)
            rendered.append(one)
    return assemble_feed(
        name=one_line(scope.name), uid=scope.uid, timezone=settings.timezone, events=rendered
    )


def agency_feed(
    session: Session, settings: Settings, agency: Agency, *, now: datetime | None = None
) -> bytes:
    """Build *agency*'s feed from scratch (no cache): what a first request or a test sees."""
    return build_feed_bytes(session, settings, agency_scope(agency), EventCache(), now=now)
