"""The intake API keeps its published contract: Schemathesis reads /api/v1/openapi.json from a
running `birge run` on PostgreSQL and sends it generated reports and case codes, valid and not,
with a real token; every answer must be documented, match its schema, and none may be a 500."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlmodel import Session

from models.core.db import make_engine
from models.core.marks import install_change_marks
from tests import services
from tests.conftest import load_settings_for
from tests.factories import make_district
from tests.processes import BIRGE, birge, wait_until_healthy

pytestmark = pytest.mark.e2e

SCHEMATHESIS = str(Path(sys.executable).with_name("schemathesis"))

#: Every check Schemathesis 4 has but one: `positive_data_acceptance` wants a 2xx for every
#: body the schema allows, and a JSON Schema cannot say "an agency of the token's district" or
#: "received within the last 30 days"; those reports are 422s, which the document declares.
CHECKS = ["--checks", "all", "--exclude-checks", "positive_data_acceptance"]


@pytest.fixture
def served_api(tmp_path: Path, postgres_server: Callable[[str], str]) -> Iterator[tuple[str, str]]:
    """`birge run` on a fresh PostgreSQL database with the test district; yields the URL of the
    OpenAPI document and a token of an integration of that district."""
    database_url = postgres_server("api_contract")
    port = services.free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("BIRGE_")} | {
        "BIRGE_INSTANCE_PATH": str(tmp_path / "instance"),
        "BIRGE_DATABASE_URL": database_url,
        "BIRGE_SECRET_KEY": "contract-secret-key-0123456789",
        # Generated requests come fast; a 429 is declared, but would leave the rest untested.
        "BIRGE_API_REQUESTS_PER_MINUTE": "100000",
    }
    birge(env, "db", "upgrade")
    install_change_marks()
    engine = make_engine(load_settings_for(database_url).database_url)
    with Session(engine) as session:
        district_id = make_district(session).row.id
        session.commit()
    engine.dispose()
    token = birge(env, "api-token", "create", "helpline-111", "--district", str(district_id))
    token = token.strip().splitlines()[-1]
    base_url = f"http://127.0.0.1:{port}"
    with open(tmp_path / "run.log", "w") as log:
        process = subprocess.Popen(
            [BIRGE, "run", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            wait_until_healthy(base_url, {"run": process})
            yield f"{base_url}/api/v1/openapi.json", token
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)


def test_every_answer_of_the_api_keeps_its_openapi_contract(
    served_api: tuple[str, str], tmp_path: Path
) -> None:
    document_url, token = served_api
    result = subprocess.run(
        [
            SCHEMATHESIS, "run", document_url,
            "--header", f"Authorization: Bearer {token}",
            *CHECKS,
            # Bounded and repeatable: 8 to 21 s on the shared 2-CPU machine, the same requests
            # every run.
            "--max-examples", "30",
            "--seed", "2026",
            "--generation-database", "none",
            "--workers", "1",
            "--request-timeout", "10",
            # A loaded machine is slow; how fast is not part of the contract.
            "--suppress-health-check", "too_slow",
            "--no-color",
        ],
        capture_output=True, text=True, timeout=300, check=False, cwd=tmp_path,
    )  # fmt: skip
    # What `birge run` said beside its access log: a traceback names the line that failed.
    said = "".join(
        line
        for line in (tmp_path / "run.log").read_text().splitlines(keepends=True)
        if " INFO werkzeug: " not in line
    )
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}\n--- birge run ---\n{said}"
    assert "Traceback" not in said, said
