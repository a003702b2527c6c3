"""A national deployment beside one district: the tick's cost per due item, the chair's home
page and the regional view under 32 clients, and the next migration's time; prints figures,
asserts nothing but that the tick sent what was due.

    .venv/bin/python bench/national.py [--scale 1.0] [--rounds 11] [--http-rounds 3]
                                       [--duration 60] [--connections 32] [--workers 5]

Two throwaway databases on the tests' PostgreSQL server (BIRGE_TEST_DATABASE_URL; both dropped
at the end), migrated to the revision before the newest and seeded by the same code
(bench/national_seed.py): the national one with 200 districts in 17 regions (7,000 schools,
each with a monthly council series; 85,000 sittings, 50,000 cases and 200,000 tasks a year; a
million outbox rows of the last 89 days), the other with one district of the same size.
--scale 0.1 seeds 20 districts, for a quick try; a district's size does not change.

1. ``birge db upgrade`` to the newest revision is timed on each (the command itself, run
   again with nothing to do, is printed beside it).
2. The tick (``workers.runtime.tick``, stub broker; pruning timed apart) after the same items
   were made due in each, in every district by turns: tasks past their due moment, meetings an
   hour away, emails whose retry has come. --rounds interleaved rounds after a warm-up; the
   best round's milliseconds per email nudged (every round is printed); on the national
   database also with the same items due in one district (what the number of districts
   costs, apart from the tables' size); and a tick with nothing due.
3. gunicorn (--workers sync processes, as bench/portal.py) on each database, and wrk -c 32
   on the chair's home page ``/`` (the chair of a district in the middle of the country) and on
   the regional view ``/region`` (a regional viewer of that district's region), where the
   schema has regional viewers: 5 s to warm up, then --http-rounds interleaved rounds of
   --duration seconds; the best round's p95 (every round is printed). A round of a minute
   holds the one moment a minute when every process renders the kept page parts again (they
   are kept per minute of the clock): the part of the p95 that the database's size can move.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

from alembic.script import ScriptDirectory
from national_due import Due, make_due
from national_report import Database, print_report
from national_seed import DOMAIN, PASSWORD, ZONE, Sizes, chair_email, seed
from page_load import check_page, load_page, serve_portal, sign_in
from scaffold import create_database, drop_database, make_settings, timed_tick
from sqlalchemy import text
from sqlmodel import Session

import migrations
from calendars.workdays import WorkCalendar
from models.core.db import make_engine
from models.tick import prune_old_rows
from workers.runtime import build_runtime

HERE = Path(__file__).resolve().parent
BIRGE = Path(sys.executable).with_name("birge")
NATIONAL, ONE = "national", "one district"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0, help="of the 200 districts")
    parser.add_argument("--rounds", type=int, default=11, help="timed ticks per database")
    parser.add_argument("--due-tasks", type=int, default=Due.tasks)
    parser.add_argument("--due-meetings", type=int, default=Due.meetings)
    parser.add_argument("--due-emails", type=int, default=Due.emails)
    parser.add_argument("--http-rounds", type=int, default=3)
    # A minute: the pages' kept parts are rendered again at each minute of the clock, and a
    # round of a minute holds one such render per process, as a minute of use does.
    parser.add_argument("--duration", type=int, default=60, help="seconds of a counted round")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=5, help="gunicorn sync processes")
    parser.add_argument(
        "--upgrade-from",
        metavar="REVISION",
        help="seed at REVISION (default: the one before "
        "the newest) and time the upgrade from it to the newest",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install wrk")

    load_before = os.getloadavg()
    national_sizes = Sizes(districts=max(2, round(Sizes.districts * args.scale)))
    national_sizes = Sizes(
        districts=national_sizes.districts, regions=min(Sizes.regions, national_sizes.districts)
    )
    databases = [
        Database(NATIONAL, f"birge_bench_national_{os.getpid()}", national_sizes),
        Database(ONE, f"birge_bench_one_{os.getpid()}", national_sizes.one_district()),
    ]
    due = Due(args.due_tasks, args.due_meetings, args.due_emails)
    moment = _tick_moment()
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        for db in databases:
            db.url = create_database(db.name)
            stack.callback(drop_database, db.name)
        previous, head = _revisions(databases[0].url)
        previous = args.upgrade_from or previous
        for db in databases:
            _seed(db, previous, moment, Path(tmp) / db.name)
            stack.callback(db.engine.dispose)  # type: ignore[union-attr]
        for db in databases:
            _upgrade(db, Path(tmp) / db.name)
        regional = all(_add_regional_viewers(db) for db in databases)
        _tick_rounds(databases, due, moment, args.rounds)
        if args.http_rounds:
            _http_rounds(databases, args, tmp, regional=regional)
    print_report(databases, due, args, (previous, head), regional, (load_before, os.getloadavg()))


def _tick_moment() -> datetime:
    """11:00 in Almaty on the next working day from tomorrow: the tick plans task emails only
    inside working hours, and the districts' digests of that day are planned already."""
    calendar = WorkCalendar(zone=ZONE)
    day = (datetime.now(ZONE) + timedelta(days=1)).date()
    while not calendar.is_working_day(day):
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, 11, 0, tzinfo=ZONE).astimezone(UTC)


def _revisions(url: str) -> tuple[str, str]:
    """The revision before the newest, and the newest."""
    script = ScriptDirectory.from_config(migrations.alembic_config(url))
    head = script.get_current_head()
    assert head is not None
    previous = script.get_revision(head).down_revision
    assert isinstance(previous, str), previous
    return previous, head


def _seed(db: Database, revision: str, moment: datetime, instance: Path) -> None:
    instance.mkdir()
    db.settings = make_settings(db.url, str(instance))
    migrations.upgrade(db.url, revision)
    db.engine = make_engine(db.url)
    print(f"seeding {db.label} ({db.sizes.districts} districts) ...", flush=True)
    started = time.perf_counter()
    db.rows = seed(db.engine, db.settings, db.sizes, moment)
    db.seed_seconds = time.perf_counter() - started
    db.chair_district = (db.sizes.districts + 1) // 2
    with db.engine.connect() as conn:
        db.region = conn.execute(
            text("SELECT region_id FROM district WHERE id = :d"), {"d": db.chair_district}
        ).scalar_one()
    print(f"  {db.seed_seconds:.0f} s: {db.rows}", flush=True)


def _cli_env(db: Database, instance: Path) -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("BIRGE_")} | {
        "BIRGE_DATABASE_URL": db.url,
        "BIRGE_INSTANCE_PATH": str(instance),
        "BIRGE_SECRET_KEY": "bench-secret-key-0123456789",
    }


def _upgrade(db: Database, instance: Path) -> None:
    """Time ``birge db upgrade`` to the newest revision, then the same command with nothing
    left to do (what the command costs around the migration)."""
    assert db.engine is not None
    db.engine.dispose()  # no connection of ours in the migration's way
    timings = []
    for _ in range(2):
        started = time.perf_counter()
        subprocess.run(  # noqa: S603 - our own argv
            [str(BIRGE), "db", "upgrade"],
            env=_cli_env(db, instance),
            check=True,
            capture_output=True,
        )
        timings.append(time.perf_counter() - started)
    db.upgrade_seconds, db.noop_upgrade_seconds = timings
    print(f"  {db.label}: birge db upgrade {db.upgrade_seconds:.1f} s", flush=True)


def _add_regional_viewers(db: Database) -> bool:
    """A regional viewer of each region (no agency), where the schema knows them; say so."""
    assert db.engine is not None
    with db.engine.begin() as conn:
        has_region = conn.execute(
            text(
                "SELECT 1 FROM information_schema.columns "
                "WHERE table_name = 'user_account' AND column_name = 'region_id'"
            )
        ).first()
        if has_region is None:
            return False
        conn.execute(
            text(
                f"""
                INSERT INTO user_account (agency_id, region_id, email, full_name,
                    password_hash, role, locale, active, created_at)
                SELECT NULL, r.id, 'regional.r' || r.id || '@{DOMAIN}', 'Региональный наблюдатель',
                    (SELECT password_hash FROM user_account LIMIT 1), 'regional', 'ru', true,
                    now()
                FROM region r
                """  # noqa: S608 - our own constant
            )
        )
    return True


def _tick_rounds(databases: list[Database], due: Due, moment: datetime, rounds: int) -> None:
    """A warm-up tick, then *rounds* interleaved: on each database the same items made due,
    one tick timed (pruning apart); on the national one, the same items due in the chair's
    district alone and a tick; then one with nothing due. Last, one pruning pass each."""
    runtimes = {}
    for db in databases:
        assert db.settings is not None and db.engine is not None
        runtimes[db.label] = build_runtime(db.settings, engine=db.engine)
        runtimes[db.label].next_prune_at = float("inf")  # timed below, on its own
    try:
        for round_ in range(rounds + 1):
            order = databases if round_ % 2 == 0 else databases[::-1]
            now = moment + timedelta(minutes=round_)
            for db in order:
                runtime = runtimes[db.label]
                make_due(runtime.engine, due, now, f"r{round_}")
                nudged, ms = timed_tick(runtime, now)
                assert nudged == due.items, (db.label, nudged, due.items)
                if db.sizes.districts > 1:  # the same items, due in the chair's district alone
                    later = now + timedelta(seconds=20)
                    make_due(runtime.engine, due, later, f"r{round_}-one", [db.chair_district])
                    one_nudged, one_ms = timed_tick(runtime, later)
                    assert one_nudged == due.items, (db.label, one_nudged, due.items)
                    if round_:
                        db.tick_one_district_ms_per_item.append(one_ms / one_nudged)
                _, empty_ms = timed_tick(runtime, now + timedelta(seconds=40))
                if round_:
                    db.tick_ms_per_item.append(ms / nudged)
                    db.empty_tick_ms.append(empty_ms)
                print(f"  tick {db.label} round {round_}: {ms:.0f} ms for {nudged}", flush=True)
        for db in databases:
            runtime = runtimes[db.label]
            with Session(runtime.engine) as session:
                started = time.perf_counter()
                settings = runtime.settings
                prune_old_rows(session, settings, now=moment, batch=settings.prune_batch)
                db.prune_ms = (time.perf_counter() - started) * 1000
    finally:
        for runtime in runtimes.values():
            runtime.close()


def _http_rounds(
    databases: list[Database], args: argparse.Namespace, tmp: str, *, regional: bool
) -> None:
    """Serve each database under gunicorn; load each page on each, interleaved."""
    with ExitStack() as stack:
        bases = {}
        for db in databases:
            instance = Path(tmp) / db.name
            env = _cli_env(db, instance) | {
                "BIRGE_BROKER_URL": "stub://",
                "BIRGE_BASE_URL": "http://birge.bench",
                "PYTHONPATH": str(HERE.parent),
            }
            bases[db.label] = stack.enter_context(serve_portal(env, args.workers))
        targets: list[tuple[Database, str, str, str]] = []  # db, page, url, cookie
        for db in databases:
            base = bases[db.label]
            who = {"chair /": (chair_email(db.chair_district), "/")}
            if regional:
                who["regional /region"] = (f"regional.r{db.region}@{DOMAIN}", "/region")
            for page, (email, path) in who.items():
                cookie = sign_in(base, email, PASSWORD)
                check_page(base + path, cookie)
                targets.append((db, page, base + path, cookie))
                load_page(base + path, cookie, 5, args.connections)  # warm-up, not counted
        for round_ in range(args.http_rounds):
            order = targets if round_ % 2 == 0 else targets[::-1]
            for db, page, url, cookie in order:
                figures = load_page(url, cookie, args.duration, args.connections)
                db.pages.setdefault(page, []).append(figures)
                print(f"  {page} {db.label} round {round_}: p95 {figures['p95']:.1f} ms",
                      flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
