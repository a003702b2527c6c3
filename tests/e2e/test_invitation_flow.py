"""The whole path with the real processes: `birge run` (web), `birge worker` on RabbitMQ,
PostgreSQL, and an SMTP server; a meeting scheduled over HTTP reaches every invitee once and
every participating agency's feed."""

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
from pathlib import Path

import pytest
from icalendar import Calendar
from sqlalchemy import select
from sqlmodel import Session, col

from models.core.db import make_engine
from models.meetings.tables import Meeting, MeetingAgency
from models.people.tables import Agency, User
from tests import services
from tests.conftest import SmtpServer, load_settings_for
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
        "BIRGE_DATABASE_URL": postgres_server("e2e"),
        "BIRGE_BROKER_URL": amqp_url,
        "BIRGE_QUEUE_NAME": queue_name,
        "BIRGE_SMTP_URL": smtp_server.url,
        "BIRGE_BASE_URL": f"http://127.0.0.1:{port}",
        "BIRGE_SECRET_KEY": "e2e-secret-key-0123456789",
        "BIRGE_MAIL_FROM": "Birge <birge@birge.test>",
    }


@pytest.fixture
def processes(environment: dict[str, str], tmp_path: Path) -> Iterator[str]:
    birge(environment, "db", "upgrade")
    birge(environment, "demo")
    base_url = environment["BIRGE_BASE_URL"]
    port = base_url.rsplit(":", 1)[1]
    logs = {name: open(tmp_path / f"{name}.log", "w") for name in ("web", "worker")}  # noqa: SIM115
    running = {
        "web": subprocess.Popen(
            [BIRGE, "run", "--port", port],
            env=environment,
            stdout=logs["web"],
            stderr=subprocess.STDOUT,
        ),
        "worker": subprocess.Popen(
            [BIRGE, "worker", "--threads", "2"],
            env=environment,
            stdout=logs["worker"],
            stderr=subprocess.STDOUT,
        ),
    }
    try:
        wait_until_healthy(base_url, running)
        yield base_url
    finally:
        for process in running.values():
            process.send_signal(signal.SIGTERM)
        codes = {name: p.wait(timeout=30) for name, p in running.items()}
        for log in logs.values():
            log.close()
        assert codes["worker"] == 0, (tmp_path / "worker.log").read_text()


def test_a_scheduled_meeting_reaches_every_invitee_once_and_every_agency_feed(
    processes: str, environment: dict[str, str], smtp_server: SmtpServer
) -> None:
    portal = Portal(processes)
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

    mailbox = smtp_server.mailbox
    mailbox.wait_for(len(expected), timeout=60)
    time.sleep(1.5)  # a duplicate would arrive now
    received = sorted(r for rs in mailbox.recipients for r in rs)
    assert received == expected
    for message in mailbox.messages:
        (part,) = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
        calendar = Calendar.from_ical(part.get_content())
        assert calendar["METHOD"] == "REQUEST"
        (event,) = calendar.walk("VEVENT")
        assert str(event["UID"]) == meeting.uid
        assert event.decoded("DTSTART").hour == 15

    listed = birge(environment, "feed-url", "--district", "1")  # the demo district's agencies
    feeds = dict(line.split(" ", 1) for line in listed.splitlines())
    assert set(feeds) == all_slugs
    for slug, url in feeds.items():
        with urllib.request.urlopen(url.replace(environment["BIRGE_BASE_URL"], processes)) as r:
            uids = [str(e["UID"]) for e in Calendar.from_ical(r.read()).walk("VEVENT")]
        assert (meeting.uid in uids) == (slug in slugs), slug
