"""Build iCalendar feeds and invitations as bytes from plain data.

Everything here is deterministic: the same events give the same bytes, so that a feed's ETag
changes only when its content does. DTSTAMP comes from each event's last change, never from
the clock; UIDs and SEQUENCE come from the caller; every TZID used gets its VTIMEZONE.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone, vCalAddress, vDuration, vRecur

__all__ = [
    "PRODID",
    "Address",
    "CalendarEvent",
    "build_feed",
    "build_invitation",
    "strong_etag",
]

log = logging.getLogger(__name__)

PRODID = "-//Birge//Birge interagency child protection//RU"

#: VTIMEZONE definitions start here unless an event is older: short enough for Outlook,
#: and it covers Kazakhstan's switch to UTC+5 on 2024-03-01.
_TZ_HISTORY_FROM = date(2024, 1, 1)


@dataclass(frozen=True)
class Address:
    """A calendar user: an email address with a display name, and as an attendee the answer
    given so far (iCalendar's PARTSTAT)."""

    email: str
    name: str = ""
    partstat: str = "NEEDS-ACTION"

    def to_ical(self, **params: str) -> vCalAddress:
        address = vCalAddress(f"mailto:{self.email}")
        if self.name:
            address.params["CN"] = self.name
        for key, value in params.items():
            address.params[key.upper().replace("_", "-")] = value
        return address


@dataclass(frozen=True)
class CalendarEvent:
    """One event as calendar apps see it; every time is timezone-aware."""

    uid: str
    summary: str
    starts_at: datetime
    ends_at: datetime
    last_modified: datetime
    sequence: int = 0
    cancelled: bool = False
    location: str = ""
    description: str = ""
    url: str | None = None
    categories: tuple[str, ...] = ()
    organizer: Address | None = None
    attendees: tuple[Address, ...] = field(default_factory=tuple)
    #: A series: the RRULE (without DTSTART), expanded from ``starts_at`` in the zone shown.
    rrule: str | None = None
    #: Sittings of the series that do not take place (their original starts).
    exdates: tuple[datetime, ...] = ()
    #: An override of one sitting of the series with the same UID: its original start.
    recurrence_id: datetime | None = None


def strong_etag(body: bytes) -> str:
    """Return a strong ETag (quoted) for *body*."""
    return '"' + hashlib.sha256(body).hexdigest()[:40] + '"'


def build_feed(
    *,
    name: str,
    events: Iterable[CalendarEvent],
    timezone: str,
    uid: str,
    refresh: timedelta = timedelta(hours=1),
) -> bytes:
    """Build a subscription feed (no METHOD) of *events*, shown in *timezone*.

    An event that cannot be rendered is left out and logged by UID: one bad record must not
    make calendar apps drop the whole subscription.
    """
    zone = ZoneInfo(timezone)
    calendar = _calendar(name=name, uid=uid, method=None, refresh=refresh)
    calendar.add("X-WR-TIMEZONE", timezone)
    components = []
    for event in sorted(events, key=lambda e: (e.starts_at, e.uid)):
        try:
            components.append(_event_component(event, zone, attendees=False))
        except (ValueError, TypeError, AttributeError) as exc:
            log.warning("feed %s: left out event %s (%s)", uid, event.uid, type(exc).__name__)
    return _finish(calendar, components, zone)


def build_invitation(
    event: CalendarEvent | Sequence[CalendarEvent],
    *,
    timezone: str,
    method: str = "REQUEST",
    name: str = "Birge",
) -> bytes:
    """Build an iTIP message (RFC 5546) for *event*: ``REQUEST`` invites, ``CANCEL`` cancels.

    Several events of one UID make one message: a series with the overrides of its moved
    sittings (RFC 5546 3.2.2), or one sitting alone (an event with ``recurrence_id``).
    """
    if method not in ("REQUEST", "CANCEL"):
        raise ValueError(f"unsupported iTIP method {method!r}")
    events = [event] if isinstance(event, CalendarEvent) else list(event)
    if not events or len({e.uid for e in events}) != 1:
        raise ValueError("an iTIP message carries one or more events of one UID")
    zone = ZoneInfo(timezone)
    calendar = _calendar(name=name, uid=None, method=method, refresh=None)
    components = [_event_component(e, zone, attendees=True) for e in events]
    return _finish(calendar, components, zone)


def _calendar(
    *, name: str, uid: str | None, method: str | None, refresh: timedelta | None
) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    if uid:
        calendar.add("uid", uid)
    calendar.add("name", name)
    calendar.add("X-WR-CALNAME", name)
    if refresh:
        calendar.add("refresh-interval", refresh, parameters={"VALUE": "DURATION"})
        # An RFC 5545 DURATION (PT1H): icalendar writes a bare timedelta as 1:00:00.
        calendar.add("X-PUBLISHED-TTL", vDuration(refresh))
    return calendar


def _event_component(event: CalendarEvent, zone: ZoneInfo, *, attendees: bool) -> Event:
    for moment in (event.starts_at, event.ends_at, event.last_modified):
        if moment.tzinfo is None:
            raise ValueError(f"event {event.uid}: naive datetime")
    if event.ends_at <= event.starts_at:
        raise ValueError(f"event {event.uid}: ends before it starts")
    component = Event()
    component.add("uid", event.uid)
    component.add("dtstamp", event.last_modified.astimezone(UTC))
    component.add("last-modified", event.last_modified.astimezone(UTC))
    component.add("sequence", event.sequence)
    if event.recurrence_id is not None:
        if event.recurrence_id.tzinfo is None:
            raise ValueError(f"event {event.uid}: naive recurrence id")
        # The same TZID as the series' DTSTART, or calendar apps do not match the sitting.
        component.add("recurrence-id", event.recurrence_id.astimezone(zone))
    component.add("dtstart", event.starts_at.astimezone(zone))
    component.add("dtend", event.ends_at.astimezone(zone))
    if event.rrule:
        component.add("rrule", vRecur.from_ical(event.rrule))
        for exdate in sorted(event.exdates):
            component.add("exdate", exdate.astimezone(zone))
    component.add("summary", event.summary)
    if event.location:
        component.add("location", event.location)
    if event.description:
        component.add("description", event.description)
    if event.url:
        component.add("url", event.url)
    if event.categories:
        component.add("categories", list(event.categories))
    component.add("status", "CANCELLED" if event.cancelled else "CONFIRMED")
    component.add("transp", "OPAQUE")
    if event.organizer:
        component.add("organizer", event.organizer.to_ical())
    if attendees:
        for attendee in event.attendees:
            component.add(
                "attendee",
                attendee.to_ical(
                    cutype="INDIVIDUAL",
                    role="REQ-PARTICIPANT",
                    partstat=attendee.partstat,
                    rsvp="TRUE" if attendee.partstat == "NEEDS-ACTION" else "FALSE",
                ),
            )
    return component


@lru_cache(maxsize=64)
def _vtimezone(key: str, first: date, last: date) -> Timezone:
    """The zone's VTIMEZONE over the years given. Building one walks the zone's whole history
    (tens of milliseconds), and every invitation of a meeting needs the same one; the component
    is only serialized, never changed, so the calendars share it."""
    return Timezone.from_tzid(key, first_date=first, last_date=last)


def _finish(calendar: Calendar, components: Sequence[Event], zone: ZoneInfo) -> bytes:
    starts = [c.decoded("dtstart") for c in components]
    first = min([_TZ_HISTORY_FROM, *(s.date() for s in starts)])
    last = max([date(2038, 1, 1), *(s.date() + timedelta(days=366) for s in starts)])
    calendar.add_component(_vtimezone(zone.key, first, last))
    for component in components:
        calendar.add_component(component)
    return calendar.to_ical()
