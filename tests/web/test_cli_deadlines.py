from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select
from sqlmodel import Session

from models.core.audit import AuditEvent
from models.core.db import make_engine
from models.workdays.calendar import CalendarOverride
from web.cli import main


def _environment(tmp_path: Path) -> dict[str, str]:
    return {
        "BIRGE_INSTANCE_PATH": str(tmp_path / "instance"),
        "BIRGE_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}",
        "BIRGE_SECRET_KEY": "cli-secret-key-0123456789",
        "BIRGE_BASE_URL": "https://birge.district.kz",
    }


@pytest.fixture(scope="session")
def demo_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo district, made once with the commands an administrator runs, copied per test."""
    where = tmp_path_factory.mktemp("cli-demo")
    env = _environment(where)
    assert CliRunner().invoke(main, ["db", "upgrade"], env=env).exit_code == 0
    assert CliRunner().invoke(main, ["demo"], env=env).exit_code == 0
    return where / "cli.sqlite3"


@pytest.fixture
def cli(tmp_path: Path, demo_database: Path) -> Callable[..., Result]:
    env = _environment(tmp_path)
    # SQLite's backup, not a file copy: the demo's last writes may still be in its write-ahead log.
    with (
        closing(sqlite3.connect(demo_database)) as demo,
        closing(sqlite3.connect(tmp_path / "cli.sqlite3")) as copy,
    ):
        demo.backup(copy)

    def invoke(*args: str, district: str | None = "1") -> Result:
        """Run the command for *district* (the demo district, of the demo's two) unless the
        arguments name one, or it is None."""
        named = "--district" in args or "--all-districts" in args
        extra = ["--district", district] if district is not None and not named else []
        return CliRunner().invoke(main, [*args, *extra], env=env)

    return invoke


def last_line(result: Result) -> str:
    assert result.exit_code == 0, result.output
    return result.output.splitlines()[-1]


def test_due_prints_the_issues_examples(cli: Callable[..., Result]) -> None:
    assert last_line(cli("due", "2026-03-20T15:00", "--working-days", "1")) == (
        "2026-03-26T18:00:00+05:00"
    )
    assert last_line(cli("due", "2026-12-09 10:00", "--calendar-days", "7")) == (
        "2026-12-17T18:00:00+05:00"
    )
    assert last_line(cli("due", "2026-05-07T09:00+05:00", "--calendar-days", "2")) == (
        "2026-05-12T18:00:00+05:00"
    )
    assert last_line(cli("due", "2026-06-13T23:30", "--immediately")) == (
        "2026-06-14T00:30:00+05:00"
    )


def test_due_takes_a_moment_with_another_offset(cli: Callable[..., Result]) -> None:
    # 20:30 UTC on Monday is 01:30 on Tuesday in Almaty: counting starts on Wednesday.
    assert last_line(cli("due", "2026-11-23T20:30Z", "--working-days", "1")) == (
        "2026-11-25T18:00:00+05:00"
    )


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["due", "yesterday", "--working-days", "1"], "is not a moment"),
        (["due", "2026-03-20T15:00"], "exactly one of"),
        (["due", "2026-03-20T15:00", "--working-days", "1", "--immediately"], "exactly one of"),
        (["due", "2026-03-20T15:00", "--working-days", "0"], "--working-days"),
        (["due", "2026-03-20T15:00", "--calendar-days", "many"], "--calendar-days"),
        (["due", "2026-03-20T15:00", "--immediately", "--district", "7"], "no district 7"),
        (["calendar", "override", "add", "2026-13-01", "--day-off", "--note", "x"], "not a date"),
        (["calendar", "override", "add", "2026-12-18", "--note", "x"], "--day-off or"),
        (["calendar", "override", "add", "2026-12-18", "--day-off"], "--note"),
        (["calendar", "override", "add", "2026-12-19", "--day-off", "--note", "x"], "already"),
        (["calendar", "override", "add", "2026-12-18", "--day-off", "--note", "x" * 201],
         "The note is too long"),
        (["calendar", "override", "remove", "2026-12-18"], "This date has no override."),
        (["calendar", "list", "1900"], "YEAR"),
        (["calendar", "hours", "--starts", "9am"], "is not a time of day"),
        (["calendar", "hours", "--ends", "08:00"], "must end after it starts"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_and_status_2(
    cli: Callable[..., Result], args: list[str], says: str
) -> None:
    result = cli(*args)
    assert result.exit_code == 2
    assert len(result.output.splitlines()) == 1
    assert result.output.startswith("Error: ") and says in result.output


def test_with_several_districts_a_command_asks_which(cli: Callable[..., Result]) -> None:
    result = cli("due", "2026-03-20T15:00", "--immediately", district=None)
    assert result.exit_code == 2
    assert result.output == "Error: there are several districts: give --district ID\n"


def test_a_decree_for_the_whole_country_is_entered_once_for_every_district(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    decree = "Постановление Правительства № 1001"
    added = cli("calendar", "override", "add", "2026-12-18", "--day-off", "--note", decree,
                "--all-districts")  # fmt: skip
    assert added.output == "2026-12-18 Fri is now a day off (districts 1, 2)\n"
    for district in ("1", "2"):
        listing = cli("calendar", "list", "2026", district=district).output.splitlines()
        assert f"* 2026-12-18 Fri  day off      decree: {decree}" in listing
        due = cli("due", "2026-12-17T10:00", "--working-days", "1", district=district)
        assert last_line(due) == "2026-12-21T18:00:00+05:00"
    # District 2 already has it: refused, naming the district, and district 1 is not changed.
    cli("calendar", "override", "remove", "2026-12-18", district="1")
    again = cli("calendar", "override", "add", "2026-12-18", "--day-off", "--note", decree,
                "--all-districts")  # fmt: skip
    assert again.exit_code == 2
    assert again.output.startswith("Error: district 2: This date has an override already")
    assert "* 2026-12-18" not in cli("calendar", "list", "2026", district="1").output
    both = cli("calendar", "override", "add", "2026-12-22", "--day-off", "--note", decree,
               "--all-districts", "--district", "1")  # fmt: skip
    assert both.exit_code == 2 and "either --district or --all-districts" in both.output


def test_an_override_changes_due_moments_and_the_year_listing(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    before = last_line(cli("due", "2026-12-17T10:00", "--working-days", "1"))
    decree = "Постановление Правительства № 1000"
    added = cli("calendar", "override", "add", "2026-12-18", "--day-off", "--note", decree)
    assert added.exit_code == 0, added.output
    after = last_line(cli("due", "2026-12-17T10:00", "--working-days", "1"))
    assert (before, after) == ("2026-12-18T18:00:00+05:00", "2026-12-21T18:00:00+05:00")
    assert (
        cli("calendar", "override", "add", "2026-12-18", "--day-off", "--note", "x").exit_code == 2
    )

    listing = cli("calendar", "list", "2026").output.splitlines()
    assert f"* 2026-12-18 Fri  day off      decree: {decree}" in listing
    assert "  2026-12-16 Wed  day off      Independence Day" in listing
    assert "  2026-03-24 Tue  day off      Nowruz Holiday (observed)" in listing

    assert cli("calendar", "override", "remove", "2026-12-18").exit_code == 0
    assert last_line(cli("due", "2026-12-17T10:00", "--working-days", "1")) == before
    engine = make_engine(f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    with Session(engine) as session:
        assert session.scalars(select(CalendarOverride)).all() == []
        actions = set(session.scalars(select(AuditEvent.action)))
    engine.dispose()
    assert {"calendar.override_added", "calendar.override_removed"} <= actions


def test_calendar_list_shows_the_decree_transfer_of_2025(cli: Callable[..., Result]) -> None:
    listing = cli("calendar", "list", "2025").output.splitlines()
    assert "  2025-01-05 Sun  working day  Working day (transferred)" in listing
    assert any(line.startswith("  2025-01-03 Fri  day off      Day off") for line in listing)


def test_calendar_hours_move_the_end_of_periods(cli: Callable[..., Result]) -> None:
    assert last_line(cli("calendar", "hours")).startswith("working day 09:00-18:00")
    assert last_line(cli("calendar", "hours", "--ends", "17:30")).startswith(
        "working day 09:00-17:30"
    )
    assert last_line(cli("due", "2026-03-20T15:00", "--working-days", "1")) == (
        "2026-03-26T17:30:00+05:00"
    )
