"""`birge api-token create/list/revoke`: the tokens of the intake API from the command line."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlmodel import Session

from models.core.db import make_engine
from models.integrations.tokens import Scope, authenticate
from tests.factories import make_district
from web.cli import main


@pytest.fixture
def cli(tmp_path: Path) -> tuple[Callable[..., Result], str, int]:
    url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    env = {
        "BIRGE_INSTANCE_PATH": str(tmp_path / "instance"),
        "BIRGE_DATABASE_URL": url,
        "BIRGE_SECRET_KEY": "cli-secret-key-0123456789",
    }

    def invoke(*args: str) -> Result:
        return CliRunner().invoke(main, list(args), env=env)

    assert invoke("db", "upgrade").exit_code == 0
    engine = make_engine(url)
    with Session(engine) as session:
        district_id = make_district(session).row.id or 0
        session.commit()
    engine.dispose()
    return invoke, url, district_id


def test_a_token_is_printed_once_listed_with_its_use_and_revoked(
    cli: tuple[Callable[..., Result], str, int],
) -> None:
    invoke, url, district = cli
    made = invoke(
        "api-token",
        "create",
        "police-register",
        "--district",
        str(district),
        "--scope",
        "reports:read",
    )
    assert made.exit_code == 0, made.output
    token = made.output.strip().splitlines()[-1]
    assert token.startswith("birge_")
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            found = authenticate(session, token)
            assert found is not None and found.allows(Scope.REPORTS_READ)
            assert not found.allows(Scope.REPORTS_WRITE)
        both = invoke("api-token", "create", "helpline-111", "--district", str(district))
        assert "reports:write reports:read" in both.output
        listed = invoke("api-token", "list").output.splitlines()
        assert listed[0].startswith("helpline-111 ") and "live" in listed[0]
        assert listed[1].startswith("police-register ") and "last-used=never" in listed[1]
        assert token not in invoke("api-token", "list").output  # never shown again

        assert invoke("api-token", "revoke", "police-register").exit_code == 0
        with Session(engine) as session:
            assert authenticate(session, token) is None
        assert "revoked" in invoke("api-token", "list").output.splitlines()[1]
    finally:
        engine.dispose()


def test_bad_input_is_one_clear_line(cli: tuple[Callable[..., Result], str, int]) -> None:
    invoke, _url, district = cli
    assert invoke("api-token", "create", "a", "--district", str(district)).exit_code == 0
    taken = invoke("api-token", "create", "a", "--district", str(district))
    assert taken.exit_code == 1 and "exists already" in taken.output
    nowhere = invoke("api-token", "create", "b", "--district", "999")
    assert nowhere.exit_code == 1 and "No such district" in nowhere.output
    spaced = invoke("api-token", "create", "Имя с пробелом", "--district", str(district))
    assert spaced.exit_code == 1 and "Latin letters" in spaced.output
    assert invoke("api-token", "create", "c", "--district", "x").exit_code == 2
    missing = invoke("api-token", "revoke", "nobody")
    assert missing.exit_code == 1 and "No live integration" in missing.output
