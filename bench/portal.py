"""Drive the portal's busiest pages under gunicorn with 32 concurrent clients; prints figures.

    .venv/bin/python bench/portal.py [--meetings 100000] [--connections 32] [--duration 10]
                                     [--workers 5] [--change-every 1.0]
                                     [--admin-url postgresql://postgres@127.0.0.1:5432/postgres]

Seeds a PostgreSQL database (``birge_bench_portal``, created on the server of --admin-url and
reused when it already holds the meetings) with the demo district grown to 40 agencies,
--meetings meetings and as many tasks over two years, then measures with ``wrk`` (Debian's
package) the home page, the meeting list and the calendar view's JSON, as the chair and as a
police member: once with nothing changing (every view after the first of a minute is served from
the kept page parts), once while a meeting is changed every --change-every seconds (each change
makes every web process render the parts again).
Beside each figure: a bare Flask app returning the same bytes under the same gunicorn (the
ceiling). Benchmarks print; they assert nothing.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import psycopg
from sqlalchemy import func, insert, select, text
from sqlmodel import Session, col

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from http_load import free_port  # noqa: E402

import migrations  # noqa: E402
from models.core.base import utcnow  # noqa: E402
from models.core.db import make_engine  # noqa: E402
from models.core.settings import load_settings  # noqa: E402
from models.demo.district import DEMO_PASSWORD, load_demo  # noqa: E402
from models.meetings.tables import Meeting, MeetingAgency, MeetingKind  # noqa: E402
from models.people.tables import Agency, AgencyKind  # noqa: E402
from models.tasks.tables import Task  # noqa: E402

DATABASE = "birge_bench_portal"
CHAIR = "deputy.akim@birge.example"
MEMBER = "inspector@birge.example"  # police: in about a quarter of the meetings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--meetings", type=int, default=100_000)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--workers", type=int, default=5)
    parser.add_argument("--change-every", type=float, default=1.0)
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install wrk")

    url = _database(args.admin_url)
    with tempfile.TemporaryDirectory() as tmp:
        env = {key: value for key, value in os.environ.items() if not key.startswith("BIRGE_")} | {
            "BIRGE_INSTANCE_PATH": tmp,
            "BIRGE_DATABASE_URL": url,
            "BIRGE_SECRET_KEY": "bench-secret-key-0123456789",
            "BIRGE_BROKER_URL": "stub://",
        }
        settings = load_settings(env)
        migrations.upgrade(settings.database_url)
        _seed(settings, args.meetings)

        today = utcnow().date()
        start = today.replace(day=1) - timedelta(days=7)
        window = f"start={start}T00:00:00Z&end={start + timedelta(days=42)}T00:00:00Z"
        paths = {"home": "/", "list": "/meetings?page=2", "calendar": f"/calendar/events?{window}"}

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        portal = _gunicorn(["web:create_app()"], port, args.workers, env, HERE.parent)
        try:
            _wait(base + "/healthz")
            cookies = {
                who: _sign_in(base, email) for who, email in (("chair", CHAIR), ("member", MEMBER))
            }
            bodies = {}
            for who, cookie in cookies.items():
                for name, path in paths.items():
                    bodies[(who, name)] = _fetch(base + path, cookie)
            results = {key: _wrk(base + paths[key[1]], cookies[key[0]], args) for key in bodies}
            with _changing(settings, args.change_every) as changes:
                changing = {
                    key: _wrk(base + paths[key[1]], cookies[key[0]], args) for key in bodies
                }
        finally:
            _stop(portal)

        ceiling_dir = Path(tmp) / "ceiling"
        ceiling_dir.mkdir()
        ceiling_results = {}
        for key, (body, kind) in bodies.items():
            # One ceiling app per measured response: the same path answers with its bytes.
            (ceiling_dir / "body").write_bytes(body)
            path = paths[key[1]]
            (ceiling_dir / "index.json").write_text(json.dumps({path: ["body", kind]}))
            ceiling_port = free_port()
            ceiling = _gunicorn(
                ["ceiling:app"],
                ceiling_port,
                args.workers,
                env | {"BENCH_CEILING_DIR": str(ceiling_dir)},
                HERE,
            )
            try:
                _wait(f"http://127.0.0.1:{ceiling_port}{path}")
                ceiling_results[key] = _wrk(f"http://127.0.0.1:{ceiling_port}{path}", "", args)
            finally:
                _stop(ceiling)

    print(
        f"PostgreSQL, {args.meetings} meetings; gunicorn --workers {args.workers}; "
        f"wrk -c {args.connections} -d {args.duration}s; {os.cpu_count()} CPUs"
    )
    for title, figures_by_key in (
        ("nothing changing", results),
        (f"a meeting changed every {args.change_every:g} s ({changes[0]} changes)", changing),
    ):
        _print_table(title, figures_by_key, ceiling_results, bodies)


def _print_table(
    title: str,
    results: dict[tuple[str, str], dict[str, float]],
    ceiling_results: dict[tuple[str, str], dict[str, float]],
    bodies: dict[tuple[str, str], tuple[bytes, str]],
) -> None:
    header = (
        f"{'as':<7}{'page':<9}{'bytes':>8} | {'req/s':>7}{'p50 ms':>8}{'p95 ms':>8}"
        f"{'p99 ms':>8}{'errors':>7} | ceiling {'req/s':>7}{'p50':>6}{'p95':>6}{'p99':>6}"
        f" | {'req/s ratio':>11}"
    )
    print(f"\n{title}")
    print(header)
    print("-" * len(header))
    for key, figures in results.items():
        ceil = ceiling_results[key]
        print(
            f"{key[0]:<7}{key[1]:<9}{len(bodies[key][0]):>8} | {figures['rps']:>7.0f}"
            f"{figures['p50']:>8.1f}{figures['p95']:>8.1f}{figures['p99']:>8.1f}"
            f"{figures['errors']:>7} | "
            f"        {ceil['rps']:>7.0f}{ceil['p50']:>6.1f}{ceil['p95']:>6.1f}{ceil['p99']:>6.1f}"
            f" | {figures['rps'] / ceil['rps']:>11.2f}"
        )


@contextmanager
def _changing(settings: object, every: float) -> Iterator[list[int]]:
    """Change one coming meeting's place every *every* seconds while the block runs, as a
    coordinator would, through the ORM (so the change mark moves); yields the count."""
    count = [0]
    stop = threading.Event()
    engine = make_engine(settings.database_url)  # type: ignore[attr-defined]

    def change() -> None:
        while every > 0 and not stop.wait(every):
            with Session(engine) as session:
                meeting = session.scalars(
                    select(Meeting).where(col(Meeting.starts_at) > utcnow()).limit(1)
                ).one()
                meeting.location = f"Акимат, зал {count[0] % 7 + 1}"
                session.add(meeting)
                session.commit()
            count[0] += 1

    worker = threading.Thread(target=change, daemon=True)
    worker.start()
    try:
        yield count
    finally:
        stop.set()
        worker.join()
        engine.dispose()


def _database(admin_url: str) -> str:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DATABASE}"')
    parts = urllib.parse.urlsplit(admin_url)
    return urllib.parse.urlunsplit(parts._replace(path=f"/{DATABASE}"))


def _seed(settings: object, meetings: int) -> None:
    engine = make_engine(settings.database_url)  # type: ignore[attr-defined]
    with Session(engine, expire_on_commit=False) as session:
        load_demo(session, settings)  # type: ignore[arg-type]
        session.commit()
        district_id = session.scalars(select(Agency.district_id)).first()
        for number in range(100, 128):  # 28 more schools: 40 agencies at the table
            slug = f"school-{number}"
            if session.scalars(select(Agency).where(Agency.slug == slug)).first() is None:
                session.add(
                    Agency(
                        district_id=district_id,  # type: ignore[arg-type]
                        slug=slug,
                        kind=AgencyKind.SCHOOL.value,
                        name_ru=f"Средняя школа № {number}",
                        name_kk=f"№ {number} мектеп",
                        name_en=f"Secondary School No. {number}",
                    )
                )
        session.commit()
        have = session.scalar(select(func.count()).select_from(Meeting)) or 0
        if have >= meetings:
            print(f"reusing {have} meetings in {DATABASE}")
            return
        agencies = {a.slug: a.id for a in session.scalars(select(Agency))}
        print(f"seeding {meetings - have} meetings ...", flush=True)
        started = time.perf_counter()
        _add_meetings(session, district_id or 0, agencies, meetings - have)
        _add_tasks(session, district_id or 0, agencies, meetings - have)
        session.execute(text("ANALYZE"))
        session.commit()
        print(f"seeded in {time.perf_counter() - started:.0f} s", flush=True)
    engine.dispose()


def _add_meetings(session: Session, district_id: int, agencies: dict[str, int], count: int) -> None:
    rng = random.Random(2026)
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    kinds = [k.value for k in MeetingKind]
    slugs = sorted(agencies)
    others = [s for s in slugs if s != "police"]
    next_id = (session.scalar(select(func.max(Meeting.id))) or 0) + 1
    batch_meetings: list[dict[str, object]] = []
    batch_links: list[dict[str, int]] = []
    for i in range(count):
        starts = now + timedelta(hours=rng.randrange(-365 * 24, 365 * 24))
        organizer = rng.choice(slugs)
        invited = set(rng.sample(others, rng.randint(1, 4))) | {organizer}
        if rng.random() < 0.25:
            invited.add("police")
        meeting_id = next_id + i
        batch_meetings.append(
            {
                "id": meeting_id,
                "uid": f"bench-{meeting_id}@birge",
                "district_id": district_id,
                "kind": rng.choice(kinds),
                "title": f"Заседание № {meeting_id}",
                "starts_at": starts,
                "ends_at": starts + timedelta(minutes=90),
                "location": "Акимат, малый зал",
                "organizer_agency_id": agencies[organizer],
                "status": "scheduled",
                "sequence": 0,
                "created_at": now,
                "updated_at": now,
            }
        )
        batch_links += [{"meeting_id": meeting_id, "agency_id": agencies[s]} for s in invited]
        if len(batch_meetings) == 5000 or i == count - 1:
            session.execute(insert(Meeting), batch_meetings)
            session.execute(insert(MeetingAgency), batch_links)
            batch_meetings, batch_links = [], []
    session.execute(text("SELECT setval('meeting_id_seq', (SELECT max(id) FROM meeting))"))


def _add_tasks(session: Session, district_id: int, agencies: dict[str, int], count: int) -> None:
    """As many tasks as meetings: due over the two years, the past ones mostly done."""
    rng = random.Random(2027)
    now = utcnow().replace(second=0, microsecond=0)
    slugs = sorted(agencies)
    rows: list[dict[str, object]] = []
    for i in range(count):
        due = now + timedelta(hours=rng.randrange(-365 * 24, 365 * 24))
        done = due < now and rng.random() < 0.9
        rows.append(
            {
                "district_id": district_id,
                "origin": "manual",
                "title": f"Поручение № {i}",
                "responsible_agency_id": agencies[rng.choice(slugs)],
                "due_at": due,
                "status": "done" if done else "open",
                "note": "",
                "cancel_reason": "",
                "completed_at": due - timedelta(hours=rng.randrange(-48, 96)) if done else None,
                "created_at": now,
            }
        )
        if len(rows) == 5000 or i == count - 1:
            session.execute(insert(Task), rows)
            rows = []


def _gunicorn(
    app: list[str], port: int, workers: int, env: dict[str, str], cwd: Path
) -> subprocess.Popen[bytes]:
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        "--workers",
        str(workers),
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        "--backlog",
        "2048",
        *app,
    ]
    return subprocess.Popen(command, env=env, cwd=cwd)  # noqa: S603 - our own argv


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    process.wait(timeout=30)


def _wait(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - loopback only
                return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"{url} did not answer within 30 s")


def _sign_in(base: str, email: str) -> str:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/login", timeout=10).read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert token is not None
    data = urllib.parse.urlencode(
        {"csrf_token": token.group(1), "email": email, "password": DEMO_PASSWORD}
    ).encode()
    opener.open(base + "/login", data=data, timeout=10).read()
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def _fetch(url: str, cookie: str) -> tuple[bytes, str]:
    request = urllib.request.Request(url, headers={"Cookie": cookie})  # noqa: S310
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback only
        if response.status != 200 or "/login" in response.url:
            sys.exit(f"{url} answered {response.status} at {response.url}: not signed in?")
        return response.read(), response.headers["Content-Type"]


def _wrk(url: str, cookie: str, args: argparse.Namespace) -> dict[str, float]:
    """Drive *url* for 2 s to warm every worker process up (first templates, connections and
    renders; not counted), then for --duration seconds, counted."""
    output = ""
    for length in (2, args.duration):
        command = ["wrk", "-t", "2", "-c", str(args.connections), "-d", f"{length}s"]
        command += ["--timeout", "10s", "-s", str(HERE / "wrk_report.lua")]
        if cookie:
            command += ["-H", f"Cookie: {cookie}"]
        output = subprocess.run(  # noqa: S603 - our own argv
            [*command, url], capture_output=True, text=True, check=True
        ).stdout
    line = next(row for row in output.splitlines() if row.startswith("BENCH "))
    requests, seconds, p50, p95, p99, errors = line.split()[1:]
    return {
        "rps": int(requests) / float(seconds),
        "p50": int(p50) / 1000,
        "p95": int(p95) / 1000,
        "p99": int(p99) / 1000,
        "errors": int(errors),
    }


if __name__ == "__main__":
    main()
