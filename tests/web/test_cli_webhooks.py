"""`birge api-token webhook`: register an integration's webhook and print its secret once, or
clear it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlmodel import Session
from standardwebhooks import Webhook

from models.core.base import utcnow
from models.core.db import make_engine
from tests.factories import make_district
from web.cli import main

PUBLIC_URL = "https://93.184.215.14/hooks/birge"  # an address: no DNS needed


@pytest.fixture
def cli(tmp_path: Path) -> Callable[..., Result]:
    env = {
        "BIRGE_INSTANCE_PATH": str(tmp_path / "instance"),
        "BIRGE_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}",
        "BIRGE_SECRET_KEY": "cli-secret-key-0123456789",
        "BIRGE_BASE_URL": "https://birge.district.kz",
    }

    def invoke(*args: str, **extra_env: str) -> Result:
        return CliRunner().invoke(main, list(args), env=env | extra_env)

    assert invoke("db", "upgrade").exit_code == 0
    engine = make_engine(env["BIRGE_DATABASE_URL"])
    with Session(engine) as session:
        district_id = make_district(session).row.id
        session.commit()
    engine.dispose()
    created = invoke("api-token", "create", "helpline-111", "--district", str(district_id))
    assert created.exit_code == 0, created.output
    return invoke


def test_registering_a_webhook_prints_its_secret_once_on_the_last_line(
    cli: Callable[..., Result],
) -> None:
    result = cli("api-token", "webhook", "helpline-111", PUBLIC_URL)
    assert result.exit_code == 0, result.output
    secret = result.output.splitlines()[-1]
    assert secret.startswith("whsec_")
    Webhook(secret).sign("msg", utcnow(), b"{}")  # a secret the receiver's package takes
    listed = cli("api-token", "list")
    assert f"webhook={PUBLIC_URL}" in listed.output and secret not in listed.output

    again = cli("api-token", "webhook", "helpline-111", PUBLIC_URL)
    assert again.output.splitlines()[-1] != secret  # a new secret each time

    cleared = cli("api-token", "webhook", "helpline-111", "--clear")
    assert cleared.exit_code == 0 and "cleared" in cleared.output
    assert "webhook=none" in cli("api-token", "list").output


def test_a_url_against_the_rule_or_an_unknown_name_stops_with_one_line(
    cli: Callable[..., Result],
) -> None:
    loopback = "http://127.0.0.1:8421/hook"
    for args, message in (
        (("helpline-111", loopback), "https://"),
        (("helpline-111", "https://10.0.0.8/hook"), "private, loopback"),
        (("helpline-111", "https://user:pw@93.184.215.14/"), "no user name or password"),
        (("nobody", PUBLIC_URL), "No live integration"),
    ):
        result = cli("api-token", "webhook", *args)
        assert result.exit_code == 1 and message in result.output, result.output
        assert len(result.output.splitlines()) == 1
    assert "webhook=none" in cli("api-token", "list").output

    allowed = cli(
        "api-token", "webhook", "helpline-111", loopback, BIRGE_WEBHOOK_ALLOW_LOOPBACK="1"
    )
    assert allowed.exit_code == 0, allowed.output

    assert cli("api-token", "webhook", "helpline-111").exit_code == 2  # neither URL nor --clear
    both = cli("api-token", "webhook", "helpline-111", PUBLIC_URL, "--clear")
    assert both.exit_code == 2
