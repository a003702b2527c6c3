"""When a meeting's reminders fall: for the sittings of one meeting and its kind's offsets, which
reminders are due now and when to look again. Pure: :mod:`models.meetings.reminders` reads
the sittings, applies the plan and writes the emails."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from models.meetings.sittings import SittingTime

__all__ = ["SittingPlan", "next_reminder_at", "plan_sittings"]


def next_reminder_at(
    starts_at: datetime, offsets: Iterable[timedelta], *, after: datetime
) -> datetime | None:
    """Return the earliest reminder moment of a meeting starting at *starts_at* that lies
    after *after*, or None when no reminder is left."""
    moments = [starts_at - offset for offset in offsets if starts_at - offset > after]
    return min(moments) if moments else None


@dataclass(frozen=True)
class SittingPlan:
    """What the tick does for one meeting at one moment."""

    #: The sittings whose reminder moment has come, each with the offset to send.
    due: list[tuple[SittingTime, timedelta]]
    #: The next moment to look at the meeting again (``Meeting.reminder_due_at``).
    next_moment: datetime | None
    #: The sitting that is on now or comes next (``Meeting.next_sitting_at``).
    next_sitting: SittingTime | None


def plan_sittings(
    sittings: Sequence[SittingTime],
    offsets: Sequence[timedelta],
    *,
    since: datetime | None,
    now: datetime,
    series: bool,
) -> SittingPlan:
    """Decide, for the *sittings* of one meeting (by start), which reminders are due at *now*
    and when to look again.

    A sitting's reminder is due when one of its moments lies in [*since*, *now*]: *since* is
    the moment the tick was waiting for, so every earlier one was planned already or fell
    before the meeting was scheduled. Of several moments the latest is sent (a late tick
    sends the 1 h reminder, not the 24 h one too). A series is looked at again when its
    current sitting ends, to move on to the next.
    """
    due: list[tuple[SittingTime, timedelta]] = []
    moments: list[datetime] = []
    for sitting in sittings:
        if sitting.cancelled or sitting.starts_at <= now:
            continue
        passed = [
            o
            for o in offsets
            if sitting.starts_at - o <= now and (since is None or sitting.starts_at - o >= since)
        ]
        if passed:
            due.append((sitting, min(passed)))
        ahead = next_reminder_at(sitting.starts_at, offsets, after=now)
        if ahead is not None:
            moments.append(ahead)
    current = next((s for s in sittings if not s.cancelled and s.ends_at > now), None)
    if series and current is not None:
        moments.append(current.ends_at)
    return SittingPlan(due=due, next_moment=min(moments, default=None), next_sitting=current)
