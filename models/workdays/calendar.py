"""A district's working-day calendar: its decree overrides and the calendar built from them.

The national calendar (public holidays, observed days, the transfers the ``holidays`` package
knows) lives in :mod:`calendars.workdays`; a district adds the government decrees it is not
told about as overrides, one row per date.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from sqlalchemy import Date, String, UniqueConstraint, select
from sqlmodel import Field, Session, SQLModel, col

from calendars.workdays import DECREE_DAY_OFF, WorkCalendar
from models.core.base import utc_field, utcnow
from models.core.errors import DomainError
from models.people.tables import District

__all__ = [
    "FIRST_YEAR",
    "LAST_YEAR",
    "MAX_NOTE_LENGTH",
    "CalendarDay",
    "CalendarError",
    "CalendarOverride",
    "OverrideChange",
    "OverrideKind",
    "calendar_year",
    "days_off_between",
    "district_calendar",
    "district_calendars",
    "district_overrides",
]

MAX_NOTE_LENGTH = 200
#: Overrides outside these years are typing mistakes, not decrees.
FIRST_YEAR, LAST_YEAR = 2000, 2100


class OverrideKind(StrEnum):
    """What a decree makes of a date."""

    DAY_OFF = "day_off"
    WORKING_DAY = "working_day"


class CalendarOverride(SQLModel, table=True):
    """A decree's change to a district's calendar: a date made a day off or a working day."""

    __tablename__ = "calendar_override"
    __table_args__ = (UniqueConstraint("district_id", "day", name="uq_calendar_override_day"),)

    id: int | None = Field(default=None, primary_key=True)
    district_id: int = Field(foreign_key="district.id", index=True)
    day: date = Field(sa_type=Date())
    kind: str = Field(sa_type=String(16))
    note: str = Field(default="", sa_type=String(MAX_NOTE_LENGTH))
    created_by_id: int | None = Field(default=None, foreign_key="user_account.id")
    created_at: datetime = utc_field(default_factory=utcnow)


class CalendarError(DomainError):
    """The working-day calendar cannot be changed as asked."""


@dataclass(frozen=True)
class OverrideChange:
    """What an override operation changed: the caller recomputes deadlines from this."""

    district_id: int
    day: date
    kind: OverrideKind
    added: bool


@dataclass(frozen=True)
class CalendarDay:
    """A day of a year's listing: off the Monday-to-Friday rhythm, or overridden."""

    day: date
    working: bool
    label: str
    override: CalendarOverride | None


def district_overrides(
    session: Session, district_id: int, year: int | None = None
) -> Sequence[CalendarOverride]:
    """Return the district's overrides (of ``year`` if given), in date order."""
    query = select(CalendarOverride).where(col(CalendarOverride.district_id) == district_id)
    if year is not None:
        query = query.where(col(CalendarOverride.day) >= date(year, 1, 1)).where(
            col(CalendarOverride.day) <= date(year, 12, 31)
        )
    return session.scalars(query.order_by(col(CalendarOverride.day))).all()


def district_calendar(session: Session, district_id: int) -> WorkCalendar:
    """Build the working-day calendar of a district from its zone, hours and overrides.

    Raises:
      LookupError: there is no such district.
    """
    return district_calendars(session, [district_id])[district_id]


def district_calendars(session: Session, district_ids: Iterable[int]) -> dict[int, WorkCalendar]:
    """Build the calendars of several districts in two queries (a tick's planners need those
    of the districts whose tasks are due, however many there are).

    Raises:
      LookupError: one of them is no district.
    """
    wanted = set(district_ids)
    districts = {
        d.id: d for d in session.scalars(select(District).where(col(District.id).in_(wanted)))
    }
    missing = wanted - districts.keys()
    if missing:
        raise LookupError(f"no district {min(missing)}")
    overrides: dict[int, list[CalendarOverride]] = {i: [] for i in wanted}
    for override in session.scalars(
        select(CalendarOverride).where(col(CalendarOverride.district_id).in_(wanted))
    ):
        overrides[override.district_id].append(override)
    return {
        i: WorkCalendar(
            zone=ZoneInfo(d.timezone),
            days_off=frozenset(o.day for o in overrides[i] if o.kind == OverrideKind.DAY_OFF),
            working_days=frozenset(
                o.day for o in overrides[i] if o.kind == OverrideKind.WORKING_DAY
            ),
            day_starts=d.day_starts,
            day_ends=d.day_ends,
        )
        for i, d in ((i, districts[i]) for i in wanted)
    }


def calendar_year(
    session: Session, district_id: int, year: int, *, language: str = "en_US"
) -> list[CalendarDay]:
    """List every day off and transferred working day of ``year``, overrides included.

    An override is listed even where it agrees with the weekly rhythm (a Saturday made a
    day off), so that every override can be seen and removed.
    """
    calendar = district_calendar(session, district_id)
    overrides = {o.day: o for o in district_overrides(session, district_id, year)}
    days = {
        day: CalendarDay(day, calendar.is_working_day(day), label, overrides.get(day))
        for day, label in calendar.holidays_in(year, language=language)
    }
    for day, override in overrides.items():
        if day not in days:
            days[day] = CalendarDay(day, calendar.is_working_day(day), override.note, override)
    return [days[day] for day in sorted(days)]


def days_off_between(calendar: WorkCalendar, first: date, last: date) -> dict[date, str]:
    """Name each day from *first* to *last* (both included) that is not a working day.

    The name is English, as :meth:`WorkCalendar.holidays_in` gives it (a holiday, its
    observed day, ``"Day off (decree)"``), to be shown by
    :func:`models.workdays.holiday_names.describe_day_off`; a plain Saturday or Sunday has "".
    """
    named: dict[date, str] = {}
    for year in range(first.year, last.year + 1):
        named.update(_weekend_holidays(year))  # Nauryz on a Saturday is Nauryz, not a Saturday
        named.update(calendar.holidays_in(year))
    found: dict[date, str] = {}
    day = first
    while day <= last:
        if not calendar.is_working_day(day):
            found[day] = DECREE_DAY_OFF if day in calendar.days_off else named.get(day, "")
        day += timedelta(days=1)
    return found


@lru_cache(maxsize=16)
def _weekend_holidays(year: int) -> dict[date, str]:
    """The national holidays of *year* that fall on a Saturday or a Sunday, in English."""
    national = holidays.KZ(years=year, language="en_US")
    return {day: name for day, name in national.items() if day.year == year and day.weekday() > 4}
