from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import inspect, select
from sqlmodel import Session

from models.core.db import make_engine
from models.people.tables import User
from web.cli import main

COMMANDS = ["db", "demo", "run", "worker", "scheduler", "user", "feed-url", "due", "calendar"]


@pytest.fixture
def cli(tmp_path: Path) -> Callable[..., Result]:
    env = {
        "BIRGE_INSTANCE_PATH": str(tmp_path / "instance"),
        "BIRGE_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}",
        "BIRGE_SECRET_KEY": "cli-secret-key-0123456789",
        "BIRGE_BASE_URL": "https://birge.district.kz",
    }

    def invoke(*args: str, input: str | None = None, **extra_env: str) -> Result:
        return CliRunner().invoke(main, list(args), env=env | extra_env, input=input)

    return invoke


def test_help_lists_every_command_and_setting(cli: Callable[..., Result]) -> None:
    result = cli("--help")
    assert result.exit_code == 0
    for command in COMMANDS:
        assert command in result.output
        assert cli(command, "--help").exit_code == 0
    assert "BIRGE_BROKER_URL" in result.output and "BIRGE_SMTP_URL" in result.output


def test_a_malformed_setting_stops_with_one_line_naming_it(cli: Callable[..., Result]) -> None:
    result = cli("db", "upgrade", BIRGE_SMTP_URL="smtp://mail:port")
    assert result.exit_code == 1
    assert result.output == "Error: configuration: BIRGE_SMTP_URL: the port is not a number\n"


def test_db_upgrade_and_downgrade(cli: Callable[..., Result], tmp_path: Path) -> None:
    assert cli("db", "upgrade").exit_code == 0
    engine = make_engine(f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    assert "meeting" in inspect(engine).get_table_names()
    assert cli("db", "downgrade", "base").exit_code == 0
    assert "meeting" not in inspect(engine).get_table_names()
    engine.dispose()


def test_user_create_reads_the_password_from_stdin(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    cli("db", "upgrade")
    cli("demo")
    result = cli(
        "user", "create", "New.Inspector@Police.kz", "--agency", "police", "--district", "1",
        "--role", "member", input="a long enough password\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    engine = make_engine(f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    with Session(engine) as session:
        user = session.scalars(select(User).where(User.email == "new.inspector@police.kz")).one()
        assert user.check_password("a long enough password") and user.role == "member"
    engine.dispose()

    again = cli("user", "create", "new.inspector@police.kz", "--agency", "police",
                "--district", "1", "--role", "member",
                input="a long enough password\n")  # fmt: skip
    assert again.exit_code == 1 and "exists already" in again.output
    short = cli("user", "create", "x@police.kz", "--agency", "police", "--district", "1",
                "--role", "member", input="short\n")  # fmt: skip
    assert short.exit_code == 1 and "at least 10 characters" in short.output
    nowhere = cli("user", "create", "y@police.kz", "--agency", "customs", "--role", "member",
                  input="a long enough password\n")  # fmt: skip
    assert nowhere.exit_code == 1 and "no agency with slug 'customs'" in nowhere.output


def test_feed_url_is_stable_until_rotated(cli: Callable[..., Result]) -> None:
    cli("db", "upgrade")
    cli("demo")
    every = cli("feed-url", "--district", "1")  # the demo district's agencies
    assert every.exit_code == 0
    lines = dict(line.split(" ") for line in every.output.splitlines())
    assert "police" in lines and "school-12" in lines
    url = cli("feed-url", "police", "--district", "1").output.strip()
    assert url == lines["police"]
    assert url.startswith("https://birge.district.kz/calendars/") and url.endswith(".ics")
    rotated = cli("feed-url", "police", "--district", "1", "--rotate").output.strip()
    assert rotated != url
    assert cli("feed-url", "police", "--district", "1").output.strip() == rotated
    assert cli("feed-url", "customs").exit_code == 1


def test_rotating_on_the_command_line_removes_the_published_file(
    cli: Callable[..., Result], tmp_path: Path
) -> None:
    cli("db", "upgrade")
    cli("demo")
    url = cli("feed-url", "police", "--district", "1").output.strip()
    published = tmp_path / "instance" / "feeds" / url.rsplit("/", 1)[1]
    published.parent.mkdir(parents=True)
    published.write_bytes(b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")
    cli("feed-url", "police", "--district", "1", "--rotate")
    assert not published.exists()


def test_separate_workers_need_a_real_broker(cli: Callable[..., Result]) -> None:
    result = cli("worker")
    assert result.exit_code == 1 and "stub://" in result.output


def test_commands_ask_for_the_migration_before_touching_an_empty_database(
    cli: Callable[..., Result],
) -> None:
    for args in (["demo"], ["run"]):
        result = cli(*args)
        assert result.exit_code == 1
        assert "run `birge db upgrade` first" in result.output
