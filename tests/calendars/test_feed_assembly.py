from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
import recurring_ical_events
import vobject
from icalendar import Calendar

from calendars.feed import (
    DEADLINE_LENGTH,
    DeadlineEvent,
    EventCache,
    RenderedEvent,
    assemble_feed,
    render_deadline_event,
    render_feed_event,
)
from calendars.ical import CalendarEvent, build_feed

ZONE = "Asia/Almaty"
EVENTS = [
    CalendarEvent(
        uid=f"meeting-{n}@birge.test",
        summary=f"Совет профилактики № {n}",
        starts_at=datetime(2026, 12, 1 + n % 20, 5, 0, tzinfo=UTC),
        ends_at=datetime(2026, 12, 1 + n % 20, 6, 0, tzinfo=UTC),
        last_modified=datetime(2026, 11, 20, 9, n, tzinfo=UTC),
        sequence=n % 3,
        description="Школа № 12, D-2026-0042",
    )
    for n in range(40)
]


def assembled(events: list[CalendarEvent]) -> bytes:
    return assemble_feed(
        name="Birge — Полиция",
        uid="f@t",
        timezone=ZONE,
        events=[render_feed_event(e, ZONE) for e in events],
    )


def test_a_feed_assembled_from_cached_events_is_the_feed_built_whole() -> None:
    whole = build_feed(name="Birge — Полиция", events=EVENTS, timezone=ZONE, uid="f@t")
    assert assembled(EVENTS) == whole
    assert assembled(list(reversed(EVENTS))) == whole  # events are placed in start order
    assert assembled([]) == build_feed(name="Birge — Полиция", events=[], timezone=ZONE, uid="f@t")


def test_an_event_older_than_the_timezone_history_widens_its_definition() -> None:
    old = replace(EVENTS[0], starts_at=datetime(2023, 6, 1, 5, tzinfo=UTC))
    old = replace(old, ends_at=old.starts_at + timedelta(hours=1))
    body = assembled([old])
    assert body == build_feed(name="Birge — Полиция", events=[old], timezone=ZONE, uid="f@t")
    (event,) = Calendar.from_ical(body).walk("VEVENT")
    assert event.decoded("DTSTART").utcoffset() == timedelta(hours=6)  # before 2024-03-01


def test_an_event_that_cannot_be_rendered_says_so() -> None:
    with pytest.raises(ValueError, match="ends before it starts"):
        render_feed_event(replace(EVENTS[0], ends_at=EVENTS[0].starts_at), ZONE)


def test_the_cache_forgets_the_least_recently_used_events_beyond_its_size() -> None:
    rendered = [render_feed_event(e, ZONE) for e in EVENTS[:3]]
    cache = EventCache(max_bytes=sum(len(r.body) for r in rendered[:2]))
    cache.put("a", rendered[0])
    cache.put("b", rendered[1])
    assert cache.get("a") is rendered[0]  # "a" is now the most recently used
    cache.put("c", rendered[2])
    assert cache.get("b") is None and cache.get("a") is rendered[0]
    assert cache.get("c") is rendered[2] and len(cache) == 2
    assert (cache.hits, cache.misses) == (3, 1)


def test_a_rendered_event_is_one_vevent() -> None:
    one = render_feed_event(EVENTS[0], ZONE)
    assert isinstance(one, RenderedEvent)
    assert one.body.startswith(b"BEGIN:VEVENT\r\n") and one.body.endswith(b"END:VEVENT\r\n")


def test_a_deadline_is_a_short_free_entry_ending_at_its_moment_that_parsers_agree_on() -> None:
    """Issue 18, point 11: a deadline "by 18:00" keeps its hour (an all-day entry lost it)."""
    due = datetime(2026, 12, 2, 13, 0, tzinfo=UTC)  # 18:00 in Almaty
    deadline = DeadlineEvent(
        uid="task-7@birge.test",
        summary="Сообщить в прокуратуру — D-2026-0042",
        due_at=due,
        last_modified=datetime(2026, 11, 30, 9, 0, tzinfo=UTC),
        sequence=1,
    )
    morning = replace(
        EVENTS[1],
        starts_at=datetime(2026, 12, 2, 5, 0, tzinfo=UTC),
        ends_at=datetime(2026, 12, 2, 6, 0, tzinfo=UTC),
    )
    body = assemble_feed(
        name="Birge",
        uid="f@t",
        timezone=ZONE,
        events=[render_deadline_event(deadline, ZONE), render_feed_event(morning, ZONE)],
    )
    task, meeting = (
        e
        for e in sorted(
            Calendar.from_ical(body).walk("VEVENT"),
            key=lambda e: not str(e["UID"]).startswith("task"),
        )
    )
    assert str(meeting["UID"]) == EVENTS[1].uid
    assert task.decoded("DTEND") == due and task["DTEND"].params["TZID"] == ZONE
    assert task.decoded("DTEND").hour == 18  # local time, with the feed's VTIMEZONE
    assert task.decoded("DTSTART") == due - DEADLINE_LENGTH
    assert task["TRANSP"] == "TRANSPARENT"
    (theirs,) = [
        e for e in vobject.readOne(body.decode()).vevent_list if e.uid.value == "task-7@birge.test"
    ]
    assert theirs.dtend.value == due and theirs.dtstart.value == due - DEADLINE_LENGTH
    # recurring-ical-events, as a calendar expanding the day would, finds it at its moment.
    (found,) = [
        e
        for e in recurring_ical_events.of(Calendar.from_ical(body)).at(date(2026, 12, 2))
        if str(e["UID"]).startswith("task")
    ]
    assert found.decoded("DTEND") == due
    # The deadline at 18:00 comes after the meeting at 10:00 of the same day in the feed.
    assert body.index(EVENTS[1].uid.encode()) < body.index(b"task-7@birge.test")
