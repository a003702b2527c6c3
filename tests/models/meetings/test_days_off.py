"""A meeting or a sitting on a day off is scheduled, with a warning that names the day."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from models.core.settings import Settings
from models.meetings.changes import reschedule_meeting
from models.meetings.conflicts import SchedulingWarning
from models.meetings.scheduling import ScheduledMeeting
from models.meetings.series import move_sitting
from models.workdays.holiday_names import describe_day_off
from tests import factories
from tests.factories import District

ALMATY = ZoneInfo("Asia/Almaty")
#: Before every date below: the operations take it as their clock.
NOW = datetime(2026, 1, 10, 4, 0, tzinfo=UTC)


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=ALMATY).astimezone(UTC)


def schedule(
    session: Session, settings: Settings, district: District, day: date, **over: object
) -> ScheduledMeeting:
    values: dict[str, object] = {
        "starts_at": at(day),
        "ends_at": at(day, 11),
        "now": NOW,
    }
    values.update(over)
    scheduled = factories.schedule(session, settings, district, **values)
    session.commit()
    return scheduled


def days_off(warnings: tuple[SchedulingWarning, ...] | list[SchedulingWarning]) -> list[date]:
    return [day for w in warnings for day, _label in w.days_off]


def test_a_meeting_on_independence_day_is_scheduled_with_a_warning_naming_it(
    session: Session, settings: Settings, district: District
) -> None:
    scheduled = schedule(session, settings, district, date(2026, 12, 16))
    assert scheduled.meeting.id is not None  # warned, not refused
    (warning,) = [w for w in scheduled.warnings if w.days_off]
    assert warning.days_off == ((date(2026, 12, 16), "Independence Day"),)
    assert describe_day_off(date(2026, 12, 16), "Independence Day", "ru") == (
        "16 декабря 2026\u202fг. (День независимости)"
    )
    assert describe_day_off(date(2026, 12, 16), "Independence Day", "kk") == (
        "2026\u202fж. 16 желтоқсан (Тәуелсіздік күні)"
    )


def test_a_meeting_on_a_working_day_brings_no_day_off_warning(
    session: Session, settings: Settings, district: District
) -> None:
    scheduled = schedule(session, settings, district, date(2026, 12, 15))  # a Tuesday
    assert days_off(scheduled.warnings) == []


def test_a_saturday_is_named_by_its_weekday(
    session: Session, settings: Settings, district: District
) -> None:
    scheduled = schedule(session, settings, district, date(2026, 2, 14))
    assert scheduled.warnings[0].days_off == ((date(2026, 2, 14), ""),)
    assert describe_day_off(date(2026, 2, 14), "", "ru") == "14 февраля 2026\u202fг. (суббота)"


def test_a_monthly_council_lists_its_sittings_on_days_off(
    session: Session, settings: Settings, district: District
) -> None:
    # The fourth Monday from 23 February 2026: 23 March is Nauryz.
    scheduled = schedule(
        session,
        settings,
        district,
        date(2026, 2, 23),
        organizer=district.pedagogue,
        kind="prevention_council",
        title="Совет профилактики школы № 1",
        case_code="",
        address="",
        rrule="FREQ=MONTHLY;BYDAY=4MO",
    )
    listed = dict(w for warning in scheduled.warnings for w in warning.days_off)
    assert listed[date(2026, 3, 23)] == "Nowruz Holiday"
    assert date(2026, 2, 23) not in listed and date(2026, 4, 27) not in listed
    assert describe_day_off(date(2026, 3, 23), "Nowruz Holiday", "ru") == (
        "23 марта 2026\u202fг. (Наурыз мейрамы)"
    )
    # Moving the Nauryz sitting to the Thursday after it: no day off any more.
    moved = move_sitting(
        session,
        settings,
        scheduled.meeting,
        by=district.pedagogue,
        original_start=at(date(2026, 3, 23)),
        starts_at=at(date(2026, 3, 26)),
        ends_at=at(date(2026, 3, 26), 11),
        now=NOW,
    )
    assert days_off(moved.warnings) == []
    # Moving the April sitting onto a Sunday names that Sunday alone.
    moved = move_sitting(
        session,
        settings,
        scheduled.meeting,
        by=district.pedagogue,
        original_start=at(date(2026, 4, 27)),
        starts_at=at(date(2026, 4, 26)),
        ends_at=at(date(2026, 4, 26), 11),
        now=NOW,
    )
    assert days_off(moved.warnings) == [date(2026, 4, 26)]


def test_rescheduling_onto_a_day_off_warns(
    session: Session, settings: Settings, district: District
) -> None:
    meeting = schedule(session, settings, district, date(2026, 12, 15)).meeting
    moved = reschedule_meeting(
        session,
        settings,
        meeting,
        by=district.coordinator,
        starts_at=at(date(2026, 12, 16)),
        ends_at=at(date(2026, 12, 16)) + timedelta(hours=1),
        now=NOW,
    )
    assert days_off(moved.warnings) == [date(2026, 12, 16)]
