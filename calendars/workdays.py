"""Count statutory deadlines on the Kazakhstan working-day calendar.

Pure arithmetic on plain data: the public holidays, observed days and decree transfers that the
`holidays` package knows for Kazakhstan (``holidays.KZ``), plus the district's own decree
overrides handed in as sets of dates. No database, no I/O, no clock.

Counting follows the Civil Code: a period in days runs from the day *after* the event
(art. 171) and ends at the close of its last day; when the last day is not a working day the
period ends on the next working day (art. 173). "Immediately" is a short wall-clock interval.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

__all__ = [
    "DECREE_DAY_OFF",
    "DECREE_WORKING_DAY",
    "TRANSFERRED_WORKING_DAY",
    "Period",
    "PeriodKind",
    "WorkCalendar",
]

#: Labels of days that the holidays package names only implicitly or that come from overrides.
TRANSFERRED_WORKING_DAY = "Working day (transferred)"
DECREE_DAY_OFF = "Day off (decree)"
DECREE_WORKING_DAY = "Working day (decree)"

_ONE_DAY = timedelta(days=1)


class PeriodKind(StrEnum):
    """How a statutory period is measured."""

    WORKING_DAYS = "working_days"
    CALENDAR_DAYS = "calendar_days"
    IMMEDIATELY = "immediately"


@dataclass(frozen=True)
class Period:
    """A statutory period: N working days, N calendar days, or immediately."""

    kind: PeriodKind
    days: int = 0  # ignored for IMMEDIATELY


@dataclass(frozen=True)
class _KazakhYear:
    days_off: dict[date, str]
    working_weekends: frozenset[date]


@lru_cache(maxsize=64)
def _kazakh_year(year: int, language: str | None = None) -> _KazakhYear:
    """Return the public days off and the transferred working days of one year."""
    calendar = holidays.KZ(years=year, language=language)
    days_off = {day: name for day, name in calendar.items() if day.year == year}
    # weekend_workdays accumulates transfers of other years too; keep this year's only.
    working = frozenset(day for day in calendar.weekend_workdays if day.year == year)
    return _KazakhYear(days_off=days_off, working_weekends=working)


def _require_aware(moment: datetime, what: str) -> None:
    if moment.tzinfo is None or moment.tzinfo.utcoffset(moment) is None:
        raise ValueError(f"{what} must be a timezone-aware datetime")


@dataclass(frozen=True)
class WorkCalendar:
    """The working-day calendar of one district.

    Overrides win over the national calendar: a date in ``working_days`` is a working day even
    on a Sunday or a public holiday, a date in ``days_off`` is a day off even on a Monday.
    """

    zone: ZoneInfo
    days_off: frozenset[date] = frozenset()
    working_days: frozenset[date] = frozenset()
    day_starts: time = time(9, 0)
    day_ends: time = time(18, 0)
    immediately: timedelta = timedelta(hours=1)

    def __post_init__(self) -> None:
        both = self.days_off & self.working_days
        if both:
            raise ValueError(f"a date cannot be both a day off and a working day: {min(both)}")
        if self.day_starts >= self.day_ends:
            raise ValueError("the working day must start before it ends")
        if self.immediately < timedelta(0):
            raise ValueError("the interval for 'immediately' cannot be negative")

    def is_working_day(self, day: date) -> bool:
        """Return whether ``day`` is a working day in this district."""
        if day in self.working_days:
            return True
        if day in self.days_off:
            return False
        national = _kazakh_year(day.year)
        if day in national.working_weekends:
            return True
        if day in national.days_off:
            return False
        return day.weekday() < 5

    def due(self, received_at: datetime, period: Period) -> datetime:
        """Return the due moment (aware, UTC) of ``period`` for a report received then.

        Raises:
            ValueError: ``received_at`` is naive, or a day count is below 1.
        """
        _require_aware(received_at, "received_at")
        if period.kind is PeriodKind.IMMEDIATELY:
            return received_at.astimezone(UTC) + self.immediately
        if period.days < 1:
            raise ValueError("a period in days must be at least 1 day")
        received_on = self.local_date(received_at)
        if period.kind is PeriodKind.WORKING_DAYS:
            last = self._nth_working_day(received_on, period.days)
        else:
            last = received_on + timedelta(days=period.days)
            while not self.is_working_day(last):
                last += _ONE_DAY
        return self._moment(last, self.day_ends)

    def add_working_days(self, moment: datetime, n: int) -> datetime:
        """Return the same local time of day ``n`` working days after (or before) ``moment``.

        ``n`` counts working days after the moment's local date; a negative ``n`` counts back
        before it; ``n == 0`` returns the moment itself. The result is aware, in UTC.
        """
        _require_aware(moment, "moment")
        if n == 0:
            return moment.astimezone(UTC)
        local = moment.astimezone(self.zone)
        day = self._nth_working_day(local.date(), n)
        return self._moment(day, local.time())

    def working_days_between(self, start: datetime, end: datetime) -> int:
        """Return the working days after ``start``'s local date up to and including ``end``'s.

        Zero when ``end`` is not after ``start``.
        """
        _require_aware(start, "start")
        _require_aware(end, "end")
        if end <= start:
            return 0
        day = self.local_date(start) + _ONE_DAY
        last = self.local_date(end)
        count = 0
        while day <= last:
            count += self.is_working_day(day)
            day += _ONE_DAY
        return count

    def next_working_moment(self, moment: datetime) -> datetime:
        """Return ``moment`` if it is inside working hours, else when working hours next begin.

        Working hours run from ``day_starts`` (included) to ``day_ends`` (excluded) on working
        days. The result is aware, in UTC.
        """
        _require_aware(moment, "moment")
        local = moment.astimezone(self.zone)
        day = local.date()
        if self.is_working_day(day):
            if self.day_starts <= local.time() < self.day_ends:
                return moment.astimezone(UTC)
            if local.time() < self.day_starts:
                return self._moment(day, self.day_starts)
        return self._moment(self._nth_working_day(day, 1), self.day_starts)

    def holidays_in(self, year: int, language: str = "en_US") -> list[tuple[date, str]]:
        """Return the year's days that break the Monday-to-Friday rhythm, in date order.

        That is every day off that falls on a weekday and every Saturday or Sunday made a
        working day, each with a label: the holiday's name from the national calendar
        (in ``language``, one of ``holidays.KZ.supported_languages``), or a label saying it
        is a transferred working day or a decree override.
        """
        national = _kazakh_year(year, language)
        listed: list[tuple[date, str]] = []
        day = date(year, 1, 1)
        while day.year == year:
            weekday = day.weekday() < 5
            working = self.is_working_day(day)
            if weekday and not working:
                label = DECREE_DAY_OFF if day in self.days_off else national.days_off[day]
                listed.append((day, label))
            elif not weekday and working:
                label = DECREE_WORKING_DAY if day in self.working_days else TRANSFERRED_WORKING_DAY
                listed.append((day, label))
            day += _ONE_DAY
        return listed

    def local_date(self, moment: datetime) -> date:
        """Return the district's local date of an aware ``moment``."""
        _require_aware(moment, "moment")
        return moment.astimezone(self.zone).date()

    def _nth_working_day(self, start: date, n: int) -> date:
        """Return the ``n``-th working day after ``start`` (before it when ``n`` is negative)."""
        step = _ONE_DAY if n > 0 else -_ONE_DAY
        day = start
        remaining = abs(n)
        while remaining:
            day += step
            if self.is_working_day(day):
                remaining -= 1
        return day

    def _moment(self, day: date, at: time) -> datetime:
        return datetime.combine(day, at, tzinfo=self.zone).astimezone(UTC)
