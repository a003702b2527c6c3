"""A district's working-day calendar: its decree overrides and the calendar built from them.

The national calendar (public holidays, observed days, the transfers the ``holidays`` package
knows) lives in :mod:`calendars.workdays`; a district adds the government decrees it is not
told about as overrides, one row per date.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import Date, String, UniqueConstraint, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col

from calendars.workdays import WorkCalendar
from models.core.audit import record_event
from models.core.base import utc_field, utcnow
from models.core.i18n import N_
from models.people.tables import Agency, District, Role, User

__all__ = [
    "FIRST_YEAR",
    "LAST_YEAR",
    "MAX_NOTE_LENGTH",
    "CalendarDay",
    "CalendarError",
    "CalendarOverride",
    "OverrideChange",
    "OverrideKind",
    "add_override",
    "calendar_year",
    "district_calendar",
    "district_overrides",
    "remove_override",
    "set_working_hours",
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


class CalendarError(ValueError):
    """The override cannot be changed as asked.

    ``str()`` is an English message id; ``field`` names the input it is about.
    """

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


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
    district = session.get(District, district_id)
    if district is None:
        raise LookupError(f"no district {district_id}")
    overrides = district_overrides(session, district_id)
    return WorkCalendar(
        zone=ZoneInfo(district.timezone),
        days_off=frozenset(o.day for o in overrides if o.kind == OverrideKind.DAY_OFF),
        working_days=frozenset(o.day for o in overrides if o.kind == OverrideKind.WORKING_DAY),
        day_starts=district.day_starts,
        day_ends=district.day_ends,
    )


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


def add_override(
    session: Session,
    user: User | None,
    *,
    district_id: int,
    day: date,
    kind: str,
    note: str,
    now: datetime | None = None,
) -> OverrideChange:
    """Make ``day`` a day off or a working day in the district, as a decree says.

    ``user`` is the acting administrator; ``None`` is the operator at the command line.
    The caller commits; the returned change tells which deadlines to recompute.

    Raises:
      CalendarError: the user may not change the calendar, or the override is not acceptable.
    """
    now = now or utcnow()
    _require_admin(session, user, district_id)
    if kind not in {k.value for k in OverrideKind}:
        raise CalendarError(
            N_("Choose whether the date becomes a day off or a working day."), "kind"
        )
    note = " ".join(note.split())
    if not note:
        raise CalendarError(N_("Say which decree makes this change."), "note")
    if len(note) > MAX_NOTE_LENGTH:
        raise CalendarError(N_("The note is too long (at most 200 characters)."), "note")
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise CalendarError(N_("Choose a date between the years 2000 and 2100."), "day")
    if _override_on(session, district_id, day) is not None:
        raise CalendarError(N_("This date has an override already; remove it first."), "day")
    national = district_calendar(session, district_id).is_working_day(day)
    if national == (kind == OverrideKind.WORKING_DAY):
        message = (
            N_("This date is a working day already.")
            if national
            else N_("This date is a day off already.")
        )
        raise CalendarError(message, "day")
    override = CalendarOverride(
        district_id=district_id,
        day=day,
        kind=kind,
        note=note,
        created_by_id=user.id if user else None,
        created_at=now,
    )
    try:
        # A savepoint: losing a race for the date to another administrator is a clear error.
        with session.begin_nested():
            session.add(override)
    except IntegrityError:
        raise CalendarError(
            N_("This date has an override already; remove it first."), "day"
        ) from None
    record_event(
        session,
        user_id=user.id if user else None,
        action="calendar.override_added",
        object_type="district",
        object_id=district_id,
        detail=f"day={day.isoformat()} kind={kind} note={note}",
        at=now,
    )
    # The open tasks' due moments are recomputed here, in this transaction, from the new calendar.
    _recompute(session, district_id, user, now)
    return OverrideChange(district_id, day, OverrideKind(kind), added=True)


def remove_override(
    session: Session,
    user: User | None,
    *,
    district_id: int,
    day: date,
    now: datetime | None = None,
) -> OverrideChange:
    """Remove the district's override of ``day``: the national calendar applies again.

    Raises:
      CalendarError: the user may not change the calendar, or the date has no override.
    """
    now = now or utcnow()
    _require_admin(session, user, district_id)
    override = _override_on(session, district_id, day)
    if override is None:
        raise CalendarError(N_("This date has no override."), "day")
    kind = OverrideKind(override.kind)
    session.delete(override)
    session.flush()
    record_event(
        session,
        user_id=user.id if user else None,
        action="calendar.override_removed",
        object_type="district",
        object_id=district_id,
        detail=f"day={day.isoformat()} kind={kind.value} note={override.note}",
        at=now,
    )
    # The open tasks' due moments are recomputed here, in this transaction, from the new calendar.
    _recompute(session, district_id, user, now)
    return OverrideChange(district_id, day, kind, added=False)


def set_working_hours(
    session: Session,
    user: User | None,
    *,
    district_id: int,
    day_starts: time,
    day_ends: time,
    now: datetime | None = None,
) -> int:
    """Change when the district's working day starts and ends (local times).

    Returns the district's id: the caller recomputes its open tasks' due moments.

    Raises:
      CalendarError: the user may not change the calendar, or the hours are not acceptable.
    """
    now = now or utcnow()
    _require_admin(session, user, district_id)
    if day_starts >= day_ends:
        raise CalendarError(N_("The working day must end after it starts."), "day_ends")
    district = session.get(District, district_id)
    assert district is not None
    before = f"{district.day_starts:%H:%M}-{district.day_ends:%H:%M}"
    district.day_starts, district.day_ends = day_starts, day_ends
    session.add(district)
    session.flush()
    record_event(
        session,
        user_id=user.id if user else None,
        action="calendar.hours_changed",
        object_type="district",
        object_id=district_id,
        detail=f"old={before} new={day_starts:%H:%M}-{day_ends:%H:%M}",
        at=now,
    )
    _recompute(session, district_id, user, now)
    return district_id


def _recompute(session: Session, district_id: int, user: User | None, now: datetime) -> None:
    # Imported here: models.tasks.deadlines builds calendars with this module's district_calendar.
    from models.tasks.deadlines import recompute_open_deadlines

    recompute_open_deadlines(session, district_id, user, now)


def _override_on(session: Session, district_id: int, day: date) -> CalendarOverride | None:
    return session.scalars(
        select(CalendarOverride)
        .where(col(CalendarOverride.district_id) == district_id)
        .where(col(CalendarOverride.day) == day)
    ).first()


def _require_admin(session: Session, user: User | None, district_id: int) -> None:
    if session.get(District, district_id) is None:
        raise CalendarError(N_("There is no such district."), "district")
    if user is None:
        return
    agency = session.get(Agency, user.agency_id)
    if (
        not Role(user.role).may_change_calendar
        or not user.active
        or agency is None
        or agency.district_id != district_id
    ):
        raise CalendarError(N_("Only administrators change the working-day calendar."), "user")
