"""Every WorkCalendar operation against a brute-force, day-by-day reference, 2024–2027."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
from hypothesis import given, settings
from hypothesis import strategies as st

from calendars.workdays import Period, PeriodKind, WorkCalendar

ALMATY = ZoneInfo("Asia/Almaty")
FIRST, LAST = date(2024, 1, 1), date(2027, 12, 31)
# The reference spans wider than the drawn dates so that results near the edges stay inside it.
REF_FIRST, REF_LAST = date(2023, 7, 1), date(2028, 6, 30)
NATIONAL = holidays.KZ(years=range(REF_FIRST.year, REF_LAST.year + 1))
WORKED_WEEKENDS = {d for d in NATIONAL.weekend_workdays if REF_FIRST <= d <= REF_LAST}


def at(day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, tzinfo=ALMATY).astimezone(UTC)


dates = st.dates(min_value=FIRST, max_value=LAST)
# Moments on a half-hour grid of local time, so that they often fall exactly on the edges of
# working hours (which are drawn on the same grid).
moments = st.builds(
    lambda day, slot: at(day, time(slot // 2, 30 * (slot % 2))),
    dates,
    st.integers(min_value=0, max_value=47),
)


@st.composite
def calendars(draw: st.DrawFn) -> WorkCalendar:
    chosen = draw(st.lists(dates, max_size=12, unique=True))
    split = draw(st.integers(min_value=0, max_value=len(chosen)))
    starts = 30 * draw(st.integers(min_value=12, max_value=22))
    ends = 30 * draw(st.integers(min_value=starts // 30 + 1, max_value=42))
    return WorkCalendar(
        zone=ALMATY,
        days_off=frozenset(chosen[:split]),
        working_days=frozenset(chosen[split:]),
        day_starts=time(starts // 60, starts % 60),
        day_ends=time(ends // 60, ends % 60),
        immediately=timedelta(minutes=draw(st.integers(min_value=0, max_value=24 * 60))),
    )


def reference_working(calendar: WorkCalendar, day: date) -> bool:
    if day in calendar.working_days:
        return True
    if day in calendar.days_off:
        return False
    if day in WORKED_WEEKENDS:
        return True
    return day not in NATIONAL and day.weekday() < 5


def reference_working_days(calendar: WorkCalendar) -> list[date]:
    days = (REF_FIRST + timedelta(days=i) for i in range((REF_LAST - REF_FIRST).days + 1))
    return [day for day in days if reference_working(calendar, day)]


def local_day(moment: datetime) -> date:
    return moment.astimezone(ALMATY).date()


@settings(max_examples=150, deadline=None)
@given(calendars(), dates)
def test_is_working_day_matches_the_reference(calendar: WorkCalendar, day: date) -> None:
    assert calendar.is_working_day(day) == reference_working(calendar, day)


@settings(max_examples=150, deadline=None)
@given(calendars(), moments, st.integers(min_value=1, max_value=60))
def test_working_day_periods_match_the_reference(
    calendar: WorkCalendar, received: datetime, n: int
) -> None:
    working = reference_working_days(calendar)
    nth = working[bisect_right(working, local_day(received)) + n - 1]
    assert calendar.due(received, Period(PeriodKind.WORKING_DAYS, n)) == at(nth, calendar.day_ends)


@settings(max_examples=150, deadline=None)
@given(calendars(), moments, st.integers(min_value=1, max_value=60))
def test_calendar_day_periods_match_the_reference(
    calendar: WorkCalendar, received: datetime, n: int
) -> None:
    working = reference_working_days(calendar)
    last = working[bisect_left(working, local_day(received) + timedelta(days=n))]
    due = calendar.due(received, Period(PeriodKind.CALENDAR_DAYS, n))
    assert due == at(last, calendar.day_ends)


@settings(max_examples=100, deadline=None)
@given(calendars(), moments)
def test_immediately_is_wall_clock(calendar: WorkCalendar, received: datetime) -> None:
    due = calendar.due(received, Period(PeriodKind.IMMEDIATELY, 5))
    assert due == received + calendar.immediately


@settings(max_examples=150, deadline=None)
@given(calendars(), moments, st.integers(min_value=-40, max_value=40))
def test_add_working_days_matches_the_reference(
    calendar: WorkCalendar, moment: datetime, n: int
) -> None:
    working = reference_working_days(calendar)
    day = local_day(moment)
    if n > 0:
        target = working[bisect_right(working, day) + n - 1]
    elif n < 0:
        target = working[bisect_left(working, day) + n]
    else:
        target = day
    expected = at(target, moment.astimezone(ALMATY).time())
    assert calendar.add_working_days(moment, n) == expected


@settings(max_examples=150, deadline=None)
@given(calendars(), moments, moments)
def test_working_days_between_matches_the_reference(
    calendar: WorkCalendar, start: datetime, end: datetime
) -> None:
    working = reference_working_days(calendar)
    expected = 0
    if end > start:
        expected = bisect_right(working, local_day(end)) - bisect_right(working, local_day(start))
    assert calendar.working_days_between(start, end) == expected


@settings(max_examples=150, deadline=None)
@given(calendars(), moments)
def test_next_working_moment_matches_the_reference(
    calendar: WorkCalendar, moment: datetime
) -> None:
    # The reference walks the working periods one day at a time from the moment's date.
    day = local_day(moment)
    while True:
        if reference_working(calendar, day):
            opens, closes = at(day, calendar.day_starts), at(day, calendar.day_ends)
            if opens <= moment < closes:
                expected = moment
                break
            if moment < opens:
                expected = opens
                break
        day += timedelta(days=1)
    assert calendar.next_working_moment(moment) == expected


@settings(max_examples=30, deadline=None)
@given(calendars(), st.integers(min_value=FIRST.year, max_value=LAST.year))
def test_holidays_in_lists_exactly_the_days_off_the_rhythm(
    calendar: WorkCalendar, year: int
) -> None:
    days = (date(year, 1, 1) + timedelta(days=i) for i in range(366))
    expected = [
        day
        for day in days
        if day.year == year and reference_working(calendar, day) != (day.weekday() < 5)
    ]
    listed = calendar.holidays_in(year)
    assert [day for day, _ in listed] == expected
    assert all(label for _, label in listed)
