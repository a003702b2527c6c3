"""Fault injection on the real pipeline: PostgreSQL, RabbitMQ, `birge worker`, the scheduler
and an aiosmtpd sink. Every due email arrives, counted by Message-ID; none twice except the
few in flight at a SIGKILL (with the same Message-ID); nothing is left pending."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from models.core.base import require_id, utcnow
from models.core.db import make_engine
from models.core.settings import Settings
from models.feeds.marks import mark_feeds_dirty
from models.feeds.tokens import FeedToken, feed_token
from models.meetings.reminders import replan_meeting_reminders
from models.meetings.tables import Meeting, MeetingAgency, MeetingStatus
from models.outbox.notifications import Notification, message_id
from models.tasks.operations import complete_task, create_task
from models.tasks.tables import Task
from tests import factories, services
from tests.conftest import SmtpServer, load_settings_for
from tests.db_proxy import freezable_proxy
from tests.factories import District, login, make_district
from tests.processes import BIRGE, birge
from tests.services import queued_notification_ids
from web import create_app
from workers.runtime import Runtime, build_runtime, run_scheduler, start_worker, tick

pytestmark = pytest.mark.e2e

DOMAIN = "birge.test"


def plan_batch(engine: object, settings: Settings, district: District, meetings: int) -> None:
    """Schedule *meetings* meetings starting in an hour: each invitee's 1 h reminder is due
    at the next tick (3 per meeting). Their invitations count as already delivered."""
    now = utcnow()
    starts_at = now + timedelta(hours=1, seconds=0.5)
    with Session(engine, expire_on_commit=False) as session:  # type: ignore[arg-type]
        for _ in range(meetings):
            factories.schedule(
                session,
                settings,
                district,
                starts_at=starts_at,
                ends_at=starts_at + timedelta(hours=1),
                now=now,
            )
        session.commit()
        session.execute(update(Notification).values(status="sent", sent_at=now))
        session.commit()
    time.sleep(max((starts_at - timedelta(hours=1) - utcnow()).total_seconds(), 0) + 0.05)


def expected_ids(engine: object) -> set[str]:
    with Session(engine) as session:  # type: ignore[arg-type]
        keys = session.scalars(
            select(Notification.dedupe_key).where(
                col(Notification.kind) == "meeting_reminder",
                col(Notification.status) != "voided",
            )
        )
        return {message_id(key, DOMAIN) for key in keys}


def received(smtp: SmtpServer) -> Counter[str]:
    return Counter(str(m["Message-ID"]) for m in list(smtp.mailbox.messages))


def wait_for_all(smtp: SmtpServer, engine: object, count: int, timeout: float) -> Counter[str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = received(smtp)
        if len(got) >= count and set(got) >= expected_ids(engine):
            return got
        time.sleep(0.2)
    got = received(smtp)
    pytest.fail(f"{len(got)} of {count} distinct emails arrived within {timeout} s")


def unsent(engine: object) -> int:
    deadline = time.monotonic() + 10
    while True:
        with Session(engine) as session:  # type: ignore[arg-type]
            left = session.scalar(
                select(func.count())
                .select_from(Notification)
                .where(col(Notification.status).in_(["pending", "sending", "failed"]))
            )
        if not left or time.monotonic() > deadline:
            return int(left or 0)
        time.sleep(0.2)


# --- 1. SIGKILL of `birge worker` --------------------------------------------------------------


@pytest.fixture
def environment(
    tmp_path: Path,
    postgres_server: Callable[[str], str],
    amqp_url: str,
    queue_name: str,
    smtp_server: SmtpServer,
) -> dict[str, str]:
    return {
        **os.environ,
        "BIRGE_INSTANCE_PATH": str(tmp_path / "instance"),
        "BIRGE_DATABASE_URL": postgres_server("faults"),
        "BIRGE_BROKER_URL": amqp_url,
        "BIRGE_QUEUE_NAME": queue_name,
        "BIRGE_SMTP_URL": smtp_server.url,
        "BIRGE_BASE_URL": "http://birge.test",
        "BIRGE_SECRET_KEY": "fault-secret-key-0123456789",
        "BIRGE_MAIL_FROM": f"Birge <birge@{DOMAIN}>",
        "BIRGE_TICK_SECONDS": "0.5",
        "BIRGE_NOTIFICATION_LEASE_SECONDS": "5",
    }


def test_a_worker_killed_mid_batch_loses_nothing_and_its_emails_go_out_within_the_lease(
    environment: dict[str, str], smtp_server: SmtpServer, tmp_path: Path
) -> None:
    birge(environment, "db", "upgrade")
    settings = load_settings_for(environment["BIRGE_DATABASE_URL"]).replace(
        base_url="http://birge.test", mail_from=environment["BIRGE_MAIL_FROM"]
    )
    engine = make_engine(settings.database_url)
    with Session(engine, expire_on_commit=False) as session:
        district = make_district(session)
        session.commit()
    plan_batch(engine, settings, district, meetings=50)  # 150 reminders
    smtp_server.mailbox.delay = 0.05  # a relay that takes its time: the batch lasts seconds
    log = open(tmp_path / "processes.log", "w")  # noqa: SIM115
    start = [BIRGE, "worker", "--threads", "4"]
    scheduler = subprocess.Popen(
        [BIRGE, "scheduler"], env=environment, stdout=log, stderr=subprocess.STDOUT
    )
    worker = subprocess.Popen(start, env=environment, stdout=log, stderr=subprocess.STDOUT)
    try:
        smtp_server.mailbox.wait_for(40, timeout=30)
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        killed_at = time.monotonic()
        worker = subprocess.Popen(start, env=environment, stdout=log, stderr=subprocess.STDOUT)
        got = wait_for_all(smtp_server, engine, 150, timeout=60)
        # within about a minute of its death: the lease (5 s here, 30 s by default) and a tick
        assert time.monotonic() - killed_at < 30
        time.sleep(1)  # a late duplicate would arrive now
        got = received(smtp_server)
        assert set(got) == expected_ids(engine) and len(got) == 150
        duplicates = {key: n for key, n in got.items() if n > 1}
        assert sum(n - 1 for n in duplicates.values()) <= 4  # at most the in-flight sends
        for key in duplicates:  # a duplicate is the same email: mail clients fold it
            copies = [m for m in smtp_server.mailbox.messages if m["Message-ID"] == key]
            assert len({(m["To"], m["Subject"], m["Date"]) for m in copies}) == 1
        assert unsent(engine) == 0
    finally:
        for process in (worker, scheduler):
            process.send_signal(signal.SIGTERM)
        codes = [worker.wait(timeout=30), scheduler.wait(timeout=30)]
        log.close()
        engine.dispose()
        output = (tmp_path / "processes.log").read_text()
        print(output[-5000:])  # shown when the test fails
    assert codes == [0, 0], output
    assert "Traceback" not in output


def test_two_workers_whose_clocks_differ_by_more_than_the_lease_send_each_email_once(
    environment: dict[str, str], smtp_server: SmtpServer, tmp_path: Path
) -> None:
    """One worker's clock is 31 s behind, the other's right, the lease 5 s; the scheduler is
    SIGKILLed in the middle of a tick and restarted. Leases are set and judged by the
    database's clock, so the slow worker's claims do not look expired to anyone, and every
    email arrives once (no worker dies, so no duplicate at all)."""
    birge(environment, "db", "upgrade")
    settings = load_settings_for(environment["BIRGE_DATABASE_URL"]).replace(
        base_url="http://birge.test", mail_from=environment["BIRGE_MAIL_FROM"]
    )
    engine = make_engine(settings.database_url)
    with Session(engine, expire_on_commit=False) as session:
        district = make_district(session)
        session.commit()
    plan_batch(engine, settings, district, meetings=40)  # 120 reminders
    smtp_server.mailbox.delay = 0.1  # each batch of 20 lasts about two seconds
    log = open(tmp_path / "processes.log", "w")  # noqa: SIM115
    behind = {**environment, "BIRGE_CLOCK_OFFSET_SECONDS": "-31"}
    processes = [
        subprocess.Popen(
            [BIRGE, "worker", "--threads", "4"], env=env, stdout=log, stderr=subprocess.STDOUT
        )
        for env in (behind, environment)
    ]
    scheduler = subprocess.Popen(
        [BIRGE, "scheduler"], env=environment, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 30
        while "scheduler ticking" not in (tmp_path / "processes.log").read_text():
            assert time.monotonic() < deadline, "the scheduler did not start"
            time.sleep(0.02)
        time.sleep(0.3)  # its first tick plans and nudges 120 reminders: kill it in the middle
        scheduler.send_signal(signal.SIGKILL)
        scheduler.wait()
        scheduler = subprocess.Popen(
            [BIRGE, "scheduler"], env=environment, stdout=log, stderr=subprocess.STDOUT
        )
        got = wait_for_all(smtp_server, engine, 120, timeout=40)
        time.sleep(2)  # a late duplicate would arrive now
        got = received(smtp_server)
        assert set(got) == expected_ids(engine) and len(got) == 120
        assert {key: n for key, n in got.items() if n > 1} == {}
        assert unsent(engine) == 0
    finally:
        for process in (*processes, scheduler):
            process.send_signal(signal.SIGTERM)
        codes = [process.wait(timeout=30) for process in processes]
        scheduler.wait(timeout=30)
        log.close()
        engine.dispose()
        output = (tmp_path / "processes.log").read_text()
        print(output[-5000:])  # shown when the test fails
    assert codes == [0, 0], output
    assert "Traceback" not in output


# --- in-process scenarios on the same real services ---------------------------------------


@pytest.fixture
def fault_settings(
    make_settings: Callable[..., Settings],
    postgres_only_url: str,
    amqp_url: str,
    queue_name: str,
    smtp_server: SmtpServer,
) -> Settings:
    return make_settings(
        postgres_only_url,
        BIRGE_BROKER_URL=amqp_url,
        BIRGE_QUEUE_NAME=queue_name,
        BIRGE_SMTP_URL=smtp_server.url,
        BIRGE_TICK_SECONDS="0.3",
        BIRGE_NOTIFICATION_LEASE_SECONDS="3",
    ).replace(notification_retry_base_seconds=0.5)


@pytest.fixture
def rt(fault_settings: Settings) -> Iterator[Runtime]:
    runtime = build_runtime(fault_settings)
    yield runtime
    runtime.close()
    runtime.engine.dispose()


@pytest.fixture
def district(rt: Runtime) -> District:
    with Session(rt.engine, expire_on_commit=False) as session:
        data = make_district(session)
        session.commit()
        return data


def queued(runtime: Runtime) -> list[int]:
    return queued_notification_ids(runtime.settings.queue_name)


class Running:
    """Worker threads and scheduler threads of one or more runtimes, stopped at the end."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.workers: list[object] = []
        self.threads: list[threading.Thread] = []

    def worker(self, runtime: Runtime, threads: int = 4) -> None:
        self.workers.append(start_worker(runtime, threads=threads))

    def scheduler(self, runtime: Runtime) -> None:
        thread = threading.Thread(target=run_scheduler, args=(runtime, self.stop), daemon=True)
        thread.start()
        self.threads.append(thread)

    def close(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=10)
        for worker in self.workers:
            worker.stop()  # type: ignore[attr-defined]


@pytest.fixture
def running() -> Iterator[Running]:
    processes = Running()
    yield processes
    processes.close()


def test_broker_connections_closed_while_emails_flow(
    rt: Runtime, district: District, smtp_server: SmtpServer, running: Running
) -> None:
    plan_batch(rt.engine, rt.settings, district, meetings=60)
    smtp_server.mailbox.delay = 0.03
    running.worker(rt)
    running.scheduler(rt)
    smtp_server.mailbox.wait_for(40, timeout=30)
    assert services.close_broker_connections(os.getpid()) >= 2
    got = wait_for_all(smtp_server, rt.engine, 180, timeout=60)
    assert max(got.values()) == 1  # no SIGKILL, so no duplicate at all
    assert unsent(rt.engine) == 0


def test_the_smtp_server_refusing_for_a_while_delays_but_loses_nothing(
    rt: Runtime, district: District, smtp_server: SmtpServer, running: Running
) -> None:
    plan_batch(rt.engine, rt.settings, district, meetings=20)
    smtp_server.mailbox.refusing = True
    running.worker(rt)
    running.scheduler(rt)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:  # every email has been tried and refused at least once
        with Session(rt.engine) as session:
            untried = session.scalar(
                select(func.count())
                .select_from(Notification)
                .where(
                    col(Notification.kind) == "meeting_reminder", col(Notification.attempts) == 0
                )
            )
            planned = session.scalar(
                select(func.count())
                .select_from(Notification)
                .where(col(Notification.kind) == "meeting_reminder")
            )
        if planned and not untried:
            break
        time.sleep(0.2)
    assert smtp_server.mailbox.messages == []
    smtp_server.mailbox.refusing = False
    got = wait_for_all(smtp_server, rt.engine, 60, timeout=60)
    assert max(got.values()) == 1
    assert unsent(rt.engine) == 0


def test_two_schedulers_at_once_send_each_email_once(
    rt: Runtime,
    fault_settings: Settings,
    district: District,
    smtp_server: SmtpServer,
    running: Running,
) -> None:
    plan_batch(rt.engine, rt.settings, district, meetings=40)
    second = build_runtime(fault_settings)
    try:
        running.scheduler(rt)
        running.scheduler(second)
        deadline = time.monotonic() + 20
        while len(queued(rt)) < 120 and time.monotonic() < deadline:
            time.sleep(0.2)
        time.sleep(2)  # several more ticks of both, the workers still down
        nudged = queued(rt)
        assert len(nudged) == len(set(nudged)) == 120  # one nudge per email, not per tick
        running.worker(rt)
        got = wait_for_all(smtp_server, rt.engine, 120, timeout=60)
        time.sleep(1)
        assert max(received(smtp_server).values()) == 1 and len(got) == 120
        assert unsent(rt.engine) == 0
    finally:
        running.close()
        second.close()
        second.engine.dispose()


def test_a_cancelled_meetings_planned_reminders_are_not_sent(
    rt: Runtime, district: District, smtp_server: SmtpServer
) -> None:
    plan_batch(rt.engine, rt.settings, district, meetings=2)
    assert tick(rt) == 6  # planned and nudged; the workers are not running yet
    with Session(rt.engine) as session:
        meeting = session.get(Meeting, 1)
        assert meeting is not None
        meeting.status, meeting.sequence = MeetingStatus.CANCELLED.value, meeting.sequence + 1
        replan_meeting_reminders(session, rt.settings, meeting)
        session.commit()
    worker = start_worker(rt, threads=2)
    try:
        rt.broker.join(rt.settings.queue_name, timeout=20_000)
        worker.join()
    finally:
        worker.stop()
    assert {str(m["Message-ID"]) for m in smtp_server.mailbox.messages} == expected_ids(rt.engine)
    assert len(smtp_server.mailbox.messages) == 3  # the other meeting's only
    assert all("meeting.2." in str(m["Message-ID"]) for m in smtp_server.mailbox.messages)


def test_a_task_completed_after_its_escalation_was_planned_sends_nothing_of_it(
    rt: Runtime, district: District, smtp_server: SmtpServer
) -> None:
    # Frozen clock: two police tasks were due Friday 19 March 2027 at 18:00; the tick runs
    # on Thursday 25 March at 09:00, the first working hour after the weekend and Nauryz.
    created, due = datetime(2027, 3, 17, 5, tzinfo=UTC), datetime(2027, 3, 19, 13, tzinfo=UTC)
    with Session(rt.engine, expire_on_commit=False) as session:
        done, late = (
            create_task(
                session,
                district.coordinator,
                settings=rt.settings,
                title=f"Обследование {n}",
                agency_id=district.police.id or 0,
                due_at=due,
                now=created,
                case=district.case,
            )
            for n in (1, 2)
        )
        session.commit()
    # 2 levels, 2 digests, and the two tasks' news to the police's two people, which no web
    # request nudged: the tick does
    assert tick(rt, now=datetime(2027, 3, 25, 4, tzinfo=UTC)) == 8
    with Session(rt.engine) as session:
        task = session.get(Task, done.id)
        assert task is not None
        complete_task(session, district.chair, task, note="Выполнено", now=utcnow())
        session.commit()
    worker = start_worker(rt, threads=2)
    try:
        rt.broker.join(rt.settings.queue_name, timeout=20_000)
        worker.join()
    finally:
        worker.stop()
    ids = {str(m["Message-ID"]) for m in smtp_server.mailbox.messages}
    escalations = {i for i in ids if ".level.1." in i}
    key = f"task:{late.id}:due:20270319T130000Z:level:1:agency:{district.police.id}:head"
    assert escalations == {message_id(key, DOMAIN)}  # nothing of the completed task
    news = {i for i in ids if ".created." in i}  # the late task's news to the police's two
    assert news == {
        message_id(f"task:{late.id}:created:user:{u.id}", DOMAIN)
        for u in (district.inspector, district.police_head)
    }
    # ... and the late task's escalation, the chair's and the head's digests
    assert len(ids - news) == 3
    assert unsent(rt.engine) == 0


def test_a_rolled_back_meeting_sends_no_email(
    rt: Runtime, district: District, smtp_server: SmtpServer
) -> None:
    with Session(rt.engine, expire_on_commit=False) as session:
        scheduled = factories.schedule(session, rt.settings, district)
        ids = scheduled.notification_ids
        assert ids  # the invitations existed inside the transaction ...
        session.rollback()  # ... which failed
    rt.actors.send_notifications.send(ids)  # a nudge that escaped the transaction anyway
    worker = start_worker(rt, threads=2)
    try:
        rt.broker.join(rt.settings.queue_name, timeout=20_000)
        worker.join()
        assert tick(rt, now=utcnow() + timedelta(hours=1)) == 0
    finally:
        worker.stop()
    assert smtp_server.mailbox.messages == []
    with Session(rt.engine) as session:
        assert session.scalar(select(func.count()).select_from(Notification)) == 0


# --- a database that hangs (a frozen proxy in front of PostgreSQL) -----------------------------


def _timed(call: Callable[[], Any], limit: float) -> tuple[Any, float]:
    """Run *call* in a thread; fail if it gives no answer within *limit* seconds."""
    answer: list[Any] = []
    started = time.monotonic()
    thread = threading.Thread(target=lambda: answer.append(call()), daemon=True)
    thread.start()
    thread.join(limit)
    took = time.monotonic() - started
    assert answer, f"no answer within {limit} s"
    return answer[0], took


def test_a_hung_database_is_a_503_within_seconds_and_the_portal_recovers(
    postgres_only_url: str, make_settings: Callable[..., Settings]
) -> None:
    target = urlsplit(postgres_only_url)
    with freezable_proxy((target.hostname or "127.0.0.1", target.port or 5432)) as proxy:
        settings = make_settings(
            proxy.url(postgres_only_url),
            BIRGE_DB_CONNECT_TIMEOUT="2",
            BIRGE_DB_STATEMENT_TIMEOUT="3",
        )
        rt = build_runtime(settings)
        with Session(rt.engine, expire_on_commit=False) as session:
            email = make_district(session).coordinator.email
            session.commit()
        app = create_app(settings, runtime=rt)
        signed_in = app.test_client()
        try:
            login(signed_in, email)
            assert signed_in.get("/").status_code == 200  # a pooled connection, then the hang
            assert signed_in.get("/healthz").status_code == 200

            proxy.freeze()
            health, took = _timed(lambda: signed_in.get("/healthz"), 10)
            assert health.status_code == 503 and took < 3, took
            assert health.get_json()["database"] == "unreachable"
            page, took = _timed(lambda: signed_in.get("/"), 15)
            assert page.status_code == 503 and took < 6, took
            assert 0 < int(page.headers["Retry-After"]) <= 30
            assert "временно недоступен" in page.get_data(as_text=True)

            proxy.thaw()
            deadline = time.monotonic() + 10
            while signed_in.get("/healthz").status_code != 200:
                assert time.monotonic() < deadline, "/healthz did not recover after the thaw"
                time.sleep(0.2)
            assert signed_in.get("/").status_code == 200  # still signed in: nothing was lost
        finally:
            proxy.thaw()
            rt.close()
            rt.engine.dispose()


# --- a worker SIGKILLed while it holds feed claims ---------------------------------------------

_FEED_MEETINGS = 400  # enough that a cold build of each feed lasts a good part of a second


def _busy_feeds(engine: Engine, district: District, secret_key: str) -> dict[str, str]:
    """Give every agency of *district* a feed token and a shared load of meetings; return
    token -> agency slug."""
    agencies = [district.akimat, district.education, district.police, district.school]
    now = utcnow()
    with Session(engine, expire_on_commit=False) as session:
        rows = [
            {
                "uid": f"feed-fault-{n}@birge",
                "district_id": district.row.id,
                "kind": "prevention_council",
                "title": f"Совет профилактики {n}",
                "starts_at": now + timedelta(days=1 + n % 300, hours=n % 8),
                "ends_at": now + timedelta(days=1 + n % 300, hours=n % 8 + 1),
                "location": "Школа № 12",
                "organizer_agency_id": district.school.id,
                "status": "scheduled",
                "sequence": 0,
                "created_at": now,
                "updated_at": now,
            }
            for n in range(_FEED_MEETINGS)
        ]
        session.execute(insert(Meeting), rows)
        ids = list(session.scalars(select(col(Meeting.id))))
        links = [{"meeting_id": i, "agency_id": a.id} for i in ids for a in agencies]
        session.execute(insert(MeetingAgency), links)
        tokens = {feed_token(session, agency, secret_key): agency.slug for agency in agencies}
        session.commit()
    return tokens


def test_a_worker_killed_holding_feed_claims_leaves_no_feed_stale_beyond_the_lease(
    environment: dict[str, str], tmp_path: Path
) -> None:
    environment = {
        **environment,
        "BIRGE_FEED_DEBOUNCE_SECONDS": "0.2",
        "BIRGE_FEED_LEASE_SECONDS": "2",
    }
    birge(environment, "db", "upgrade")
    settings = load_settings_for(environment["BIRGE_DATABASE_URL"])
    engine = make_engine(settings.database_url)
    with Session(engine, expire_on_commit=False) as session:
        district = make_district(session)
        session.commit()
    tokens = _busy_feeds(engine, district, environment["BIRGE_SECRET_KEY"])
    feeds = Path(environment["BIRGE_INSTANCE_PATH"]) / "feeds"
    log = open(tmp_path / "processes.log", "w")  # noqa: SIM115
    start = [BIRGE, "worker", "--threads", "4"]
    scheduler = subprocess.Popen(
        [BIRGE, "scheduler"], env=environment, stdout=log, stderr=subprocess.STDOUT
    )
    worker = subprocess.Popen(start, env=environment, stdout=log, stderr=subprocess.STDOUT)
    try:
        # Every meeting moves an hour (a burst of changes): every event is rendered anew.
        with Session(engine) as session:
            session.execute(
                update(Meeting).values(
                    title=func.concat("Перенесено ", col(Meeting.id)),
                    sequence=col(Meeting.sequence) + 1,
                    updated_at=utcnow(),
                )
            )
            mark_feeds_dirty(session, agency_ids=_agency_ids(district))
            session.commit()
        deadline, claimed = time.monotonic() + 30, 0
        while time.monotonic() < deadline and claimed < min(len(tokens), 2):
            with Session(engine) as session:
                claimed = (
                    session.scalar(
                        select(func.count())
                        .select_from(FeedToken)
                        .where(col(FeedToken.publishing_until).is_not(None))
                    )
                    or 0
                )
            time.sleep(0.005)
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        killed_at = time.monotonic()
        assert claimed >= 2, "the worker held no feed claims when it died"
        worker = subprocess.Popen(start, env=environment, stdout=log, stderr=subprocess.STDOUT)

        def stale() -> list[str]:
            return [
                slug
                for token, slug in tokens.items()
                if not (feeds / f"{token}.ics").exists()
                or "Перенесено" not in (feeds / f"{token}.ics").read_text()
            ]

        deadline = killed_at + 20
        while stale() and time.monotonic() < deadline:
            time.sleep(0.1)
        # The lease (2 s here, 20 s by default), a tick (0.5 s here, 30 s) and a cold rebuild.
        assert stale() == [], f"stale {time.monotonic() - killed_at:.1f} s after the kill"
        print(f"every feed fresh {time.monotonic() - killed_at:.1f} s after the kill")
    finally:
        for process in (worker, scheduler):
            process.send_signal(signal.SIGTERM)
        codes = [worker.wait(timeout=30), scheduler.wait(timeout=30)]
        log.close()
        engine.dispose()
        output = (tmp_path / "processes.log").read_text()
        print(output[-3000:])  # shown when the test fails
    assert codes == [0, 0], output
    assert "Traceback" not in output


def _agency_ids(district: District) -> list[int]:
    return [
        require_id(a)
        for a in (district.akimat, district.education, district.police, district.school)
    ]


# --- a database that goes down for a while ------------------------------------------------------


def test_a_database_outage_costs_a_few_log_lines_and_dead_letters_nothing(
    postgres_only_url: str,
    make_settings: Callable[..., Settings],
    amqp_url: str,
    queue_name: str,
    smtp_server: SmtpServer,
    running: Running,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """PostgreSQL goes down for 6 s (every connection closed, new ones refused) while
    emails flow and a feed's message waits. The actors give up with one line each and the
    tick retries (nothing in the dead-letter queue); a batch in the middle of sending keeps
    its claim (20 s) and records its "sent" marks once the database is back, so no email
    goes twice; the feed is published after the outage."""
    target = urlsplit(postgres_only_url)
    with freezable_proxy((target.hostname or "127.0.0.1", target.port or 5432)) as proxy:
        settings = make_settings(
            proxy.url(postgres_only_url),
            BIRGE_BROKER_URL=amqp_url,
            BIRGE_QUEUE_NAME=queue_name,
            BIRGE_SMTP_URL=smtp_server.url,
            BIRGE_TICK_SECONDS="0.3",
            BIRGE_NOTIFICATION_LEASE_SECONDS="20",
            BIRGE_DB_CONNECT_TIMEOUT="2",
        ).replace(notification_retry_base_seconds=0.5)
        rt = build_runtime(settings)
        try:
            with Session(rt.engine, expire_on_commit=False) as session:
                district = make_district(session)
                feed_token(session, district.police, settings.secret_key)
                feed_id = require_id(
                    session.scalars(
                        select(FeedToken).where(col(FeedToken.agency_id) == district.police.id)
                    ).one()
                )
                session.commit()
            plan_batch(rt.engine, settings, district, meetings=30)  # 90 reminders
            smtp_server.mailbox.delay = 0.03
            caplog.set_level(logging.WARNING)
            running.worker(rt)
            running.scheduler(rt)
            smtp_server.mailbox.wait_for(20, timeout=30)

            with Session(rt.engine) as session:  # the police's feed changes
                mark_feeds_dirty(session, agency_ids=[require_id(district.police)])
                session.commit()
            proxy.cut()
            builds = rt.feeds.builds
            rt.actors.publish_feed.send(feed_id)  # a feed's message that meets the outage
            time.sleep(6)
            proxy.restore()

            got = wait_for_all(smtp_server, rt.engine, 90, timeout=60)
            time.sleep(1)  # a late duplicate would arrive now
            got = received(smtp_server)
            assert set(got) == expected_ids(rt.engine) and len(got) == 90
            assert {key: n for key, n in got.items() if n > 1} == {}
            assert unsent(rt.engine) == 0
            deadline = time.monotonic() + 15
            while rt.feeds.builds == builds:
                assert time.monotonic() < deadline, "the feed was not published after the outage"
                time.sleep(0.2)
            assert rt.broker.get_queue_message_counts(queue_name)[2] == 0  # type: ignore[attr-defined]
            assert "birge_dead_letter_messages 0.0" in rt.metrics_exposition().decode()
        finally:
            proxy.restore()
            running.close()
            rt.close()
            rt.engine.dispose()
    lines = [r for r in caplog.records if r.levelno >= logging.WARNING]
    shown = "\n".join(f"{r.name}: {r.getMessage()}" for r in lines)
    assert [r for r in lines if r.exc_info] == [], shown  # no traceback
    assert len(lines) <= 40, shown  # about one line per message, not one per retry
