"""A region's districts side by side, for those above the districts: counts only.

Per district and agency kind, the open and overdue statutory tasks and the on-time rate of the
last 90 days; per district, the prevention-council sittings held against those planned, the
sittings of each kind and a week-by-week trend of overdue statutory tasks. Nothing here names a
case, a person, a meeting or an agency: a regional viewer opens nothing below the district.

Each figure is one aggregate over the region's districts at once (grouped by district), over
the indexes the district pages use; a council series is expanded over the 90 days like the
chair's overview does. :class:`RegionCache` keeps a region's figures for a minute, as
``models.overview.dashboard.OverviewCache`` keeps a district's.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlmodel import Session, col

from models.meetings.sittings import sitting_times
from models.meetings.tables import Meeting, MeetingKind, MeetingStatus, Sitting
from models.minutes.tables import MeetingMinutes
from models.people.tables import Agency, AgencyKind, District, Region
from models.tasks.panels import ON_TIME_WINDOW
from models.tasks.queries import done_on_time, is_open, overdue, was_overdue_at
from models.tasks.tables import Task, TaskOrigin, TaskStatus

__all__ = [
    "DistrictFigures",
    "KindFigures",
    "RegionCache",
    "RegionFigures",
    "WeekFigures",
    "region_figures",
]

#: The window of the on-time rate, the meetings and the councils: the chair's home's.
WINDOW = ON_TIME_WINDOW
#: How many whole weeks the trend shows, the current one last.
TREND_WEEKS = 12


def _percent(part: int, whole: int) -> int | None:
    return round(100 * part / whole) if whole else None


@dataclass(frozen=True)
class KindFigures:
    """One kind of agency of one district: its statutory tasks."""

    kind: str
    open: int = 0
    overdue: int = 0
    due_in_window: int = 0
    on_time: int = 0

    @property
    def on_time_percent(self) -> int | None:
        """Share of the statutory tasks due in the window done by their deadline."""
        return _percent(self.on_time, self.due_in_window)


@dataclass(frozen=True)
class WeekFigures:
    """One week (Monday to Sunday, local) of a district's statutory tasks."""

    starts_on: date
    #: Open past their deadline at the week's end (or now, for the current week).
    overdue: int = 0
    due: int = 0
    on_time: int = 0

    @property
    def on_time_percent(self) -> int | None:
        return _percent(self.on_time, self.due)


@dataclass(frozen=True)
class DistrictFigures:
    district: District
    by_kind: list[KindFigures]
    councils_planned: int
    councils_held: int
    meetings_by_kind: dict[str, int]
    weeks: list[WeekFigures]

    @property
    def open(self) -> int:
        return sum(k.open for k in self.by_kind)

    @property
    def overdue(self) -> int:
        return sum(k.overdue for k in self.by_kind)

    @property
    def on_time_percent(self) -> int | None:
        return _percent(
            sum(k.on_time for k in self.by_kind), sum(k.due_in_window for k in self.by_kind)
        )

    @property
    def councils_held_percent(self) -> int | None:
        return _percent(self.councils_held, self.councils_planned)


@dataclass(frozen=True)
class RegionFigures:
    region: Region
    counted_at: datetime
    days: int
    districts: list[DistrictFigures] = field(default_factory=list)

    @property
    def weeks(self) -> list[WeekFigures]:
        """The region's trend: each week summed over its districts."""
        if not self.districts:
            return []
        return [
            WeekFigures(
                starts_on=week.starts_on,
                overdue=sum(d.weeks[i].overdue for d in self.districts),
                due=sum(d.weeks[i].due for d in self.districts),
                on_time=sum(d.weeks[i].on_time for d in self.districts),
            )
            for i, week in enumerate(self.districts[0].weeks)
        ]

    @property
    def overdue(self) -> int:
        return sum(d.overdue for d in self.districts)

    @property
    def open(self) -> int:
        return sum(d.open for d in self.districts)


def _week_starts(zone: ZoneInfo, now: datetime) -> list[datetime]:
    """The starts (UTC moments of local Mondays, 00:00) of the trend's weeks, oldest first."""
    today = now.astimezone(zone).date()
    monday = today - timedelta(days=today.weekday())
    return [
        datetime.combine(monday - timedelta(weeks=n), datetime.min.time(), zone)
        for n in range(TREND_WEEKS - 1, -1, -1)
    ]


def region_figures(session: Session, region: Region, *, now: datetime) -> RegionFigures:
    """Count *region*'s districts' figures at *now* (UTC), districts by Russian name."""
    districts = list(
        session.scalars(
            select(District)
            .where(col(District.region_id) == region.id)
            .order_by(col(District.name_ru), col(District.id))
        )
    )
    ids = [d.id for d in districts]
    statutory = and_(col(Task.district_id).in_(ids), col(Task.origin) == TaskOrigin.RULE.value)
    kinds: dict[tuple[int, str], dict[str, int]] = {}
    for district_id, kind, total, late in session.execute(
        select(
            col(Task.district_id), col(Agency.kind), func.count(), func.count().filter(overdue(now))
        )
        .join(Agency, col(Agency.id) == col(Task.responsible_agency_id))
        .where(statutory, is_open())
        .group_by(col(Task.district_id), col(Agency.kind))
    ):
        kinds.setdefault((district_id, kind), {}).update(open=total, overdue=late)
    for district_id, kind, due, on_time in session.execute(
        select(
            col(Task.district_id),
            col(Agency.kind),
            func.count(),
            func.count().filter(done_on_time()),
        )
        .join(Agency, col(Agency.id) == col(Task.responsible_agency_id))
        .where(statutory)
        .where(col(Task.status) != TaskStatus.CANCELLED.value)
        .where(col(Task.due_at) >= now - WINDOW, col(Task.due_at) < now)
        .group_by(col(Task.district_id), col(Agency.kind))
    ):
        kinds.setdefault((district_id, kind), {}).update(due_in_window=due, on_time=on_time)
    zone = ZoneInfo(districts[0].timezone) if districts else ZoneInfo("Asia/Almaty")
    starts = _week_starts(zone, now)
    weeks = _weeks(session, statutory, starts, now)
    planned, by_kind = _sittings(session, districts, now=now)
    held = _councils_held(session, ids, now=now)
    order = {kind.value: n for n, kind in enumerate(AgencyKind)}
    return RegionFigures(
        region=region,
        counted_at=now,
        days=WINDOW.days,
        districts=[
            DistrictFigures(
                district=d,
                by_kind=sorted(
                    (
                        KindFigures(kind=kind, **counts)
                        for (district_id, kind), counts in kinds.items()
                        if district_id == d.id
                    ),
                    key=lambda k: order.get(k.kind, len(order)),
                ),
                councils_planned=planned.get(d.id or 0, 0),
                councils_held=held.get(d.id or 0, 0),
                meetings_by_kind=by_kind.get(d.id or 0, {k.value: 0 for k in MeetingKind}),
                weeks=weeks.get(d.id or 0) or [WeekFigures(s.date()) for s in starts],
            )
            for d in districts
        ],
    )


def _weeks(
    session: Session, statutory: ColumnElement[bool], starts: list[datetime], now: datetime
) -> dict[int, list[WeekFigures]]:
    """Per district, each week's overdue statutory tasks at its end, and those due in it with
    how many were done in time: one query for all the weeks."""
    ends = [*starts[1:], now]
    first = starts[0]
    columns = []
    for start, end in zip(starts, ends, strict=True):
        due_then = and_(
            col(Task.due_at) >= start,
            col(Task.due_at) < end,
            col(Task.status) != TaskStatus.CANCELLED.value,
        )
        columns += [
            func.count().filter(was_overdue_at(end)),
            func.count().filter(due_then),
            func.count().filter(and_(due_then, done_on_time())),
        ]
    # Only the tasks that could count: due in the trend's span, or open at some point of it.
    relevant = or_(
        is_open(),
        col(Task.due_at) >= first,
        col(Task.completed_at) > first,
        col(Task.cancelled_at) > first,
    )
    found: dict[int, list[WeekFigures]] = {}
    for row in session.execute(
        select(col(Task.district_id), *columns)
        .where(statutory, relevant, col(Task.due_at) < now)
        .group_by(col(Task.district_id))
    ):
        counts = list(row[1:])
        found[row[0]] = [
            WeekFigures(
                starts_on=start.date(),
                overdue=counts[3 * n],
                due=counts[3 * n + 1],
                on_time=counts[3 * n + 2],
            )
            for n, start in enumerate(starts)
        ]
    return found


def _sittings(
    session: Session, districts: Iterable[District], *, now: datetime
) -> tuple[dict[int, int], dict[int, dict[str, int]]]:
    """Per district, the prevention-council sittings planned in the window (not cancelled,
    started by now) and the sittings of every kind: a single meeting once, a series once per
    sitting its rule and overrides place in the window."""
    since = now - WINDOW
    ids = [d.id for d in districts]
    zones = {d.id: ZoneInfo(d.timezone) for d in districts}
    by_kind: dict[int, dict[str, int]] = {
        d.id or 0: {k.value: 0 for k in MeetingKind} for d in districts
    }
    on = and_(
        col(Meeting.district_id).in_(ids), col(Meeting.status) != MeetingStatus.CANCELLED.value
    )
    for district_id, kind, count in session.execute(
        select(col(Meeting.district_id), col(Meeting.kind), func.count())
        .where(on, col(Meeting.rrule).is_(None))
        .where(col(Meeting.starts_at) >= since, col(Meeting.starts_at) < now)
        .group_by(col(Meeting.district_id), col(Meeting.kind))
    ):
        by_kind[district_id][kind] = count
    series = list(
        session.scalars(
            select(Meeting).where(on, col(Meeting.rrule).is_not(None), col(Meeting.starts_at) < now)
        )
    )
    overrides: dict[int, list[Sitting]] = {}
    if series:
        for sitting in session.scalars(
            select(Sitting).where(col(Sitting.meeting_id).in_([s.id for s in series]))
        ):
            overrides.setdefault(sitting.meeting_id, []).append(sitting)
    for meeting in series:
        held = [
            s
            for s in sitting_times(
                meeting,
                overrides.get(meeting.id or 0, []),
                zones[meeting.district_id],
                after=since,
                before=now,
            )
            if s.starts_at >= since
        ]
        by_kind[meeting.district_id][meeting.kind] += len(held)
    planned = {
        district_id: kinds[MeetingKind.PREVENTION_COUNCIL.value]
        for district_id, kinds in by_kind.items()
    }
    return planned, by_kind


def _councils_held(session: Session, ids: list[int | None], *, now: datetime) -> dict[int, int]:
    """Per district, the prevention-council sittings of the window whose minutes are recorded."""
    return dict(
        session.execute(
            select(col(Meeting.district_id), func.count())
            .select_from(MeetingMinutes)
            .join(Meeting, col(Meeting.id) == col(MeetingMinutes.meeting_id))
            .where(col(Meeting.district_id).in_(ids))
            .where(col(Meeting.kind) == MeetingKind.PREVENTION_COUNCIL.value)
            .where(col(MeetingMinutes.sitting_start) >= now - WINDOW)
            .where(col(MeetingMinutes.sitting_start) < now)
            .group_by(col(Meeting.district_id))
        ).all()
    )


class RegionCache:
    """Count a region's figures once per minute of the clock (the page says they are at most a
    minute old): a regional view at 32 clients must not count the region 32 times. One per web
    process."""

    def __init__(self) -> None:
        self._kept: dict[int, RegionFigures] = {}
        self._lock = threading.Lock()

    def get(self, session: Session, region: Region, *, now: datetime) -> RegionFigures:
        minute = now.replace(second=0, microsecond=0)
        with self._lock:
            kept = self._kept.get(region.id or 0)
            if kept is not None and kept.counted_at == minute:
                return kept
            figures = region_figures(session, region, now=minute)
            self._kept[region.id or 0] = figures
            return figures
