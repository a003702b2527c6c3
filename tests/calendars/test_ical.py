from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import vobject
from icalendar import Calendar, vDuration

from calendars.ical import Address, CalendarEvent, build_feed, build_invitation, strong_etag

EVENT = CalendarEvent(
    uid="meeting-1@birge.test",
    summary="Кейс-конференция: индивидуальный план работы по случаю D-2026-0042",
    starts_at=datetime(2026, 12, 1, 5, 0, tzinfo=UTC),
    ends_at=datetime(2026, 12, 1, 6, 30, tzinfo=UTC),
    last_modified=datetime(2026, 11, 20, 9, 15, tzinfo=UTC),
    sequence=2,
    location="Білім бөлімі, мәжіліс залы",
    organizer=Address("birge@birge.test", "Отдел образования"),
    attendees=(Address("inspector@police.test", "Данияр"),),
)


def feed(*events: CalendarEvent) -> bytes:
    return build_feed(name="Birge — Полиция", events=events, timezone="Asia/Almaty", uid="f@t")


def test_feed_shows_local_time_with_its_timezone_definition() -> None:
    calendar = Calendar.from_ical(feed(EVENT))
    (event,) = calendar.walk("VEVENT")
    assert event["DTSTART"].params["TZID"] == "Asia/Almaty"
    assert event.decoded("DTSTART").hour == 10  # UTC+5 since 2024-03-01
    (tz,) = calendar.walk("VTIMEZONE")
    assert tz["TZID"] == "Asia/Almaty"
    assert any(s["TZOFFSETTO"].to_ical() in (b"+0500", "+0500") for s in tz.walk("STANDARD"))


def test_feed_asks_to_be_refreshed_hourly_in_rfc_5545_durations() -> None:
    """Issue 18, point 11: ``X-PUBLISHED-TTL:1:00:00`` is no duration; Outlook reads PT1H."""
    body = feed(EVENT)
    assert b"\r\nX-PUBLISHED-TTL:PT1H\r\n" in body
    assert b"\r\nREFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in body
    calendar = Calendar.from_ical(body)
    assert vDuration.from_ical(str(calendar["X-PUBLISHED-TTL"])) == timedelta(hours=1)
    (theirs,) = vobject.readComponents(body.decode())
    assert theirs.x_published_ttl.value == "PT1H"


def test_feed_bytes_are_stable_and_depend_only_on_content() -> None:
    assert feed(EVENT) == feed(EVENT)
    assert strong_etag(feed(EVENT)) == strong_etag(feed(EVENT))
    moved = replace(EVENT, starts_at=EVENT.starts_at.replace(hour=6), sequence=3)
    assert strong_etag(feed(moved)) != strong_etag(feed(EVENT))


def test_dtstamp_is_the_last_change_not_the_clock() -> None:
    (event,) = Calendar.from_ical(feed(EVENT)).walk("VEVENT")
    assert event.decoded("DTSTAMP") == EVENT.last_modified
    assert event["SEQUENCE"] == 2


def test_lines_are_folded_without_splitting_cyrillic_characters() -> None:
    body = feed(replace(EVENT, summary="Совет профилактики " * 8))
    for line in body.split(b"\r\n"):
        assert len(line) <= 75
        line.decode("utf-8")  # raises if a multi-byte character was cut
    (event,) = Calendar.from_ical(body).walk("VEVENT")
    assert str(event["SUMMARY"]) == "Совет профилактики " * 8


def test_cancelled_event_stays_with_status_cancelled() -> None:
    (event,) = Calendar.from_ical(feed(replace(EVENT, cancelled=True))).walk("VEVENT")
    assert event["STATUS"] == "CANCELLED"


def test_one_bad_event_does_not_spoil_the_feed() -> None:
    broken = replace(EVENT, uid="broken@t", ends_at=EVENT.starts_at)
    calendar = Calendar.from_ical(feed(EVENT, broken))
    assert [str(e["UID"]) for e in calendar.walk("VEVENT")] == [EVENT.uid]


def test_feed_lists_no_attendees() -> None:
    (event,) = Calendar.from_ical(feed(EVENT)).walk("VEVENT")
    assert "ATTENDEE" not in event


def test_invitation_is_an_itip_request_for_the_attendee() -> None:
    calendar = Calendar.from_ical(build_invitation(EVENT, timezone="Asia/Almaty"))
    assert calendar["METHOD"] == "REQUEST"
    (event,) = calendar.walk("VEVENT")
    assert str(event["ATTENDEE"]) == "mailto:inspector@police.test"
    assert str(event["ORGANIZER"]) == "mailto:birge@birge.test"
    assert event["UID"] == EVENT.uid


def test_invitation_refuses_unknown_methods() -> None:
    with pytest.raises(ValueError, match="PUBLISHED"):
        build_invitation(EVENT, timezone="Asia/Almaty", method="PUBLISHED")
