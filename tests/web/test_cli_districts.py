"""`birge district create/list`, and `--district` where a slug alone names several agencies."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from web.cli import main


@pytest.fixture
def cli(tmp_path: Path) -> Callable[..., Result]:
    env = {
        "BIRGE_INSTANCE_PATH": str(tmp_path / "instance"),
        "BIRGE_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}",
        "BIRGE_SECRET_KEY": "cli-secret-key-0123456789",
        "BIRGE_BASE_URL": "https://birge.region.kz",
    }

    def invoke(*args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(main, list(args), env=env, input=input)

    assert invoke("db", "upgrade").exit_code == 0
    assert invoke("demo").exit_code == 0
    return invoke


def test_a_district_is_created_listed_and_given_its_first_administrator(
    cli: Callable[..., Result],
) -> None:
    made = cli(
        "district", "create", "--region", "Западно-Казахстанская область",
        "--region-kk", "Батыс Қазақстан облысы", "--name-ru", "Теректинский район",
        "--name-kk", "Теректі ауданы", "--case-prefix", "trk",
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    district_id = made.output.splitlines()[-1]
    assert district_id.isdigit()
    listed = cli("district", "list").output.splitlines()
    # The demo's two districts, then the new one, in the demo's region.
    assert [line.split()[0] for line in listed] == ["1", "2", district_id]
    assert listed[2].startswith(f"{district_id} TRK region='Западно-Казахстанская область'")
    assert "name='Теректинский район' agencies=1" in listed[2]

    # Both districts have an akimat now: the slug alone is not enough, and says so.
    password = "a long enough password\n"
    bare = cli("user", "create", "admin@terekti.kz", "--agency", "akimat", "--role", "admin",
               input=password)  # fmt: skip
    assert bare.exit_code == 1 and "add --district ID" in bare.output
    first = cli("user", "create", "admin@terekti.kz", "--agency", "akimat", "--role", "admin",
                "--district", district_id, input=password)  # fmt: skip
    assert first.exit_code == 0, first.output
    assert "created user admin@terekti.kz (admin, akimat)" in first.output
    elsewhere = cli("user", "create", "x@terekti.kz", "--agency", "police", "--role", "member",
                    "--district", district_id, input=password)  # fmt: skip
    assert elsewhere.exit_code == 1
    assert f"no agency with slug 'police' in district {district_id}" in elsewhere.output

    assert cli("feed-url", "akimat").exit_code == 1
    own = cli("feed-url", "akimat", "--district", district_id).output.strip()
    assert own.startswith("https://birge.region.kz/calendars/")
    every = dict(line.rsplit(" ", 1) for line in cli("feed-url").output.splitlines())
    assert every[f"{district_id} akimat"] == own and "1 police" in every
    one_district = cli("feed-url", "--district", "1").output.splitlines()
    assert {line.split()[0] for line in one_district} >= {"akimat", "police"}


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--case-prefix", "D"], "case_prefix: Another district's case codes start so already."),
        (["--case-prefix", "D1"], "case_prefix: A case-code prefix is one to four Latin capitals"),
        (["--case-prefix", "B", "--timezone", "Mars/Olympus"], "timezone: This time zone"),
    ],
)
def test_a_bad_district_is_one_line_and_nothing_is_made(
    cli: Callable[..., Result], args: list[str], said: str
) -> None:
    refused = cli("district", "create", "--region", "Область", "--name-ru", "Р", "--name-kk", "А",
                  *args)  # fmt: skip
    assert refused.exit_code == 1 and said in refused.output
    assert len(cli("district", "list").output.splitlines()) == 2  # the demo's


def test_accounts_above_the_districts_are_made_with_their_region_or_none(
    cli: Callable[..., Result],
) -> None:
    password = "a long enough password\n"
    viewer = cli("user", "create", "ombudsman@oblast.kz", "--role", "regional",
                 "--region", "батыс қазақстан облысы", input=password)  # fmt: skip
    assert viewer.exit_code == 0, viewer.output
    assert "(regional, Западно-Казахстанская область)" in viewer.output
    deployment = cli("user", "create", "ops@birge.kz", "--role", "deployment", input=password)
    assert deployment.exit_code == 0 and "(deployment, the deployment)" in deployment.output
    for args, said in (
        (["--role", "regional"], "a regional viewer belongs to a region"),
        (["--role", "regional", "--region", "Марс"], "there is no region 'Марс'"),
        (["--role", "member"], "a user of role member belongs to an agency of a district"),
        (["--role", "deployment", "--agency", "akimat", "--district", "1"], "no agency and no"),
    ):
        refused = cli("user", "create", "x@y.kz", *args, input=password)
        assert refused.exit_code == 1 and said in refused.output, (args, refused.output)
