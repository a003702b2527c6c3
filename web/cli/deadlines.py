"""`birge due` and `birge calendar`: statutory deadlines and the district's working-day calendar."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time

import click
from sqlalchemy import select
from sqlmodel import Session, col

from calendars.workdays import Period, PeriodKind
from models.core.base import utcnow
from models.core.db import make_engine, session_scope
from models.people.tables import District
from models.tasks.calendar_changes import (
    OverrideRefusedInDistrict,
    add_override,
    add_override_in_every_district,
    remove_override,
    set_working_hours,
)
from models.workdays.calendar import (
    FIRST_YEAR,
    LAST_YEAR,
    CalendarError,
    calendar_year,
    district_calendar,
)
from web.cli.base import BadInput, Context, OneLineErrors, main, pass_context

_district_option = click.option(
    "--district",
    "district_id",
    type=int,
    default=None,
    help="The district's id (default: the only district).",
)


@contextmanager
def _district_session(ctx: Context, district_id: int | None) -> Iterator[tuple[Session, int]]:
    """Open a session (committed at the end) and resolve the district to work on."""
    engine = make_engine(ctx.require_current_schema().database_url)
    try:
        with session_scope(engine) as session:
            query = select(col(District.id)).order_by(col(District.id))
            ids = [i for i in session.scalars(query) if i is not None]
            if district_id is None:
                if len(ids) != 1:
                    raise BadInput(
                        "no district yet: run `birge demo` first"
                        if not ids
                        else "there are several districts: give --district ID"
                    )
                district_id = ids[0]
            elif district_id not in ids:
                raise BadInput(f"there is no district {district_id}")
            yield session, district_id
    finally:
        engine.dispose()


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadInput(f"{text!r} is not a date (write it as YYYY-MM-DD)") from None


@main.command(cls=OneLineErrors)
@click.argument("when")
@click.option("--working-days", type=click.IntRange(1, 366), help="N working days.")
@click.option("--calendar-days", type=click.IntRange(1, 366), help="N calendar days.")
@click.option("--immediately", is_flag=True, help="Immediately (one hour, wall clock).")
@_district_option
@pass_context
def due(
    ctx: Context,
    when: str,
    working_days: int | None,
    calendar_days: int | None,
    immediately: bool,
    district_id: int | None,
) -> None:
    """Print when a period counted from WHEN ends (ISO 8601 with offset, last line).

    WHEN is an ISO 8601 moment such as 2026-03-20T15:00; without an offset it is the
    district's local time.
    """
    chosen = [
        Period(kind, days or 0)
        for kind, days, given in (
            (PeriodKind.WORKING_DAYS, working_days, working_days is not None),
            (PeriodKind.CALENDAR_DAYS, calendar_days, calendar_days is not None),
            (PeriodKind.IMMEDIATELY, 0, immediately),
        )
        if given
    ]
    if len(chosen) != 1:
        raise BadInput("give exactly one of --working-days N, --calendar-days N, --immediately")
    try:
        received = datetime.fromisoformat(when)
    except ValueError:
        raise BadInput(f"{when!r} is not a moment (write it as 2026-03-20T15:00)") from None
    with _district_session(ctx, district_id) as (session, district):
        calendar = district_calendar(session, district)
    if received.tzinfo is None:
        received = received.replace(tzinfo=calendar.zone)
    moment = calendar.due(received, chosen[0]).astimezone(calendar.zone)
    click.echo(f"received {received.astimezone(calendar.zone):%Y-%m-%d %H:%M %a} ({calendar.zone})")
    click.echo(f"due      {moment:%Y-%m-%d %H:%M %a}")
    click.echo(moment.isoformat(timespec="seconds"))


@main.group()
def calendar() -> None:
    """The district's working-day calendar and its decree overrides."""


@calendar.group()
def override() -> None:
    """Add or remove a decree's change to the working-day calendar."""


@override.command("add", cls=OneLineErrors)
@click.argument("day")
@click.option("--day-off", "kind", flag_value="day_off", help="The date becomes a day off.")
@click.option(
    "--working-day", "kind", flag_value="working_day", help="The date becomes a working day."
)
@click.option("--note", required=True, help="The decree that makes the change.")
@_district_option
@click.option(
    "--all-districts",
    is_flag=True,
    help="The decree is the whole country's: enter it for every district (all or none).",
)
@pass_context
def override_add(
    ctx: Context,
    day: str,
    kind: str | None,
    note: str,
    district_id: int | None,
    all_districts: bool,
) -> None:
    """Make DAY (YYYY-MM-DD) a day off or a working day, as a decree says."""
    if kind is None:
        raise BadInput("give --day-off or --working-day")
    wanted = _date(day)
    if all_districts:
        if district_id is not None:
            raise BadInput("give either --district or --all-districts")
        _override_everywhere(ctx, wanted, kind, note)
        return
    with _district_session(ctx, district_id) as (session, district):
        try:
            add_override(session, None, district_id=district, day=wanted, kind=kind, note=note)
        except CalendarError as exc:
            raise BadInput(str(exc)) from None
    click.echo(f"{wanted:%Y-%m-%d %a} is now a {kind.replace('_', ' ')} (district {district})")


def _override_everywhere(ctx: Context, day: date, kind: str, note: str) -> None:
    engine = make_engine(ctx.require_current_schema().database_url)
    try:
        with session_scope(engine) as session:
            changes = add_override_in_every_district(session, day=day, kind=kind, note=note)
    except OverrideRefusedInDistrict as exc:
        raise BadInput(f"district {exc.district_id}: {exc}; no district was changed") from None
    finally:
        engine.dispose()
    ids = ", ".join(str(c.district_id) for c in changes)
    click.echo(f"{day:%Y-%m-%d %a} is now a {kind.replace('_', ' ')} (districts {ids})")


@override.command("remove", cls=OneLineErrors)
@click.argument("day")
@_district_option
@pass_context
def override_remove(ctx: Context, day: str, district_id: int | None) -> None:
    """Remove the override of DAY (YYYY-MM-DD): the national calendar applies again."""
    wanted = _date(day)
    with _district_session(ctx, district_id) as (session, district):
        try:
            remove_override(session, None, district_id=district, day=wanted)
        except CalendarError as exc:
            raise BadInput(str(exc)) from None
    click.echo(f"removed the override of {wanted:%Y-%m-%d %a} (district {district})")


@calendar.command("list", cls=OneLineErrors)
@click.argument("year", type=click.IntRange(FIRST_YEAR, LAST_YEAR), required=False)
@_district_option
@pass_context
def calendar_list(ctx: Context, year: int | None, district_id: int | None) -> None:
    """List every day off and transferred working day of YEAR (default: this year).

    Overrides are marked with '*' and show their note.
    """
    with _district_session(ctx, district_id) as (session, district):
        year = year or utcnow().astimezone(district_calendar(session, district).zone).year
        days = calendar_year(session, district, year)
    for entry in days:
        mark = "*" if entry.override is not None else " "
        state = "working day" if entry.working else "day off"
        label = f"decree: {entry.override.note}" if entry.override is not None else entry.label
        click.echo(f"{mark} {entry.day:%Y-%m-%d %a}  {state:<11}  {label}")


def _clock(text: str | None, option: str) -> time | None:
    if text is None:
        return None
    try:
        return time.fromisoformat(text)
    except ValueError:
        raise BadInput(f"{option}: {text!r} is not a time of day (write it as HH:MM)") from None


@calendar.command("hours", cls=OneLineErrors)
@click.option("--starts", help="When the working day starts (HH:MM, local).")
@click.option("--ends", help="When the working day ends, and periods with it (HH:MM, local).")
@_district_option
@pass_context
def calendar_hours(
    ctx: Context,
    starts: str | None,
    ends: str | None,
    district_id: int | None,
) -> None:
    """Print the district's working hours; change them with the options."""
    new_starts, new_ends = _clock(starts, "--starts"), _clock(ends, "--ends")
    with _district_session(ctx, district_id) as (session, district_id):
        district = session.get(District, district_id)
        assert district is not None
        if new_starts is not None or new_ends is not None:
            try:
                set_working_hours(
                    session,
                    None,
                    district_id=district_id,
                    day_starts=new_starts or district.day_starts,
                    day_ends=new_ends or district.day_ends,
                )
            except CalendarError as exc:
                raise BadInput(str(exc)) from None
        click.echo(
            f"working day {district.day_starts:%H:%M}-{district.day_ends:%H:%M} "
            f"(district {district_id})"
        )
