"""Measure the notification pipeline; prints figures, asserts nothing.

    .venv/bin/python bench/notifications.py [--emails 10000] [--threads 8] [--processes 1]
        [--tick-sizes 10000 1000000] [--due 100] [--skip-drain] [--skip-tick] [--skip-task-tick]

1. Drain: the scheduler (`birge scheduler`) plans --emails meeting reminders and nudges them
   through RabbitMQ to one `birge worker` process with --threads threads, which sends them to
   a local aiosmtpd sink. Prints emails/s and the p50/p99 latency from due to delivered, and
   beside it the ceiling: a plain smtplib loop on one connection to the same sink.
2. Tick cost: one tick (planning and nudging) with the same number of meetings due, among
   10,000 and among 1,000,000 meetings (and as many sent emails) in PostgreSQL.
3. The same with tasks: --due tasks escalating among 10,000 and 1,000,000 (bench/task_tick.py).

Needs PostgreSQL and RabbitMQ (BIRGE_TEST_DATABASE_URL, BIRGE_TEST_BROKER_URL, as the tests);
it creates and drops its own database and queue.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pika
from aiosmtpd.controller import Controller
from scaffold import (
    BROKER,
    DOMAIN,
    add_people,
    create_database,
    drop_database,
    make_settings,
    print_plan,
    print_ratio,
    throwaway_runtime,
    timed_tick,
)
from smtp_sink import Sink, smtplib_loop
from sqlalchemy import select, text, update
from sqlalchemy.engine import Engine
from sqlmodel import Session
from task_tick import task_tick_cost

import migrations
from models.core.base import utcnow
from models.core.db import make_engine
from models.meetings.tables import Meeting, MeetingAgency
from models.outbox.notifications import Notification, message_id
from models.people.tables import Agency, District
from workers.mail import build_message

BIRGE = str(Path(sys.executable).with_name("birge"))


def add_due_meetings(
    session: Session, district: District, agencies: list[Agency], count: int, due_at: datetime
) -> None:
    """Meetings whose 1 h reminder is due at *due_at*."""
    for number in range(count):
        starts_at = due_at + timedelta(hours=1)
        meeting = Meeting(
            uid=f"due-{uuid.uuid4().hex}@bench",
            district_id=district.id,  # type: ignore[arg-type]
            kind="joint_inspection",
            title=f"Обследование {number}",
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=1),
            location="Кабинет 5",
            organizer_agency_id=agencies[0].id,  # type: ignore[arg-type]
            reminder_due_at=due_at,
        )
        session.add(meeting)
        session.flush()
        for agency in agencies:
            session.add(MeetingAgency(meeting_id=meeting.id, agency_id=agency.id))  # type: ignore[arg-type]
    session.flush()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


# --- 1. drain ------------------------------------------------------------------------------


def drain(emails: int, threads: int, processes_: int = 1) -> None:
    name = f"birge_bench_{uuid.uuid4().hex[:8]}"
    queue = f"birge-bench-{uuid.uuid4().hex[:8]}"
    url = create_database(name)
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    processes: list[subprocess.Popen[bytes]] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            env = {
                **os.environ,
                "BIRGE_INSTANCE_PATH": tmp,
                "BIRGE_DATABASE_URL": url,
                "BIRGE_BROKER_URL": BROKER,
                "BIRGE_QUEUE_NAME": queue,
                "BIRGE_SMTP_URL": f"smtp://127.0.0.1:{port}",
                "BIRGE_SECRET_KEY": "bench-secret-key-0123456789",
                "BIRGE_MAIL_FROM": f"Birge <birge@{DOMAIN}>",
                "BIRGE_BASE_URL": "http://birge.bench",
                "BIRGE_TICK_SECONDS": "1",
            }
            settings = make_settings(url, tmp)
            migrations.upgrade(settings.database_url)
            engine = make_engine(settings.database_url)
            users_per_agency = 50
            meetings = max(emails // (2 * users_per_agency), 1)
            parked = utcnow() + timedelta(days=30)  # not due until the processes are up
            with Session(engine, expire_on_commit=False) as session:
                district, agencies = add_people(session, users_per_agency)
                add_due_meetings(session, district, agencies, meetings, parked)
                session.commit()
            total = meetings * 2 * users_per_agency
            log = open(Path(tmp) / "processes.log", "w")  # noqa: SIM115
            worker = ["worker", "--threads", str(threads), "--processes", str(processes_)]
            for command in (worker, ["scheduler"]):
                processes.append(
                    subprocess.Popen([BIRGE, *command], env=env, stdout=log, stderr=log)  # noqa: S603
                )
            while "ticking" not in (Path(tmp) / "processes.log").read_text():
                time.sleep(0.2)
            time.sleep(2)
            now = utcnow()
            with Session(engine) as session:  # the moment comes for every meeting at once
                session.execute(
                    update(Meeting).values(
                        reminder_due_at=now,
                        starts_at=now + timedelta(hours=1),
                        ends_at=now + timedelta(hours=2),
                    )
                )
                session.commit()
            deadline = time.monotonic() + 600
            while sink.count < total and time.monotonic() < deadline:
                time.sleep(0.2)
            with Session(engine) as session:
                rows = list(
                    session.execute(select(Notification.dedupe_key, Notification.next_attempt_at))
                )
            latencies = [
                sink.arrived[message_id(key, DOMAIN)] - due.timestamp()
                for key, due in rows
                if message_id(key, DOMAIN) in sink.arrived
            ]
            first_due = min(due.timestamp() for _, due in rows)
            first, last = min(sink.arrived.values()), max(sink.arrived.values())
            rate = len(sink.arrived) / (last - first)
            print(f"drain: {len(sink.arrived)} of {total} reminders delivered, {sink.count} emails")
            print(
                f"  birge worker ({processes_} process x {threads} threads): "
                f"{rate:8.0f} emails/s (first to last)"
            )
            print(
                f"  end to end, moment -> last delivered: {last - now.timestamp():.1f} s "
                f"(planning {first_due - now.timestamp():.1f} s)"
            )
            print(
                f"  due -> delivered: p50 {statistics.median(latencies):.2f} s, "
                f"p99 {percentile(latencies, 0.99):.2f} s"
            )
            with Session(engine) as session:
                sample = session.scalars(select(Notification).limit(1)).one()
                message = build_message(sample, mail_from=settings.mail_from)
            for process in processes:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=60)
            processes.clear()
            log.close()
            engine.dispose()
            rounds = [smtplib_loop(port, message, min(total, 2000), sink) for _ in range(3)]
            ceiling = max(rounds)  # the best of three: the ratio errs against Birge
            print(
                f"  ceiling, smtplib loop on one connection: {ceiling:8.0f} emails/s "
                f"(best of {', '.join(f'{r:.0f}' for r in rounds)})"
            )
            print(f"  ratio: {rate / ceiling:.2f} of the ceiling")
    finally:
        for process in processes:
            process.kill()
        controller.stop()
        drop_database(name)
        connection = pika.BlockingConnection(pika.URLParameters(BROKER))
        channel = connection.channel()
        for suffix in ("", ".DQ", ".XQ"):
            channel.queue_delete(queue + suffix)
        connection.close()


# --- 2. tick cost --------------------------------------------------------------------------


def fill(engine: Engine, district_id: int, agency_id: int, meetings: int) -> None:
    """Add *meetings* future meetings whose reminders are not due, and one sent email each."""
    with engine.begin() as conn:
        conn.execute(
            text(
                """
                INSERT INTO meeting (uid, district_id, kind, title, starts_at, ends_at, location,
                    organizer_agency_id, status, sequence, created_at, updated_at, reminder_due_at)
                SELECT 'bg-' || g || '@bench', :district, 'prevention_council', 'Совет ' || g,
                    now() + interval '2 days' + (g % 500000) * interval '1 minute',
                    now() + interval '2 days 1 hour' + (g % 500000) * interval '1 minute',
                    'Школа', :agency, 'scheduled', 0, now(), now(),
                    now() + interval '1 day' + (g % 500000) * interval '1 minute'
                FROM generate_series(1, :n) AS g
                """
            ),
            {"district": district_id, "agency": agency_id, "n": meetings},
        )
        conn.execute(
            text(
                """
                INSERT INTO notification (dedupe_key, recipient, locale, subject, body, status,
                    attempts, next_attempt_at, created_at, sent_at, kind)
                SELECT 'bg:' || g, 'x@bench.test', 'ru', 's', 'b', 'sent', 1,
                    now() - interval '1 day', now() - interval '1 day', now() - interval '1 day',
                    'message'
                FROM generate_series(1, :n) AS g
                """
            ),
            {"n": meetings},
        )
        conn.execute(text("ANALYZE meeting"))
        conn.execute(text("ANALYZE notification"))


def tick_cost(sizes: list[int], due: int, repeat: int) -> None:
    print(f"tick cost: {due} meetings due (4 invitees each), PostgreSQL")
    print(f"{'meetings':>10} {'median ms':>10} {'min ms':>8}")
    results: dict[int, float] = {}
    for size in sizes:
        with throwaway_runtime() as runtime:
            with Session(runtime.engine, expire_on_commit=False) as session:
                district, agencies = add_people(session, 2)
                session.commit()
            fill(runtime.engine, district.id, agencies[0].id, size)  # type: ignore[arg-type]
            timings = []
            for _ in range(repeat):
                now = utcnow()
                with Session(runtime.engine, expire_on_commit=False) as session:
                    add_due_meetings(session, district, agencies, due, now)
                    session.commit()
                nudged, ms = timed_tick(runtime, now)
                timings.append(ms)
                assert nudged == due * 4, nudged
            results[size] = statistics.median(timings)
            print(f"{size:>10} {results[size]:>10.1f} {min(timings):>8.1f}")
            print_plan(runtime.engine, "meeting", "reminder_due_at")
    print_ratio(results, "meetings")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--emails", type=int, default=10_000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--processes", type=int, default=1, help="worker processes")
    parser.add_argument("--tick-sizes", type=int, nargs="+", default=[10_000, 1_000_000])
    parser.add_argument("--due", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--skip-drain", action="store_true")
    parser.add_argument("--skip-tick", action="store_true")
    parser.add_argument("--skip-task-tick", action="store_true")
    args = parser.parse_args()
    print(f"bench/notifications.py, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs")
    if not args.skip_drain:
        drain(args.emails, args.threads, args.processes)
    if not args.skip_tick:
        tick_cost(args.tick_sizes, args.due, args.repeat)
    if not args.skip_task_tick:
        task_tick_cost(args.tick_sizes, args.due, args.repeat)


if __name__ == "__main__":
    main()
