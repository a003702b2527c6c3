"""What the home page, the meeting list and the calendar view show a user.

Every query here is bounded (a time range, a page, a limit) and goes through
:func:`models.access.visible_meetings`, so no page loads all meetings and nobody sees a
meeting their agency has no part in. Task panels (cases and deadlines) join the
:class:`Dashboard` beside the meeting panels.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlmodel import Session, col

from models.access import oversees_district, upcoming_meetings, visible_meetings
from models.awaited import responses_awaited
from models.meetings import Meeting, MeetingAgency, MeetingKind, MeetingStatus
from models.people import Agency, User
from models.task_panels import AgencyTasks, DistrictTasks, agency_tasks, district_tasks

__all__ = [
    "MAX_CALENDAR_RANGE",
    "CalendarEntry",
    "Dashboard",
    "DistrictOverview",
    "MeetingPage",
    "OverviewCache",
    "calendar_meetings",
    "dashboard_for",
    "meeting_page",
]

PER_PAGE = 20
#: The calendar view asks for one month or week at a time; more than this is refused.
MAX_CALENDAR_RANGE = timedelta(days=100)
MAX_CALENDAR_EVENTS = 2000
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
    """The panels of one user's home page."""

    next_meetings: Sequence[Meeting]
    tasks: AgencyTasks | None = None
    overview: DistrictOverview | None = None
    district_tasks: DistrictTasks | None = None
    # Panels other parts add (responses awaited, ...) go here.
    extra: dict[str, object] = field(default_factory=dict)


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
    """Keep each district's overview for *max_age*: the counts of a month ahead barely move
    within a minute, and computing them for every visit of the chair's home page would cost
    a join over all the district's coming meetings. One per web process; thread-safe enough
    (a race computes the overview twice)."""

    def __init__(self, max_age: timedelta = timedelta(seconds=60)) -> None:
        self.max_age = max_age
        self._kept: dict[int, tuple[datetime, DistrictOverview, DistrictTasks]] = {}

    def get(self, session: Session, user: User, *, now: datetime) -> DistrictOverview:
        return self.both(session, user, now=now)[0]

    def both(
        self, session: Session, user: User, *, now: datetime
    ) -> tuple[DistrictOverview, DistrictTasks]:
        """Return the district's meeting overview and task record, computed at most once a
        *max_age*."""
        own = session.get(Agency, user.agency_id)
        assert own is not None
        kept = self._kept.get(own.district_id)
        if kept is not None and timedelta(0) <= now - kept[0] < self.max_age:
            return kept[1], kept[2]
        overview = district_overview(session, user, now=now)
        tasks = district_tasks(session, user, now=now)
        self._kept[own.district_id] = (now, overview, tasks)
        return overview, tasks


def dashboard_for(
    session: Session,
    user: User,
    *,
    now: datetime,
    limit: int = 8,
    cache: OverviewCache | None = None,
) -> Dashboard:
    """Build *user*'s home page: their next meetings, the answers awaited from and by them
    (``extra["responses"]``) and, for those who oversee the district, the district's overview
    (from *cache* when given)."""
    overview = record = None
    if oversees_district(session, user):
        cache = cache or OverviewCache(max_age=timedelta(0))
        overview, record = cache.both(session, user, now=now)
    return Dashboard(
        next_meetings=upcoming_meetings(session, user, now=now, limit=limit),
        tasks=agency_tasks(session, user, now=now),
        overview=overview,
        district_tasks=record,
        extra={"responses": responses_awaited(session, user, now=now)},
    )


def district_overview(session: Session, user: User, *, now: datetime) -> DistrictOverview:
    """Count the district's scheduled meetings of the next 30 days by kind and by agency."""
    own = session.get(Agency, user.agency_id)
    assert own is not None
    until = now + timedelta(days=OVERVIEW_DAYS)
    coming = (
        (col(Meeting.district_id) == own.district_id)
        & (col(Meeting.status) == MeetingStatus.SCHEDULED)
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
    per_agency = dict(
        session.execute(
            select(col(MeetingAgency.agency_id), func.count())
            .join(Meeting, col(Meeting.id) == col(MeetingAgency.meeting_id))
            .where(coming)
            .group_by(col(MeetingAgency.agency_id))
        ).all()
    )
    agencies = session.scalars(
        select(Agency).where(col(Agency.district_id) == own.district_id).order_by(col(Agency.id))
    )
    loads = sorted(
        (AgencyLoad(agency, per_agency.get(agency.id, 0)) for agency in agencies),
        key=lambda load: (-load.meetings, load.agency.id or 0),
    )
    return DistrictOverview(
        days=OVERVIEW_DAYS, meetings_by_kind=by_kind, this_week=this_week, by_agency=loads
    )


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
    """Return one page of the meetings *user* may see: coming ones soonest first, or past
    ones latest first; cancelled ones included (they are marked)."""
    page = max(1, page)
    query = visible_meetings(session, user)
    if past:
        query = (
            query.where(col(Meeting.starts_at) < now)
            .where(col(Meeting.ends_at) < now)
            .order_by(col(Meeting.starts_at).desc(), col(Meeting.id).desc())
        )
    else:
        query = (
            query.where(col(Meeting.starts_at) >= now - timedelta(hours=12))
            .where(col(Meeting.ends_at) >= now)
            .order_by(col(Meeting.starts_at), col(Meeting.id))
        )
    kinds = [k for k in kinds if k in {kind.value for kind in MeetingKind}]
    if kinds:
        query = query.where(col(Meeting.kind).in_(kinds))
    rows = session.scalars(query.offset((page - 1) * per_page).limit(per_page + 1)).all()
    return MeetingPage(meetings=rows[:per_page], page=page, has_next=len(rows) > per_page)


@dataclass(frozen=True)
class CalendarEntry:
    """What the calendar view shows of a meeting: no more columns than that are read."""

    id: int
    kind: str
    title: str
    starts_at: datetime
    ends_at: datetime
    location: str
    status: str


def calendar_meetings(
    session: Session,
    user: User,
    *,
    start: datetime,
    end: datetime,
    kinds: Iterable[str] = (),
    agency_id: int | None = None,
) -> list[CalendarEntry]:
    """Return the meetings *user* may see that overlap [start, end), at most 2000.

    Raises:
      ValueError: the range is empty or longer than :data:`MAX_CALENDAR_RANGE`.
    """
    if end <= start or end - start > MAX_CALENDAR_RANGE:
        raise ValueError("the calendar range must be positive and at most 100 days")
    query = (
        visible_meetings(session, user)
        # Meetings last at most 12 hours: bounding the start keeps the index range tight.
        .where(col(Meeting.starts_at) < end)
        .where(col(Meeting.starts_at) >= start - timedelta(hours=12))
        .where(col(Meeting.ends_at) > start)
    )
    kinds = [k for k in kinds if k in {kind.value for kind in MeetingKind}]
    if kinds:
        query = query.where(col(Meeting.kind).in_(kinds))
    if agency_id is not None:
        taking_part = select(col(MeetingAgency.meeting_id)).where(
            col(MeetingAgency.agency_id) == agency_id
        )
        query = query.where(col(Meeting.id).in_(taking_part))
    query = query.order_by(col(Meeting.starts_at), col(Meeting.id)).limit(MAX_CALENDAR_EVENTS)
    columns = query.with_only_columns(
        col(Meeting.id),
        col(Meeting.kind),
        col(Meeting.title),
        col(Meeting.starts_at),
        col(Meeting.ends_at),
        col(Meeting.location),
        col(Meeting.status),
        maintain_column_froms=True,
    )
    return [CalendarEntry(*row) for row in session.execute(columns)]
