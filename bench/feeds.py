"""Benchmark published feeds for an agency with 10,000 meetings and 2,000 task deadlines on
PostgreSQL; prints figures.

    .venv/bin/python bench/feeds.py [--meetings 10000] [--tasks 2000] [--seconds 4] [--rounds 3]
                                    [--connections 16]
                                    [--server postgresql://postgres@127.0.0.1:5432/postgres]

It creates a throwaway database on --server (dropped at the end), loads the demo district,
adds the meetings and task deadlines to the police, and measures:

1. building the police feed from scratch (empty render cache) and rebuilding it after one
   meeting changed (warm cache), each as the publishing actor does it, file write included;
2. with wrk, requests/s and p50/p99 latency of GET and of the 304 path (If-None-Match) for
   nginx serving a plain copy of the feed's bytes, nginx serving the published directory
   (the README's location), Birge's web under gunicorn, and a bare Flask route returning the
   same bytes under the same gunicorn settings. All of it in one run, on loopback ports.

nginx-light and wrk are installed with apt-get when missing. Asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

import psycopg
from http_load import Load, ensure_tools, gunicorn, nginx, wrk
from sqlalchemy import insert, select, update
from sqlmodel import Session, col

import migrations
from calendars.feed import EventCache
from models.core.base import utcnow
from models.core.db import make_engine
from models.core.settings import Settings, load_settings
from models.demo.district import load_demo
from models.feeds.marks import mark_feeds_dirty
from models.feeds.tokens import FeedToken, feed_token
from models.meetings.tables import Meeting, MeetingAgency
from models.people.tables import Agency
from models.tasks.tables import Task
from workers.feed_publisher import FeedPublisher
from workers.feed_store import FeedStore

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--meetings", type=int, default=10_000)
    parser.add_argument("--tasks", type=int, default=2_000, help="open task deadlines")
    parser.add_argument("--seconds", type=int, default=4, help="length of each wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds per target")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="nginx and gunicorn workers")
    parser.add_argument(
        "--server",
        default=os.environ.get(
            "BIRGE_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
        help="PostgreSQL server to create the throwaway database on",
    )
    args = parser.parse_args()
    ensure_tools()

    name = f"birge_bench_{os.getpid()}"
    with psycopg.connect(args.server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    work = Path(tempfile.mkdtemp(prefix="birge-bench-"))
    work.chmod(0o755)  # nginx's workers run as nobody: they open files by name only
    try:
        url = args.server.rsplit("/", 1)[0] + f"/{name}"
        settings = load_settings(
            {
                "BIRGE_INSTANCE_PATH": str(work / "instance"),
                "BIRGE_DATABASE_URL": url,
                "BIRGE_SECRET_KEY": "bench-secret-key-0123456789",
                "BIRGE_FEEDS_PATH": str(work / "feeds"),
            }
        )
        token = _prepare(settings, args.meetings, args.tasks)
        published = _measure_builds(settings, args.meetings, args.tasks)
        _measure_http(settings, work, token, published, args)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        with psycopg.connect(args.server, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _prepare(settings: Settings, count: int, tasks: int) -> str:
    migrations.upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    with Session(engine, expire_on_commit=False) as session:
        load_demo(session, settings)
        police = session.scalars(select(Agency).where(col(Agency.slug) == "police")).one()
        school = session.scalars(select(Agency).where(col(Agency.slug) == "school-12")).one()
        now = utcnow()
        rows = []
        for n in range(count):
            starts = now + timedelta(days=1 + n % 300, hours=n % 8)
            rows.append(
                {
                    "uid": f"bench-{n}@birge",
                    "district_id": police.district_id,
                    "kind": "prevention_council",
                    "title": f"Совет профилактики № {n}",
                    "starts_at": starts,
                    "ends_at": starts + timedelta(hours=1),
                    "location": "Школа № 12, кабинет 204",
                    "organizer_agency_id": school.id,
                    "status": "scheduled",
                    "sequence": 0,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        session.execute(insert(Meeting), rows)
        ids = session.scalars(select(col(Meeting.id)).where(col(Meeting.uid).like("bench-%")))
        links = [{"meeting_id": i, "agency_id": a} for i in ids for a in (police.id, school.id)]
        session.execute(insert(MeetingAgency), links)
        deadlines = [
            {
                "district_id": police.district_id,
                "origin": "manual",
                "title": f"Представить акт обследования № {n}",
                "responsible_agency_id": police.id,
                "due_at": now + timedelta(days=1 + n % 200),
                "status": "open",
                "note": "",
                "cancel_reason": "",
                "created_at": now,
                "sequence": 0,
            }
            for n in range(tasks)
        ]
        if deadlines:
            session.execute(insert(Task), deadlines)
        token = feed_token(session, police, settings.secret_key)
        session.commit()
    engine.dispose()
    return token


def _measure_builds(settings: Settings, count: int, tasks: int) -> bytes:
    engine = make_engine(settings.database_url)
    publisher = FeedPublisher(settings, engine, FeedStore(settings.feeds_path))
    with Session(engine) as session:
        feed_id = session.scalars(
            select(col(FeedToken.id)).where(col(FeedToken.revoked_at).is_(None))
        ).first()
        police_id = session.scalars(
            select(col(Agency.id)).where(col(Agency.slug) == "police")
        ).one()
    assert feed_id is not None
    full = []
    for _ in range(3):
        publisher.cache = EventCache()
        started = time.perf_counter()
        publisher.publish(feed_id)
        full.append(time.perf_counter() - started)
    incremental = []
    for n in range(5):
        with Session(engine) as session:
            session.execute(
                update(Meeting)
                .where(col(Meeting.uid) == f"bench-{n * 97}@birge")
                .values(
                    title=f"Совет профилактики (перенесён {n})",
                    sequence=Meeting.sequence + 1,
                    updated_at=utcnow(),
                )
            )
            mark_feeds_dirty(session, agency_ids=[police_id])
            session.commit()
        started = time.perf_counter()
        publisher.publish(feed_id)
        incremental.append(time.perf_counter() - started)
    body = next(iter(settings.feeds_path.glob("*.ics"))).read_bytes()
    engine.dispose()
    full_ms = statistics.median(full) * 1000
    inc_ms = statistics.median(incremental) * 1000
    print(
        f"database: PostgreSQL; police feed: {count} meetings and {tasks} task deadlines,"
        f" {len(body) / 1e6:.1f} MB"
    )
    print(f"full build (empty cache), median of 3 : {full_ms:8.1f} ms")
    print(f"rebuild after one change, median of 5  : {inc_ms:8.1f} ms")
    print(f"rebuild / full build                   : {inc_ms / full_ms:8.3f}  (goal <= 0.05)")
    return body


def _measure_http(
    settings: Settings, work: Path, token: str, body: bytes, args: argparse.Namespace
) -> None:
    plain = work / "plain"
    plain.mkdir()
    (plain / "feed.ics").write_bytes(body)
    (plain / "feed.ics").chmod(0o644)
    plain.chmod(0o755)
    feed_path = f"/calendars/{token}.ics"
    env = {
        **os.environ,
        "BIRGE_INSTANCE_PATH": str(settings.instance_path),
        "BIRGE_DATABASE_URL": settings.database_url,
        "BIRGE_SECRET_KEY": settings.secret_key,
        "BIRGE_FEEDS_PATH": str(settings.feeds_path),
        "BIRGE_BROKER_URL": "stub://",
        "BENCH_FEED_FILE": str(plain / "feed.ics"),
        "PYTHONPATH": str(ROOT),
    }
    with (
        gunicorn("web:create_app()", env, feed_path, workers=args.workers) as web_port,
        gunicorn("bench.bare_app:create_app()", env, feed_path, workers=args.workers) as bare,
        nginx(
            work,
            feeds=settings.feeds_path,
            plain=plain,
            web_port=web_port,
            probe_path=feed_path,
            workers=args.workers,
        ) as port,
    ):
        web_url = f"http://127.0.0.1:{web_port}{feed_path}"
        assert _etag(f"http://127.0.0.1:{port}{feed_path}") == _etag(web_url), (
            "nginx and the web disagree on the ETag"
        )
        targets = [
            ("nginx, plain copy", f"http://127.0.0.1:{port}/plain/feed.ics", True),
            ("nginx, published directory", f"http://127.0.0.1:{port}{feed_path}", True),
            ("gunicorn, Birge's feed route", web_url, True),
            ("gunicorn, bare Flask route", f"http://127.0.0.1:{bare}{feed_path}", False),
        ]
        for _label, url, _conditional in targets:
            wrk(url, seconds=1, connections=args.connections)  # warm every worker up
        # The machine is shared: interleave the targets round by round and keep each one's
        # best round, so that a burst of someone else's work does not decide a comparison.
        rounds: dict[str, list[tuple[Load, Load | None]]] = {label: [] for label, *_ in targets}
        for n in range(args.rounds):
            for label, url, conditional in targets[n % 2 :] + targets[: n % 2]:
                get = wrk(url, seconds=args.seconds, connections=args.connections)
                cached = (
                    wrk(
                        url,
                        seconds=args.seconds,
                        connections=args.connections,
                        headers={"If-None-Match": _etag(url)},
                    )
                    if conditional
                    else None
                )
                rounds[label].append((get, cached))
        # The 304's own latency, without queueing behind other clients: one at a time.
        alone = wrk(
            web_url, seconds=args.seconds, connections=1, headers={"If-None-Match": _etag(web_url)}
        )
    results: list[tuple[str, Load, Load | None]] = []
    for label, measured in rounds.items():
        best_get = max((get for get, _ in measured), key=lambda load: load.requests_per_second)
        cached_runs = [cached for _, cached in measured if cached is not None]
        best_cached = max(cached_runs, key=lambda load: load.requests_per_second, default=None)
        results.append((label, best_get, best_cached))

    print(
        f"\nwrk: {args.connections} connections, {args.seconds} s each, best of {args.rounds}"
        " interleaved rounds, "
        f"{args.workers} nginx / gunicorn workers, {len(body) / 1e6:.1f} MB body"
    )
    head = f"{'GET req/s':>10} {'p50 ms':>8} {'p99 ms':>8}"
    print(f"{'':30} {head}   {head.replace('GET', '304')}")
    for label, get, cached in results:
        line = f"{label:30} {_row(get)}"
        if cached is not None:
            line += f"   {_row(cached)}"
        if get.non_2xx_3xx or (cached and cached.non_2xx_3xx):
            line += "  (errors!)"
        print(line)
    by = {label: (get, cached) for label, get, cached in results}
    plain_get, plain_304 = by["nginx, plain copy"]
    pub_get, pub_304 = by["nginx, published directory"]
    web_get, web_304 = by["gunicorn, Birge's feed route"]
    bare_get, _ = by["gunicorn, bare Flask route"]
    assert plain_304 and pub_304 and web_304
    get_ratio = pub_get.requests_per_second / plain_get.requests_per_second
    cached_ratio = pub_304.requests_per_second / plain_304.requests_per_second
    web_ratio = web_get.requests_per_second / bare_get.requests_per_second
    print(
        f"\nnginx published / plain copy:      GET {get_ratio:.2f}x, 304 {cached_ratio:.2f}x"
        " (goal 1.0x)"
    )
    print(f"gunicorn Birge / bare Flask route: GET {web_ratio:.2f}x (goal >= 0.5x)")
    print(
        f"304 through Birge's web: p50 {web_304.p50_ms:.2f} ms, p99 {web_304.p99_ms:.2f} ms with"
        f" {args.connections} connections; p50 {alone.p50_ms:.2f} ms, p99 {alone.p99_ms:.2f} ms"
        " with one (goal < 5 ms)"
    )


def _row(load: Load) -> str:
    return f"{load.requests_per_second:>10.1f} {load.p50_ms:>8.2f} {load.p99_ms:>8.2f}"


def _etag(url: str) -> str:
    request = urllib.request.Request(url, method="HEAD")  # noqa: S310 - loopback
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
        return str(response.headers["ETag"])


if __name__ == "__main__":
    sys.exit(main())
