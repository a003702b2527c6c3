from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from calendars.workdays import (
    DECREE_DAY_OFF,
    DECREE_WORKING_DAY,
    TRANSFERRED_WORKING_DAY,
    Period,
    PeriodKind,
    WorkCalendar,
)

ALMATY = ZoneInfo("Asia/Almaty")
KZ = WorkCalendar(zone=ALMATY)


def local(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=ALMATY)  # type: ignore[misc]


# --- The four examples, verbatim ------------------------------------------------------


def test_one_working_day_from_friday_before_nauryz_ends_on_thursday_evening() -> None:
    due = KZ.due(local(2026, 3, 20, 15, 0), Period(PeriodKind.WORKING_DAYS, 1))
    assert due.tzinfo is UTC
    assert due.astimezone(ALMATY) == local(2026, 3, 26, 18, 0)
    assert due.astimezone(ALMATY).strftime("%a") == "Thu"


def test_seven_calendar_days_ending_on_independence_day_move_to_the_next_day() -> None:
    due = KZ.due(local(2026, 12, 9, 10, 0), Period(PeriodKind.CALENDAR_DAYS, 7))
    assert due.astimezone(ALMATY) == local(2026, 12, 17, 18, 0)


def test_two_calendar_days_ending_on_saturday_skip_victory_day_observed() -> None:
    due = KZ.due(local(2026, 5, 7, 9, 0), Period(PeriodKind.CALENDAR_DAYS, 2))
    assert due.astimezone(ALMATY) == local(2026, 5, 12, 18, 0)


def test_immediately_is_one_hour_of_wall_clock_even_on_a_saturday_night() -> None:
    due = KZ.due(local(2026, 6, 13, 23, 30), Period(PeriodKind.IMMEDIATELY))
    assert due.astimezone(ALMATY) == local(2026, 6, 14, 0, 30)
    assert due.tzinfo is UTC


# --- What the national calendar knows ---------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2025, 1, 5), True),  # Sunday worked for the 3 January bridge (decree)
        (date(2025, 1, 3), False),
        (date(2024, 5, 4), True),  # Saturday worked for 8 May 2024
        (date(2024, 5, 8), False),
        (date(2026, 3, 24), False),  # Nauryz observed
        (date(2026, 5, 11), False),  # Victory Day observed
        (date(2026, 5, 27), False),  # Kurban ait
        (date(2025, 6, 6), False),  # Kurban ait
        (date(2026, 12, 16), False),
        (date(2026, 12, 17), True),
        (date(2027, 1, 4), False),  # New Year observed
        (date(2026, 11, 24), True),
        (date(2026, 11, 28), False),
    ],
)
def test_national_calendar_days(day: date, working: bool) -> None:
    assert KZ.is_working_day(day) is working


def test_overrides_win_over_the_national_calendar() -> None:
    calendar = WorkCalendar(
        zone=ALMATY,
        days_off=frozenset({date(2026, 11, 24)}),
        working_days=frozenset({date(2026, 12, 16), date(2026, 11, 28)}),
    )
    assert not calendar.is_working_day(date(2026, 11, 24))
    assert calendar.is_working_day(date(2026, 12, 16))
    assert calendar.is_working_day(date(2026, 11, 28))


def test_a_day_cannot_be_both_off_and_working() -> None:
    with pytest.raises(ValueError, match="both"):
        WorkCalendar(
            zone=ALMATY,
            days_off=frozenset({date(2026, 1, 3)}),
            working_days=frozenset({date(2026, 1, 3)}),
        )


def test_holidays_in_lists_weekday_days_off_and_worked_weekends_with_labels() -> None:
    listed = dict(KZ.holidays_in(2025))
    assert listed[date(2025, 1, 3)].startswith("Day off")
    assert listed[date(2025, 1, 5)] == TRANSFERRED_WORKING_DAY
    assert listed[date(2025, 3, 24)] == "Nowruz Holiday (observed)"
    assert date(2025, 3, 22) not in listed  # a Saturday holiday changes nothing
    assert date(2025, 11, 24) not in listed
    assert list(listed) == sorted(listed)


def test_holidays_in_marks_overrides_and_speaks_kazakh_on_request() -> None:
    calendar = WorkCalendar(
        zone=ALMATY,
        days_off=frozenset({date(2026, 1, 5)}),
        working_days=frozenset({date(2026, 1, 10)}),
    )
    listed = dict(calendar.holidays_in(2026, language="kk"))
    assert listed[date(2026, 1, 5)] == DECREE_DAY_OFF
    assert listed[date(2026, 1, 10)] == DECREE_WORKING_DAY
    assert listed[date(2026, 3, 23)] == "Наурыз мейрамы"


# --- The other operations on hand-checked dates -----------------------------------------------


def test_add_working_days_keeps_the_local_time_and_skips_days_off() -> None:
    moment = local(2026, 3, 20, 15, 0)
    assert KZ.add_working_days(moment, 1).astimezone(ALMATY) == local(2026, 3, 26, 15, 0)
    assert KZ.add_working_days(local(2026, 3, 26, 15, 0), -1).astimezone(ALMATY) == moment
    assert KZ.add_working_days(moment, 0) == moment


def test_working_days_between_counts_after_the_start_date_up_to_the_end_date() -> None:
    due = local(2026, 3, 19, 18, 0)
    assert KZ.working_days_between(due, local(2026, 3, 26, 9, 0)) == 2  # Fri 20, Thu 26
    assert KZ.working_days_between(due, local(2026, 3, 19, 23, 0)) == 0
    assert KZ.working_days_between(local(2026, 3, 26, 9, 0), due) == 0


def test_next_working_moment_waits_for_working_hours() -> None:
    inside = local(2026, 11, 24, 10, 0)
    assert KZ.next_working_moment(inside) == inside
    assert KZ.next_working_moment(local(2026, 11, 24, 7, 0)) == local(2026, 11, 24, 9, 0)
    assert KZ.next_working_moment(local(2026, 11, 27, 18, 0)) == local(2026, 11, 30, 9, 0)
    assert KZ.next_working_moment(local(2026, 12, 15, 19, 0)) == local(2026, 12, 17, 9, 0)


def test_custom_hours_move_the_end_of_a_period() -> None:
    calendar = WorkCalendar(zone=ALMATY, day_starts=time(8, 30), day_ends=time(17, 30))
    due = calendar.due(local(2026, 11, 24, 12, 0), Period(PeriodKind.WORKING_DAYS, 1))
    assert due.astimezone(ALMATY) == local(2026, 11, 25, 17, 30)


def test_receipt_date_is_the_local_date_not_the_utc_date() -> None:
    # 20:30 UTC on Monday is already 01:30 on Tuesday in Almaty.
    received = datetime(2026, 11, 23, 20, 30, tzinfo=UTC)
    due = KZ.due(received, Period(PeriodKind.WORKING_DAYS, 1))
    assert due.astimezone(ALMATY) == local(2026, 11, 25, 18, 0)
    other_offset = received.astimezone(timezone(timedelta(hours=-3)))
    assert KZ.due(other_offset, Period(PeriodKind.WORKING_DAYS, 1)) == due


@pytest.mark.parametrize(
    "call",
    [
        lambda: KZ.due(datetime(2026, 11, 24, 10, 0), Period(PeriodKind.IMMEDIATELY)),
        lambda: KZ.due(local(2026, 11, 24, 10), Period(PeriodKind.WORKING_DAYS, 0)),
        lambda: KZ.due(local(2026, 11, 24, 10), Period(PeriodKind.CALENDAR_DAYS, -2)),
        lambda: KZ.add_working_days(datetime(2026, 11, 24, 10, 0), 1),
        lambda: WorkCalendar(zone=ALMATY, day_starts=time(18), day_ends=time(9)),
    ],
)
def test_bad_input_is_refused(call: object) -> None:
    with pytest.raises(ValueError):
        call()  # type: ignore[operator]
