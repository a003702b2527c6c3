"""Measure the intake API end to end: reports received per second into PostgreSQL; prints
figures, asserts nothing.

    .venv/bin/python bench/intake.py [--workers 4] [--connections 16] [--seconds 5] [--rounds 3]

It creates a throwaway database on the tests' PostgreSQL server (BIRGE_TEST_DATABASE_URL;
dropped at the end), migrates it, adds a district with the statutory rules and an integration
token, and serves the real application under gunicorn (--workers processes of 4 threads, as
bench/http_load.py starts it). wrk (Debian's package) POSTs reports to /api/v1/reports from
--connections clients, each report with a reference and an Idempotency-Key of its own
(bench/wrk_intake.lua): each one opens a case with its restricted part, its statutory tasks
and their escalation plan, audit events and whatever outbox rows intake writes, committed
before the answer (the rows are counted and printed per report). Beside it, the ceiling: the same
requests to a bare Flask route under the same gunicorn that inserts one row through the same
driver (bench/bare_intake.py). After a warm-up, the two are loaded in --rounds interleaved
rounds of --seconds each, so that a burst of another process on a shared machine does not
decide the comparison; each one's best round is printed, with their ratio, the rows one
report wrote and the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bare_intake import REPORTS
from http_load import Load, gunicorn, wrk
from scaffold import add_people, create_database, drop_database
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

import migrations
from models.cases.tables import Case, CaseRestricted
from models.core.audit import AuditEvent
from models.core.db import make_engine
from models.core.marks import install_change_marks
from models.core.settings import load_settings
from models.integrations.idempotency import IdempotencyKey
from models.integrations.tokens import create_integration
from models.outbox.notifications import Notification
from models.tasks.rules import seed_default_rules
from models.tasks.tables import Task

HERE = Path(__file__).resolve().parent
SCRIPT = HERE / "wrk_intake.lua"
PATH = "/api/v1/reports"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn processes, each")
    parser.add_argument("--connections", type=int, default=16, help="concurrent clients")
    parser.add_argument("--seconds", type=int, default=5, help="length of each counted round")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds per target")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install wrk")

    load_before = os.getloadavg()
    name = f"birge_bench_intake_{uuid.uuid4().hex[:8]}"
    database_url = create_database(name)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            env = {k: v for k, v in os.environ.items() if not k.startswith("BIRGE_")} | {
                "BIRGE_INSTANCE_PATH": tmp,
                "BIRGE_DATABASE_URL": database_url,
                "BIRGE_SECRET_KEY": "bench-secret-key-0123456789",
                "BIRGE_BASE_URL": "http://birge.bench",
                "BIRGE_BROKER_URL": "stub://",
                # The limit is the API's own guard; here it must not be what is measured.
                "BIRGE_API_REQUESTS_PER_MINUTE": "100000",
                "PYTHONPATH": str(HERE.parent),
            }
            settings = load_settings(env)
            migrations.upgrade(settings.database_url)
            engine = make_engine(settings.database_url)
            token = _prepare(engine)
            results = _measure(env, token, args)
            rows = _rows_written(engine)
            engine.dispose()
    finally:
        drop_database(name)
    _print(results, rows, args, load_before, os.getloadavg())


def _prepare(engine: Engine) -> str:
    """Add the district (education and police, the statutory rules), the ceiling's table and
    an integration; return its token."""
    install_change_marks()  # as every process that writes does
    REPORTS.metadata.create_all(engine)
    with Session(engine) as session:
        district, _agencies = add_people(session, users_per_agency=3)
        seed_default_rules(session)
        issued = create_integration(session, name="helpline-111", district_id=district.id or 0)
        session.commit()
        return issued.token


def _measure(env: dict[str, str], token: str, args: argparse.Namespace) -> dict[str, Load]:
    """Serve both targets; return each one's best round."""
    received_at = (datetime.now(UTC) - timedelta(hours=1)).isoformat(timespec="seconds")
    with (
        gunicorn("web:create_app()", env, "/healthz", workers=args.workers) as birge_port,
        gunicorn("bench.bare_intake:create_app()", env, "/healthz", workers=args.workers) as bare,
    ):
        targets = {
            "Birge POST /api/v1/reports": f"http://127.0.0.1:{birge_port}{PATH}",
            "bare Flask route, one INSERT": f"http://127.0.0.1:{bare}{PATH}",
        }
        for label, url in targets.items():
            _check(url, token, received_at, label)
            # Every worker process's first connections, imports and templates: not counted.
            _load(url, 2, args.connections, (token, received_at, f"warm-{label[:5]}"))
        rounds: dict[str, list[Load]] = {label: [] for label in targets}
        for n in range(args.rounds):
            order = list(targets.items())
            for label, url in order[n % 2 :] + order[: n % 2]:
                prefix = f"r{n}-{label[:5]}"
                rounds[label].append(
                    _load(url, args.seconds, args.connections, (token, received_at, prefix))
                )
    return {
        label: max(loads, key=lambda load: load.requests_per_second)
        for label, loads in rounds.items()
    }


def _load(url: str, seconds: int, connections: int, script_args: tuple[str, ...]) -> Load:
    return wrk(
        url, seconds=seconds, connections=connections, script=SCRIPT, script_args=script_args
    )


def _check(url: str, token: str, received_at: str, label: str) -> None:
    """Send one report as the script does and stop unless it is received (201): a benchmark of
    refusals would measure nothing."""
    body = {
        "source": "helpline_111",
        "reference": f"check-{label[:5]}",
        "received_at": received_at,
        "category": "violence",
        "receiving_agency": "education",
    }
    request = urllib.request.Request(  # noqa: S310 - loopback
        url,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
            status = response.status
    except urllib.error.HTTPError as exc:
        sys.exit(f"{label} answered {exc.code}: {exc.read().decode()}")
    if status != 201:
        sys.exit(f"{label} answered {status}, not 201")


def _rows_written(engine: Engine) -> dict[str, int]:
    """Count what the reports wrote, table by table."""
    counted: dict[str, type[SQLModel]] = {
        "cases": Case,
        "restricted parts": CaseRestricted,
        "tasks": Task,
        "outbox rows": Notification,
        "audit events": AuditEvent,
        "idempotency keys": IdempotencyKey,
    }
    with Session(engine) as session:
        rows = {
            label: int(session.scalar(select(func.count()).select_from(table)) or 0)
            for label, table in counted.items()
        }
        rows["ceiling rows"] = int(session.scalar(select(func.count()).select_from(REPORTS)) or 0)
    return rows


def _print(
    results: dict[str, Load],
    rows: dict[str, int],
    args: argparse.Namespace,
    load_before: tuple[float, float, float],
    load_after: tuple[float, float, float],
) -> None:
    print(
        f"PostgreSQL; gunicorn --workers {args.workers} (gthread, 4 threads); wrk -c "
        f"{args.connections}, {args.seconds} s rounds, best of {args.rounds} interleaved; "
        f"{os.cpu_count()} CPUs"
    )
    print(f"{'':30} {'reports/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'not 2xx':>8}")
    for label, load in results.items():
        print(
            f"{label:30} {load.requests_per_second:>10.1f} {load.p50_ms:>8.1f} "
            f"{load.p99_ms:>8.1f} {load.non_2xx_3xx:>8}"
        )
    birge, bare = results.values()
    print(f"\nBirge / ceiling: {birge.requests_per_second / bare.requests_per_second:.2f}")
    cases = rows["cases"] or 1
    written = {k: v for k, v in rows.items() if k not in ("cases", "ceiling rows")}
    per_case = ", ".join(f"{count / cases:.1f} {label}" for label, count in written.items())
    print(f"all rounds: {rows['cases']} reports received, each wrote 1 case, {per_case}")
    print(f"            {rows['ceiling rows']} rows inserted by the ceiling")
    print(
        "load average (1, 5, 15 min): "
        f"{' '.join(f'{x:.2f}' for x in load_before)} before, "
        f"{' '.join(f'{x:.2f}' for x in load_after)} after"
    )


if __name__ == "__main__":
    main()
