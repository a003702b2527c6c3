"""Council series: rules in local time, moved and cancelled sittings, as calendar apps read them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import recurring_ical_events
from icalendar import Calendar

from calendars.ical import Address, CalendarEvent, build_feed, build_invitation
from calendars.recurrence import (
    RecurrenceError,
    end_rule_before,
    monthly_rule_like,
    normalize_rule,
    occurrences,
)
from models.meetings.notices import describe_rule

ALMATY = ZoneInfo("Asia/Almaty")
FIRST = datetime(2026, 11, 26, 15, 0, tzinfo=ALMATY)  # the last Thursday of November
LAST_THURSDAY = "FREQ=MONTHLY;BYDAY=-1TH"


def series(**over: object) -> CalendarEvent:
    values: dict[str, object] = {
        "uid": "meeting-1@birge.test",
        "summary": "Совет профилактики школы № 1",
        "starts_at": FIRST,
        "ends_at": FIRST + timedelta(hours=1),
        "last_modified": datetime(2026, 11, 24, 6, 0, tzinfo=UTC),
        "sequence": 2,
        "rrule": LAST_THURSDAY,
        "organizer": Address("birge@birge.test", "Школа № 1"),
        "attendees": (Address("pedagogue@school.test", "Pedagogue"),),
    }
    values.update(over)
    return CalendarEvent(**values)  # type: ignore[arg-type]


def test_the_last_thursday_of_the_month_is_suggested_and_kept_at_15_00() -> None:
    assert monthly_rule_like(FIRST) == LAST_THURSDAY
    assert monthly_rule_like(datetime(2026, 11, 12, 15, tzinfo=ALMATY)) == "FREQ=MONTHLY;BYDAY=2TH"
    starts = list(
        occurrences(LAST_THURSDAY, FIRST, after=FIRST, before=datetime(2027, 3, 1, tzinfo=ALMATY))
    )
    assert [s.date() for s in starts] == [
        date(2026, 11, 26),
        date(2026, 12, 31),
        date(2027, 1, 28),
        date(2027, 2, 25),
    ]
    assert {s.hour for s in starts} == {15}


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("FREQ=MONTHLY;BYMONTH=2;BYMONTHDAY=30", "No sitting ever takes place"),
        ("FREQ=DAILY", "weekly, monthly or yearly"),
        ("FREQ=MONTHLY;BYDAY=1MO", "does not follow the rule"),
        ("FREQ=MONTHLY;BYDAY=-1XX", "not written correctly"),
        ("nonsense", "not written correctly"),
        ("", "not written correctly"),
        ("FREQ=MONTHLY;INTERVAL=0", "not written correctly"),
    ],
)
def test_rules_that_cannot_be_used_are_refused_with_a_reason(rule: str, message: str) -> None:
    with pytest.raises(RecurrenceError, match=message):
        normalize_rule(rule, FIRST)


def test_a_rule_is_normalized() -> None:
    assert normalize_rule("rrule:byday=-1th;freq=monthly", FIRST) == LAST_THURSDAY


def test_ending_a_series_keeps_the_sittings_before_the_date() -> None:
    ended = end_rule_before(LAST_THURSDAY, FIRST, date(2027, 1, 28), ALMATY)
    assert ended == "FREQ=MONTHLY;BYDAY=-1TH;UNTIL=20270127T185959Z"
    starts = list(occurrences(ended, FIRST, after=FIRST, before=datetime(2028, 1, 1, tzinfo=UTC)))
    assert [s.date() for s in starts] == [date(2026, 11, 26), date(2026, 12, 31)]
    with pytest.raises(RecurrenceError):
        end_rule_before(LAST_THURSDAY, FIRST, date(2026, 11, 1), ALMATY)


def test_a_series_invitation_carries_its_rrule_exdate_and_moved_sitting() -> None:
    cancelled = datetime(2026, 12, 31, 15, 0, tzinfo=ALMATY)
    moved_from = datetime(2027, 1, 28, 15, 0, tzinfo=ALMATY)
    moved_to = datetime(2027, 1, 29, 11, 0, tzinfo=ALMATY)
    ics = build_invitation(
        [
            series(exdates=(cancelled,)),
            series(
                rrule=None,
                recurrence_id=moved_from,
                starts_at=moved_to,
                ends_at=moved_to + timedelta(hours=1),
            ),
        ],
        timezone="Asia/Almaty",
    )
    calendar = Calendar.from_ical(ics)
    assert calendar["METHOD"] == "REQUEST"
    master, override = calendar.walk("VEVENT")
    assert master["RRULE"].to_ical() == b"FREQ=MONTHLY;BYDAY=-1TH"
    assert master["DTSTART"].params["TZID"] == "Asia/Almaty"
    assert override["RECURRENCE-ID"].params["TZID"] == "Asia/Almaty"
    assert override.decoded("RECURRENCE-ID") == moved_from
    assert b"RECURRENCE-ID;TZID=Asia/Almaty:20270128T150000" in ics
    assert b"EXDATE;TZID=Asia/Almaty:20261231T150000" in ics
    starts = [
        e.decoded("DTSTART")
        for e in recurring_ical_events.of(calendar).between(
            datetime(2026, 11, 1, tzinfo=ALMATY), datetime(2027, 3, 1, tzinfo=ALMATY)
        )
    ]
    assert sorted(s.astimezone(ALMATY) for s in starts) == [
        FIRST,
        moved_to,
        datetime(2027, 2, 25, 15, 0, tzinfo=ALMATY),
    ]


def test_a_cancelled_sitting_is_a_cancel_with_its_recurrence_id() -> None:
    original = datetime(2026, 12, 31, 15, 0, tzinfo=ALMATY)
    ics = build_invitation(
        series(
            rrule=None,
            recurrence_id=original,
            starts_at=original,
            ends_at=original + timedelta(hours=1),
            cancelled=True,
            sequence=3,
        ),
        timezone="Asia/Almaty",
        method="CANCEL",
    )
    calendar = Calendar.from_ical(ics)
    (event,) = calendar.walk("VEVENT")
    assert calendar["METHOD"] == "CANCEL" and event["STATUS"] == "CANCELLED"
    assert event["SEQUENCE"] == 3 and "RRULE" not in event
    assert event.decoded("RECURRENCE-ID") == original


def test_one_message_carries_one_uid() -> None:
    with pytest.raises(ValueError, match="one UID"):
        build_invitation([series(), series(uid="other@birge.test")], timezone="Asia/Almaty")


def test_a_feed_expands_a_series_in_calendar_apps() -> None:
    feed = build_feed(name="Школа", events=[series()], timezone="Asia/Almaty", uid="feed-1")
    calendar = Calendar.from_ical(feed)
    sittings = recurring_ical_events.of(calendar).between(
        datetime(2026, 11, 1, tzinfo=ALMATY), datetime(2027, 11, 1, tzinfo=ALMATY)
    )
    assert len(sittings) == 12


def test_a_series_is_described_in_words_with_its_end() -> None:
    ended = end_rule_before(LAST_THURSDAY, FIRST, date(2027, 1, 28), ALMATY)
    assert describe_rule(ended, FIRST, ALMATY, "en") == (
        "every month: Thursday of the last week, at 15:00, until 27 January 2027"
    )
    assert describe_rule("FREQ=MONTHLY;BYDAY=2TH", FIRST, ALMATY, "ru").startswith("ежемесячно")
    assert describe_rule("FREQ=YEARLY;BYMONTH=11", FIRST, ALMATY, "kk") == "FREQ=YEARLY;BYMONTH=11"
