"""When a meeting actually sits: a single meeting once, a series by its rule and overrides."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlmodel import Session, col

from calendars.recurrence import occurrences
from models.meetings.tables import Meeting, Sitting
from models.people.tables import District

__all__ = [
    "SittingTime",
    "district_zone",
    "find_sitting",
    "next_sitting",
    "parse_sitting_key",
    "rule_has_sitting",
    "sitting_key",
    "sitting_override",
    "sitting_times",
]

#: How far ahead the next sitting of a series is looked for (councils meet at least yearly).
_NEXT_HORIZON = timedelta(days=400)


@dataclass(frozen=True)
class SittingTime:
    """One sitting: where the rule put it (``original_start``) and where it is."""

    original_start: datetime
    starts_at: datetime
    ends_at: datetime
    cancelled: bool = False
    moved: bool = False


def sitting_times(
    meeting: Meeting,
    overrides: Sequence[Sitting],
    zone: ZoneInfo,
    *,
    after: datetime,
    before: datetime,
    include_cancelled: bool = False,
) -> list[SittingTime]:
    """Return the sittings of *meeting* that end after *after* and start before *before*,
    by start. A single meeting has one sitting; a series has its rule's sittings, each moved
    or cancelled by its override (a moved sitting counts where it now is)."""
    length = meeting.ends_at - meeting.starts_at
    if not meeting.rrule:
        if meeting.starts_at < before and meeting.ends_at > after:
            return [SittingTime(meeting.starts_at, meeting.starts_at, meeting.ends_at)]
        return []
    by_original = {o.original_start: o for o in overrides}
    found = []
    first = meeting.starts_at.astimezone(zone)
    # A moved sitting may have come from outside the window: look a month either side.
    for local in occurrences(meeting.rrule, first, after=after - length, before=before):
        start = local.astimezone(meeting.starts_at.tzinfo)
        override = by_original.pop(start, None)
        if override is None:
            if start + length > after:
                found.append(SittingTime(start, start, start + length))
            continue
        if override.cancelled and not include_cancelled:
            continue
        found.append(
            SittingTime(
                start,
                override.starts_at,
                override.ends_at,
                cancelled=override.cancelled,
                moved=not override.cancelled,
            )
        )
    for override in by_original.values():  # moved into the window from outside it
        if not override.cancelled and override.starts_at < before and override.ends_at > after:
            found.append(
                SittingTime(
                    override.original_start, override.starts_at, override.ends_at, moved=True
                )
            )
    found = [s for s in found if (s.starts_at < before and s.ends_at > after) or s.cancelled]
    return sorted(found, key=lambda s: (s.starts_at, s.original_start))


def next_sitting(
    session: Session, meeting: Meeting, zone: ZoneInfo, *, now: datetime
) -> SittingTime | None:
    """Return the sitting of *meeting* that is on now or comes next (None: all are over)."""
    if not meeting.rrule:
        if meeting.ends_at < now:
            return None
        return SittingTime(meeting.starts_at, meeting.starts_at, meeting.ends_at)
    overrides = session.scalars(select(Sitting).where(col(Sitting.meeting_id) == meeting.id)).all()
    found = sitting_times(meeting, overrides, zone, after=now, before=now + _NEXT_HORIZON)
    return found[0] if found else None


def find_sitting(
    session: Session, meeting: Meeting, zone: ZoneInfo, original_start: datetime
) -> SittingTime | None:
    """Return the sitting of the series *meeting* that its rule puts at *original_start*
    (moved or cancelled as its override says), or None when the rule has no sitting then."""
    if not rule_has_sitting(meeting, zone, original_start):
        return None
    override = sitting_override(session, meeting, original_start)
    if override is None:
        length = meeting.ends_at - meeting.starts_at
        return SittingTime(original_start, original_start, original_start + length)
    return SittingTime(
        original_start,
        override.starts_at,
        override.ends_at,
        cancelled=override.cancelled,
        moved=not override.cancelled,
    )


def rule_has_sitting(meeting: Meeting, zone: ZoneInfo, original_start: datetime) -> bool:
    """Tell whether the rule of the series *meeting* puts a sitting at *original_start*."""
    if not meeting.rrule:
        return False
    first = meeting.starts_at.astimezone(zone)
    local = original_start.astimezone(zone)
    window = occurrences(meeting.rrule, first, after=local, before=local + timedelta(seconds=1))
    return next(window, None) is not None


def sitting_override(
    session: Session, meeting: Meeting, original_start: datetime
) -> Sitting | None:
    """Return the row that moved or cancelled the sitting at *original_start*, if any."""
    return session.scalars(
        select(Sitting)
        .where(col(Sitting.meeting_id) == meeting.id)
        .where(col(Sitting.original_start) == original_start)
    ).first()


def sitting_key(original_start: datetime) -> str:
    """Return how a URL names a sitting: its original start in UTC, as iCalendar writes it."""
    return original_start.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def parse_sitting_key(key: str | None) -> datetime | None:
    """Return the original start a :func:`sitting_key` names, or None when it names none."""
    try:
        return datetime.strptime(key or "", "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None


def district_zone(session: Session, district_id: int) -> ZoneInfo:
    """Return the time zone a district's series are expanded in."""
    district = session.get(District, district_id)
    return ZoneInfo(district.timezone if district is not None else "Asia/Almaty")
