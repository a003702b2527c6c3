"""Change a district's working-day calendar, and its open deadlines with it.

A decree's override (a date made a day off or a working day) and new working hours move the
due moments of the district's open rule-based tasks: each operation here recomputes them
(:func:`models.tasks.deadlines.recompute_open_deadlines`) in the caller's transaction, so no
path changes the calendar and leaves a deadline counted on the old one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, time

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from calendars.workdays import WorkCalendar
from models.core.audit import record_event
from models.core.base import utcnow
from models.core.i18n import N_
from models.people.tables import Agency, District, Role, User
from models.tasks.deadlines import recompute_open_deadlines
from models.workdays.calendar import (
    FIRST_YEAR,
    LAST_YEAR,
    MAX_NOTE_LENGTH,
    CalendarError,
    CalendarOverride,
    OverrideChange,
    OverrideKind,
    district_calendar,
    district_overrides,
)
from models.workdays.decrees import DECREE_TRANSFERS, Transfer

__all__ = [
    "OverrideRefusedInDistrict",
    "PastDateUnconfirmed",
    "add_decree_transfers",
    "add_override",
    "add_override_in_every_district",
    "may_change_calendar",
    "remove_override",
    "set_working_hours",
]


class PastDateUnconfirmed(CalendarError):
    """An administrator asked for an override of a past date without confirming it."""


def add_override(
    session: Session,
    user: User | None,
    *,
    district_id: int,
    day: date,
    kind: str,
    note: str,
    now: datetime | None = None,
    confirm_past: bool = False,
) -> OverrideChange:
    """Make ``day`` a day off or a working day in the district, as a decree says.

    ``user`` is the acting administrator; ``None`` is the operator at the command line.
    A date before the district's today moves deadlines that may have run out already (and
    is most often a mistyped year), so an administrator adds one only with ``confirm_past``;
    the operator and the demo's list of decrees are not asked.
    The caller commits; the returned change tells which deadlines to recompute.

    Raises:
      CalendarError: the user may not change the calendar, or the override is not acceptable
        (:class:`PastDateUnconfirmed` for a past date without ``confirm_past``).
    """
    now = now or utcnow()
    _require_admin(session, user, district_id)
    note = _check_override(session, district_id, day, kind, note)
    calendar = district_calendar(session, district_id)
    today = now.astimezone(calendar.zone).date()
    if user is not None and day < today and not confirm_past:
        raise PastDateUnconfirmed(
            N_(
                "This date is in the past. Adding it moves the due moments of the open tasks "
                "counted over it, and a deadline already missed may move too. Check the date; "
                "if the decree is right, confirm below and add it again."
            ),
            "day",
        )
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
    _calendar_changed(
        session,
        user,
        district_id,
        "calendar.override_added",
        f"day={day.isoformat()} kind={kind} note={note}",
        now,
    )
    return OverrideChange(district_id, day, OverrideKind(kind), added=True)


class OverrideRefusedInDistrict(CalendarError):
    """A decree for the whole country cannot be entered in one of the districts."""

    def __init__(self, message: str, field: str | None, district_id: int) -> None:
        super().__init__(message, field)
        self.district_id = district_id


def add_override_in_every_district(
    session: Session, *, day: date, kind: str, note: str, now: datetime | None = None
) -> list[OverrideChange]:
    """Enter a decree that applies to the whole country once for every district of the
    deployment (the operator's command; each district's deadlines move as with
    :func:`add_override`). All or none: every district is checked before any is changed (on
    SQLite a savepoint outside a transaction commits on its own, so a rollback would not be).

    Raises:
      OverrideRefusedInDistrict: a district refuses it (an override of the date already, or
        the date already so there); names the district.
    """
    ids = [i for i in session.scalars(select(col(District.id)).order_by(col(District.id)))]
    for district_id in ids:
        assert district_id is not None
        try:
            _check_override(session, district_id, day, kind, note)
        except CalendarError as exc:
            raise OverrideRefusedInDistrict(exc.message, exc.field, district_id) from None
    return [
        add_override(session, None, district_id=i, day=day, kind=kind, note=note, now=now)
        for i in ids
        if i is not None
    ]


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
    _calendar_changed(
        session,
        user,
        district_id,
        "calendar.override_removed",
        f"day={day.isoformat()} kind={kind.value} note={override.note}",
        now,
    )
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

    Returns the district's id; its open tasks' due moments are recomputed.

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
    _calendar_changed(
        session,
        user,
        district_id,
        "calendar.hours_changed",
        f"old={before} new={day_starts:%H:%M}-{day_ends:%H:%M}",
        now,
    )
    return district_id


def _calendar_changed(
    session: Session, user: User | None, district_id: int, action: str, detail: str, now: datetime
) -> None:
    """Audit a change of the district's calendar, recompute its open tasks' due moments from
    the new calendar and let the next tick look at its digest again, in this transaction."""
    record_event(
        session,
        user_id=user.id if user else None,
        action=action,
        object_type="district",
        object_id=district_id,
        detail=detail,
        at=now,
    )
    recompute_open_deadlines(session, district_id, user, now)
    session.execute(
        update(District).where(col(District.id) == district_id).values(digest_due_at=None),
        execution_options={"synchronize_session": False},
    )


def _check_override(session: Session, district_id: int, day: date, kind: str, note: str) -> str:
    """Check an override of *day* in the district, writing nothing; return its note tidied.

    Raises:
      CalendarError: the kind, note or date is not acceptable, or the date has an override
        or is so already.
    """
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
    return note


def _override_on(session: Session, district_id: int, day: date) -> CalendarOverride | None:
    return session.scalars(
        select(CalendarOverride)
        .where(col(CalendarOverride.district_id) == district_id)
        .where(col(CalendarOverride.day) == day)
    ).first()


def may_change_calendar(user: User) -> bool:
    """Tell whether *user* may add and remove the decree overrides of their district's
    working-day calendar."""
    return user.active and Role(user.role).may_change_calendar


def _require_admin(session: Session, user: User | None, district_id: int) -> None:
    if session.get(District, district_id) is None:
        raise CalendarError(N_("There is no such district."), "district")
    if user is None:
        return
    agency = session.get(Agency, user.agency_id)
    if not may_change_calendar(user) or agency is None or agency.district_id != district_id:
        raise CalendarError(N_("Only administrators change the working-day calendar."))


def add_decree_transfers(
    session: Session,
    district_id: int,
    year: int,
    *,
    transfers: Mapping[int, Sequence[Transfer]] = DECREE_TRANSFERS,
    now: datetime | None = None,
) -> list[date]:
    """Add the year's transfers that neither the national calendar nor the district has.

    Acts as the operator (no signed-in user), like ``birge calendar override add``. Returns
    the dates added; a second call adds nothing.
    """
    national = WorkCalendar(zone=district_calendar(session, district_id).zone)
    overridden = {o.day for o in district_overrides(session, district_id, year)}
    added = []
    for day, kind, note in transfers.get(year, ()):
        if day in overridden or national.is_working_day(day) == (kind == OverrideKind.WORKING_DAY):
            continue
        add_override(session, None, district_id=district_id, day=day, kind=kind, note=note, now=now)
        added.append(day)
    return added
