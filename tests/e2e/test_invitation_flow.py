"""The whole path with the real processes, as a deployment on several machines runs them: two
web processes (`birge run`), two `birge worker` and two `birge scheduler`, each with its own
instance folder as on its own machine, on one PostgreSQL and one RabbitMQ queue, the feeds
folder shared (``BIRGE_FEEDS_PATH``), and an SMTP server. A meeting scheduled through one web
process reaches every invitee once, and every participating agency's feed through the other."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest
from icalendar import Calendar
from sqlalchemy import select
from sqlmodel import Session, col

from models.core.db import make_engine
from models.meetings.tables import Meeting, MeetingAgency
from models.outbox.notifications import add_notification
from models.people.tables import Agency, User
from tests import services
from tests.conftest import Mailbox, SmtpServer, load_settings_for
from tests.factories import csrf_token
from tests.processes import BIRGE, Portal, birge, wait_until_healthy

PASSWORD = "birge-demo-2026"


@pytest.fixture
def environment(
    tmp_path: Path,
    postgres_server: Callable[[str], str],
    amqp_url: str,
    queue_name: str,
    smtp_server: SmtpServer,
) -> dict[str, str]:
    port = services.free_port()
    return {
        **os.environ,
        "BIRGE_INSTANCE_PATH": str(tmp_path / "instance"),
        "BIRGE_FEEDS_PATH": str(tmp_path / "shared-feeds"),
        "BIRGE_DATABASE_URL": postgres_server("e2e"),
        "BIRGE_BROKER_URL": amqp_url,
        "BIRGE_QUEUE_NAME": queue_name,
        "BIRGE_SMTP_URL": smtp_server.url,
        "BIRGE_BASE_URL": f"http://127.0.0.1:{port}",
        "BIRGE_SECRET_KEY": "e2e-secret-key-0123456789",
        "BIRGE_MAIL_FROM": "Birge <birge@birge.test>",
    }


@pytest.fixture
def processes(environment: dict[str, str], tmp_path: Path) -> Iterator[list[str]]:
    """Six processes as on three machines; yield the two web processes' addresses."""
    (tmp_path / "shared-feeds").mkdir()
    birge(environment, "db", "upgrade")
    birge(environment, "demo")
    _leave_for_the_tick(environment["BIRGE_DATABASE_URL"])
    ports = [environment["BIRGE_BASE_URL"].rsplit(":", 1)[1], str(services.free_port())]
    commands = {
        "web-1": ["run", "--port", ports[0]],
        "web-2": ["run", "--port", ports[1]],
        "worker-1": ["worker", "--threads", "2"],
        "worker-2": ["worker", "--threads", "2"],
        "scheduler-1": ["scheduler"],
        "scheduler-2": ["scheduler"],
    }
    logs = {name: open(tmp_path / f"{name}.log", "w") for name in commands}  # noqa: SIM115
    running = {}
    for name, args in commands.items():
        machine = tmp_path / f"machine-{name.rsplit('-', 1)[1]}"  # its own instance folder
        env = environment | {"BIRGE_INSTANCE_PATH": str(machine)}
        running[name] = subprocess.Popen(
            [BIRGE, *args], env=env, stdout=logs[name], stderr=subprocess.STDOUT
        )
    webs = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for web in webs:
            wait_until_healthy(web, running)
        yield webs
    finally:
        for process in running.values():
            process.send_signal(signal.SIGTERM)
        codes = {name: p.wait(timeout=30) for name, p in running.items()}
        for log in logs.values():
            log.close()
        for name in ("worker-1", "worker-2", "scheduler-1", "scheduler-2"):
            assert codes[name] == 0, (tmp_path / f"{name}.log").read_text()


#: Emails only a scheduler's tick sends (nobody nudged the workers): the demo's own reminders
#: and escalations wait for its working hours, these go at any hour.
FOR_THE_TICK = 12


def _leave_for_the_tick(database_url: str) -> None:
    engine = make_engine(load_settings_for(database_url).database_url)
    with Session(engine) as session:
        for n in range(FOR_THE_TICK):
            add_notification(
                session,
                district_id=1,
                dedupe_key=f"e2e:tick:{n}",
                recipient=f"tick-{n}@birge.example",
                locale="ru",
                subject="Birge",
                body="Письмо, которое отправляет такт планировщика.\n",
                grace=timedelta(0),
            )
        session.commit()
    engine.dispose()


def test_a_scheduled_meeting_reaches_every_invitee_once_and_every_agency_feed(
    processes: list[str], environment: dict[str, str], smtp_server: SmtpServer
) -> None:
    first, second = processes
    portal = Portal(first)
    page = portal.get("/login")
    assert portal.post(
        "/login",
        [
            ("csrf_token", csrf_token(page)),
            ("email", "pedagogue.12@birge.example"),
            ("password", PASSWORD),
        ],
    ).endswith("/")

    form = portal.get("/meetings/new")
    agency_ids = re.findall(r'name="agencies" type="checkbox" value="(\d+)"', form)
    assert len(agency_ids) >= 3
    invited = agency_ids[:3]
    day = (datetime.now(UTC) + timedelta(days=7)).date().isoformat()
    fields = [
        ("csrf_token", csrf_token(form)),
        ("kind", "prevention_council"),
        ("title", "Совет профилактики, декабрьское заседание"),
        ("date", day),
        ("start_time", "15:00"),
        ("end_time", "16:30"),
        ("location", "Школа № 12, кабинет 204"),
        ("case_code", ""),
        *[("agencies", agency_id) for agency_id in invited],
    ]
    landed = portal.post("/meetings/new", fields)
    meeting_id = int(landed.rsplit("/", 1)[1])

    engine = make_engine(load_settings_for(environment["BIRGE_DATABASE_URL"]).database_url)
    with Session(engine) as session:
        meeting = session.get(Meeting, meeting_id)
        assert meeting is not None
        agency_ids = set(
            session.scalars(
                select(MeetingAgency.agency_id).where(MeetingAgency.meeting_id == meeting_id)
            )
        )
        expected = sorted(
            session.scalars(
                select(User.email).where(col(User.agency_id).in_(agency_ids), col(User.active))
            )
        )
        slugs = set(session.scalars(select(Agency.slug).where(col(Agency.id).in_(agency_ids))))
        all_slugs = set(session.scalars(select(Agency.slug).where(Agency.district_id == 1)))
    engine.dispose()
    assert len(agency_ids) == 4  # the school itself plus three invited agencies

    # The schedulers send the demo's own reminders, escalations and digests meanwhile.
    mailbox = smtp_server.mailbox
    deadline = time.monotonic() + 60
    while len(_invitations(mailbox, meeting.uid)) < len(expected) and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1.5)  # a duplicate would arrive now
    invitations = _invitations(mailbox, meeting.uid)
    received = sorted(r for _message, recipients in invitations for r in recipients)
    assert received == expected
    for message, _recipients in invitations:
        (part,) = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
        calendar = Calendar.from_ical(part.get_content())
        assert calendar["METHOD"] == "REQUEST"
        (event,) = calendar.walk("VEVENT")
        assert event.decoded("DTSTART").hour == 15
    # Every email once, the schedulers' too, though two workers and two schedulers ran.
    deadline = time.monotonic() + 60
    while len(_ticked(mailbox)) < FOR_THE_TICK and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1.5)  # a duplicate would arrive now
    assert sorted(_ticked(mailbox)) == sorted(
        f"tick-{n}@birge.example" for n in range(FOR_THE_TICK)
    )
    ids = [str(m["Message-ID"]) for m in mailbox.messages]
    assert len(ids) == len(set(ids))

    listed = birge(environment, "feed-url", "--district", "1")  # the demo district's agencies
    feeds = dict(line.split(" ", 1) for line in listed.splitlines())
    assert set(feeds) == all_slugs
    for slug, url in feeds.items():  # through the web process the meeting was not made on
        with urllib.request.urlopen(url.replace(environment["BIRGE_BASE_URL"], second)) as r:
            uids = [str(e["UID"]) for e in Calendar.from_ical(r.read()).walk("VEVENT")]
        assert (meeting.uid in uids) == (slug in slugs), slug
    published = sorted(p.name for p in Path(environment["BIRGE_FEEDS_PATH"]).glob("*.ics"))
    assert published, "the workers publish into the shared folder"


def _ticked(mailbox: Mailbox) -> list[str]:
    """The recipients of the emails left for the tick, one per email received."""
    return [
        r for recipients in list(mailbox.recipients) for r in recipients if r.startswith("tick-")
    ]


def _invitations(mailbox: Mailbox, uid: str) -> list[tuple[EmailMessage, list[str]]]:
    """The emails received so far that carry the meeting *uid*'s invitation, each with its
    recipients."""
    found = []
    for message, recipients in zip(list(mailbox.messages), list(mailbox.recipients), strict=False):
        for part in message.walk():
            if part.get_content_type() != "text/calendar":
                continue
            events = Calendar.from_ical(part.get_content()).walk("VEVENT")
            if any(str(e["UID"]) == uid for e in events):
                found.append((message, recipients))
    return found
