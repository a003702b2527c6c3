"""What the home page, the meeting list and the calendar view show a user.

Every query here is bounded (a time range, a page, a limit) and goes through
:func:`models.meetings.access.visible_meetings`, so no page loads all meetings and nobody sees a
meeting their agency has no part in. Task panels (cases and deadlines) join the
:class:`Dashboard` beside the meeting panels.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlmodel import Session, col

from models.meetings.access import coming_meetings, upcoming_meetings, visible_meetings
from models.meetings.sittings import district_zone, sitting_times
from models.meetings.tables import Meeting, MeetingAgency, MeetingKind, MeetingStatus, Sitting
from models.people.access import oversees_district
from models.people.tables import Agency, User
from models.tasks.panels import AgencyTasks, DistrictTasks, agency_tasks, district_tasks

__all__ = [
    "Dashboard",
    "DistrictOverview",
    "MeetingPage",
    "OverviewCache",
    "dashboard_for",
    "meeting_page",
]

PER_PAGE = 20
#: The calendar view asks for one month or week at a time; more than this is refused.
OVERVIEW_DAYS = 30


@dataclass(frozen=True)
class AgencyLoad:
    """One agency's part in the district's coming meetings."""

    agency: Agency
    meetings: int


@dataclass(frozen=True)
class DistrictOverview:
    """The district at a glance, for the chair and the unit's secretary."""

    days: int
    meetings_by_kind: dict[str, int]
    this_week: int
    by_agency: list[AgencyLoad]

    @property
    def total(self) -> int:
        return sum(self.meetings_by_kind.values())

    @property
    def idle_agencies(self) -> list[Agency]:
        """Agencies with no meeting in the period: who is not at the table."""
        return [load.agency for load in self.by_agency if load.meetings == 0]


@dataclass(frozen=True)
class Dashboard:
    """The panels of a home page that everyone of one agency and role sees alike; the answers
    awaited from a person are :func:`models.meetings.awaited.responses_awaited`."""

    next_meetings: Sequence[Meeting]
    tasks: AgencyTasks | None = None
    overview: DistrictOverview | None = None
    district_tasks: DistrictTasks | None = None


@dataclass(frozen=True)
class MeetingPage:
    """One page of a meeting list; ``has_next`` without counting every row."""

    meetings: Sequence[Meeting]
    page: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.page > 1


class OverviewCache:
    """Count each district's overview once per minute of the clock: counting it again for
    every change would cost two joins over all the district's coming meetings and tasks (about
    70 ms with 100,000 of each), while the counts of a month barely move within a minute. The
    page says so ("at most a minute old"); the kept page parts (``web.fragments``) end with the
    same minute, so what the chair sees is never older. One per web process; thread-safe
    enough (a race counts twice)."""

    def __init__(self) -> None:
        self._kept: dict[int, tuple[datetime, DistrictOverview, DistrictTasks]] = {}

    def get(self, session: Session, user: User, *, now: datetime) -> DistrictOverview:
        return self.both(session, user, now=now)[0]

    def both(
        self, session: Session, user: User, *, now: datetime
    ) -> tuple[DistrictOverview, DistrictTasks]:
        """Return the district's meeting overview and task record as counted in *now*'s
        minute."""
        own = session.get(Agency, user.agency_id)
        assert own is not None
        minute = now.replace(second=0, microsecond=0)
        kept = self._kept.get(own.district_id)
        if kept is not None and kept[0] == minute:
            return kept[1], kept[2]
        overview = district_overview(session, user, now=now)
        tasks = district_tasks(session, user, now=now)
        self._kept[own.district_id] = (minute, overview, tasks)
        return overview, tasks


def dashboard_for(
    session: Session,
    user: User,
    *,
    now: datetime,
    limit: int = 8,
    cache: OverviewCache | None = None,
) -> Dashboard:
    """Build *user*'s home page panels: their agency's next meetings and tasks and, for those
    who oversee the district, the district's overview (from *cache* when given)."""
    overview = record = None
    if oversees_district(session, user):
        cache = cache or OverviewCache()
        overview, record = cache.both(session, user, now=now)
    return Dashboard(
        next_meetings=upcoming_meetings(session, user, now=now, limit=limit),
        tasks=agency_tasks(session, user, now=now),
        overview=overview,
        district_tasks=record,
    )


def district_overview(session: Session, user: User, *, now: datetime) -> DistrictOverview:
    """Count the district's scheduled sittings of the next 30 days by kind and by agency: a
    single meeting once, a council series once per sitting in the period."""
    own = session.get(Agency, user.agency_id)
    assert own is not None
    until = now + timedelta(days=OVERVIEW_DAYS)
    coming = (
        (col(Meeting.district_id) == own.district_id)
        & (col(Meeting.status) == MeetingStatus.SCHEDULED)
        & col(Meeting.rrule).is_(None)
        & (col(Meeting.starts_at) >= now)
        & (col(Meeting.starts_at) < until)
    )
    by_kind = {kind.value: 0 for kind in MeetingKind}
    this_week = 0
    week_end = now + timedelta(days=7)
    for kind, count, in_week in session.execute(
        select(
            col(Meeting.kind),
            func.count(),
            func.count().filter(col(Meeting.starts_at) < week_end),
        )
        .where(coming)
        .group_by(col(Meeting.kind))
    ):
        by_kind[kind] = count
        this_week += in_week
    per_agency: dict[int, int] = dict(
        session.execute(
            select(col(MeetingAgency.agency_id), func.count())
            .join(Meeting, col(Meeting.id) == col(MeetingAgency.meeting_id))
            .where(coming)
            .group_by(col(MeetingAgency.agency_id))
        ).all()
    )
    for series, starts in _series_sittings(session, own.district_id, now=now, until=until):
        by_kind[series.kind] = by_kind.get(series.kind, 0) + len(starts)
        this_week += sum(1 for start in starts if start < week_end)
        for agency_id in session.scalars(
            select(col(MeetingAgency.agency_id)).where(col(MeetingAgency.meeting_id) == series.id)
        ):
            per_agency[agency_id] = per_agency.get(agency_id, 0) + len(starts)
    agencies = session.scalars(
        select(Agency).where(col(Agency.district_id) == own.district_id).order_by(col(Agency.id))
    )
    loads = sorted(
        (AgencyLoad(agency, per_agency.get(agency.id or 0, 0)) for agency in agencies),
        key=lambda load: (-load.meetings, load.agency.id or 0),
    )
    return DistrictOverview(
        days=OVERVIEW_DAYS, meetings_by_kind=by_kind, this_week=this_week, by_agency=loads
    )


def _series_sittings(
    session: Session, district_id: int, *, now: datetime, until: datetime
) -> list[tuple[Meeting, list[datetime]]]:
    """Return the district's scheduled series with a sitting starting in [now, until), each
    with those sittings' starts. Only series whose next sitting falls before *until* are read
    (an indexed column), so the rule of a series that sits later is never expanded."""
    zone = district_zone(session, district_id)
    found = []
    for series in session.scalars(
        select(Meeting)
        .where(col(Meeting.district_id) == district_id)
        .where(col(Meeting.status) == MeetingStatus.SCHEDULED)
        .where(col(Meeting.rrule).is_not(None))
        .where(col(Meeting.next_sitting_at) < until)
    ):
        overrides = session.scalars(
            select(Sitting).where(col(Sitting.meeting_id) == series.id)
        ).all()
        starts = [
            s.starts_at
            for s in sitting_times(series, overrides, zone, after=now, before=until)
            if s.starts_at >= now
        ]
        if starts:
            found.append((series, starts))
    return found


def meeting_page(
    session: Session,
    user: User,
    *,
    now: datetime,
    page: int = 1,
    past: bool = False,
    kinds: Iterable[str] = (),
    per_page: int = PER_PAGE,
) -> MeetingPage:
    """Return one page of the meetings *user* may see: coming ones soonest first (a series
    by its next sitting), or past ones latest first; cancelled ones included (they are
    marked)."""
    page = max(1, page)
    query = visible_meetings(session, user)
    if past:
        query = (
            query.where(col(Meeting.starts_at) < now)
            .where(col(Meeting.ends_at) < now)
            .order_by(col(Meeting.starts_at).desc(), col(Meeting.id).desc())
        )
    else:
        query = coming_meetings(query, now=now)
    kinds = [k for k in kinds if k in {kind.value for kind in MeetingKind}]
    if kinds:
        query = query.where(col(Meeting.kind).in_(kinds))
    rows = session.scalars(query.offset((page - 1) * per_page).limit(per_page + 1)).all()
    return MeetingPage(meetings=rows[:per_page], page=page, has_next=len(rows) > per_page)
