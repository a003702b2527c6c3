"""Assemble subscription feeds from events rendered one at a time, and cache those renderings.

A feed is a header, one VTIMEZONE and its events. Rendering an event is what costs; the
bytes of one event depend only on the event, so :class:`EventCache` keeps them under a key
that changes whenever the event does (UID, SEQUENCE, last change, language), and a rebuild
after one change renders one event and concatenates the rest. :func:`assemble_feed` gives the
same bytes as :func:`calendars.ical.build_feed` for the same events.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Event, Timezone

from calendars.ical import CalendarEvent, _calendar, _event_component

__all__ = [
    "DEADLINE_LENGTH",
    "DeadlineEvent",
    "EventCache",
    "RenderedEvent",
    "assemble_feed",
    "render_deadline_event",
    "render_feed_event",
]

_END = b"END:VCALENDAR\r\n"
#: VTIMEZONE definitions start here unless an event is older (as in calendars.ical).
_TZ_HISTORY_FROM = date(2024, 1, 1)
_TZ_HISTORY_UNTIL = date(2038, 1, 1)


@dataclass(frozen=True)
class RenderedEvent:
    """One event's VEVENT bytes with what a feed needs to place it."""

    uid: str
    starts_at: datetime
    body: bytes


def render_feed_event(event: CalendarEvent, timezone: str) -> RenderedEvent:
    """Render *event* as it appears in a subscription feed (no attendees).

    Raises:
      ValueError, TypeError, AttributeError: the event cannot be rendered (e.g. it ends
        before it starts); the caller leaves it out.
    """
    component = _event_component(event, ZoneInfo(timezone), attendees=False)
    return RenderedEvent(uid=event.uid, starts_at=event.starts_at, body=component.to_ical())


#: How long a deadline's entry lasts: it ends at the due moment ("by 18:00").
DEADLINE_LENGTH = timedelta(minutes=15)


@dataclass(frozen=True)
class DeadlineEvent:
    """A deadline as calendars show it: a short free-time entry ending at its due moment."""

    uid: str
    summary: str
    due_at: datetime
    last_modified: datetime
    sequence: int = 0
    cancelled: bool = False
    url: str | None = None
    categories: tuple[str, ...] = ()


def render_deadline_event(event: DeadlineEvent, timezone: str) -> RenderedEvent:
    """Render a deadline as a VEVENT of :data:`DEADLINE_LENGTH` ending at its due moment, in
    the feed's zone, so that calendars show the hour ("by 18:00") an all-day entry would
    lose; ``TRANSP:TRANSPARENT`` so it never shows the time as busy.

    Every client shows a VEVENT (Google Calendar and Outlook ignore a feed's VTODOs).

    Raises:
      ValueError: the due moment or the last change is a naive datetime.
    """
    if event.last_modified.tzinfo is None or event.due_at.tzinfo is None:
        raise ValueError(f"event {event.uid}: naive datetime")
    zone = ZoneInfo(timezone)
    starts = (event.due_at - DEADLINE_LENGTH).astimezone(zone)
    component = Event()
    component.add("uid", event.uid)
    component.add("dtstamp", event.last_modified.astimezone(UTC))
    component.add("last-modified", event.last_modified.astimezone(UTC))
    component.add("sequence", event.sequence)
    component.add("dtstart", starts)
    component.add("dtend", event.due_at.astimezone(zone))
    component.add("summary", event.summary)
    if event.url:
        component.add("url", event.url)
    if event.categories:
        component.add("categories", list(event.categories))
    component.add("status", "CANCELLED" if event.cancelled else "CONFIRMED")
    component.add("transp", "TRANSPARENT")
    return RenderedEvent(uid=event.uid, starts_at=starts, body=component.to_ical())


def assemble_feed(
    *,
    name: str,
    uid: str,
    timezone: str,
    events: Sequence[RenderedEvent],
    refresh: timedelta = timedelta(hours=1),
) -> bytes:
    """Join rendered *events* (in start order) under a feed header and one VTIMEZONE."""
    zone = ZoneInfo(timezone)
    ordered = sorted(events, key=lambda e: (e.starts_at, e.uid))
    local_starts = [e.starts_at.astimezone(zone).date() for e in ordered]
    first = min([_TZ_HISTORY_FROM, *local_starts])
    last = max([_TZ_HISTORY_UNTIL, *(d + timedelta(days=366) for d in local_starts)])
    head = _header(name, uid, timezone, refresh, first, last)
    return b"".join([head, *(e.body for e in ordered), _END])


@lru_cache(maxsize=64)
def _header(
    name: str, uid: str, timezone: str, refresh: timedelta, first: date, last: date
) -> bytes:
    calendar = _calendar(name=name, uid=uid, method=None, refresh=refresh)
    calendar.add("X-WR-TIMEZONE", timezone)
    calendar.add_component(Timezone.from_tzid(timezone, first_date=first, last_date=last))
    body: bytes = calendar.to_ical()
    assert body.endswith(_END)
    return body[: -len(_END)]


class EventCache:
    """A thread-safe LRU of rendered events, bounded by the bytes it holds.

    Keys must change whenever the rendered bytes would: callers use the UID, the SEQUENCE,
    the last change and the language. An event shared by many feeds is rendered once.
    """

    def __init__(self, max_bytes: int = 256 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[Hashable, RenderedEvent] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: Hashable) -> RenderedEvent | None:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return found

    def put(self, key: Hashable, rendered: RenderedEvent) -> None:
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= len(old.body)
            self._items[key] = rendered
            self._bytes += len(rendered.body)
            while self._bytes > self.max_bytes and self._items:
                _key, evicted = self._items.popitem(last=False)
                self._bytes -= len(evicted.body)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._items)
