"""Nothing that identifies a demo child leaves the portal: not in an email, a feed, a log line
or any URL a page links to."""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from email import message_from_bytes, policy
from html import unescape
from urllib.parse import unquote, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlmodel import Session, col

from models.casework.restricted import RestrictedDetails
from models.core.base import utcnow
from models.core.settings import Settings
from models.demo.cases import DEMO_CHILDREN
from models.demo.district import DEMO_PASSWORD, load_demo
from models.feeds.tokens import feed_token, feed_url
from models.outbox.notifications import Notification
from models.people.tables import Agency
from models.tick import plan_due
from models.workdays.calendar import district_calendar
from tests.factories import csrf_token
from web.context import runtime
from workers.delivery import deliver_notifications
from workers.mail import make_mailer

#: Who walks the portal: every role, the lead agencies and guardianship, and outsiders.
WALKERS = (
    "admin@birge.example",
    "deputy.akim@birge.example",
    "education@birge.example",
    "guardianship@birge.example",
    "inspector@birge.example",
    "pedagogue.12@birge.example",
)
_HREF = re.compile(r'(?:href|action|src)="([^"]*)"')


def secrets(details: RestrictedDetails) -> list[str]:
    values = [details.child_name, details.address, details.school_class, details.notes]
    values += details.child_name.split()[:1]  # the given name alone
    values += details.child_name.split()[-1:]  # the family name alone
    if details.birth_date:
        values += [details.birth_date.isoformat(), details.birth_date.strftime("%d.%m.%Y")]
    return [v for v in values if len(v) >= 4]


SECRETS = sorted({s for d in DEMO_CHILDREN.values() for s in secrets(d)})


def walk(client: FlaskClient, email: str, limit: int = 400) -> tuple[set[str], bool]:
    """Sign in as *email* and follow every link of the portal; return every URL seen, and
    whether any page showed a child's name (it should, to those who may see it)."""
    shown = False
    page = client.get("/login").get_data(as_text=True)
    response = client.post(
        "/login",
        data={"email": email, "password": DEMO_PASSWORD, "csrf_token": csrf_token(page)},
    )
    assert response.status_code == 302, email
    seen: set[str] = set()
    queue = ["/", "/cases", "/tasks", "/tasks?scope=district", "/admin/rules"]
    while queue and len(seen) < limit:
        url = queue.pop()
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        assert response.status_code in (200, 302, 400, 403, 404, 405), url  # 400: a form's action
        if response.location:
            queue.append(response.location)
        if not response.content_type.startswith("text/html"):
            continue
        html = response.get_data(as_text=True)
        shown = shown or any(d.child_name in html for d in DEMO_CHILDREN.values())
        for link in _HREF.findall(html):
            link = unescape(link)
            parts = urlsplit(link)
            if parts.netloc or link.startswith("#") or "/static/" in link:
                seen.add(link)
                continue
            if link and link not in seen and not link.startswith(("/logout", "/locale")):
                queue.append(link)
    page = client.get("/").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(page)})
    return seen, shown


@pytest.fixture
def demo(session: Session, settings: Settings) -> None:
    load_demo(session, settings)
    session.commit()


def test_no_restricted_value_leaves_the_portal(
    app: Flask,
    client: FlaskClient,
    session: Session,
    settings: Settings,
    demo: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    urls: set[str] = set()
    shown_to = set()
    for email in WALKERS:
        seen, shown = walk(client, email)
        urls |= seen
        if shown:
            shown_to.add(email)
    # The walk reaches the restricted part exactly where it should, so the check has teeth.
    assert shown_to == {
        "admin@birge.example",
        "deputy.akim@birge.example",
        "education@birge.example",
        "guardianship@birge.example",
        "pedagogue.12@birge.example",  # school No. 12 leads the bullying case
    }
    assert any(u.startswith("/cases/D-2026-") for u in urls)
    assert any(u.startswith("/tasks/") for u in urls)

    # A case conference on a demo case invites every participating agency by email.
    page = client.get("/login").get_data(as_text=True)
    client.post(
        "/login",
        data={
            "email": "education@birge.example",
            "password": DEMO_PASSWORD,
            "csrf_token": csrf_token(page),
        },
    )
    form = client.get("/meetings/new").get_data(as_text=True)
    police = session.scalars(
        select(Agency).where(col(Agency.slug) == "police").order_by(col(Agency.id))
    ).first()  # the demo district's (the region's second district has its own)
    assert police is not None
    day = (utcnow() + timedelta(days=4)).date().isoformat()
    response = client.post(
        "/meetings/new",
        data={
            "csrf_token": csrf_token(form),
            "kind": "case_conference",
            "title": "Индивидуальный план работы",
            "date": day,
            "start_time": "10:00",
            "end_time": "11:00",
            "case_code": "D-2026-0042",
            "agencies": [str(police.id)],
        },
    )
    assert response.status_code == 302
    # The demo's overdue tasks escalate and make the daily digests, in the next working hour.
    district_id = session.scalars(select(Agency)).first().district_id  # type: ignore[union-attr]
    working = district_calendar(session, district_id).next_working_moment(utcnow())
    assert plan_due(session, settings, now=working) > 0
    session.commit()
    kinds = set(session.scalars(select(col(Notification.kind))))
    assert {"invitation", "escalation", "digest"} <= kinds
    engine = runtime(app).engine
    mailer = make_mailer(settings.smtp)
    ids = session.scalars(select(col(Notification.id))).all()
    assert deliver_notifications(settings, engine, mailer, ids) == len(ids)
    assert settings.smtp.directory is not None
    emails = [p.read_bytes() for p in sorted(settings.smtp.directory.glob("*.eml"))]
    assert emails, "the meeting sent no email"
    texts = [message_from_bytes(raw, policy=policy.default) for raw in emails]
    decoded = [
        part.get_content()
        for message in texts
        for part in message.walk()
        if part.get_content_maintype() == "text"
    ]
    subjects = [str(message["Subject"]) for message in texts]

    feeds = []
    for agency in session.scalars(select(Agency)):
        url = feed_url(settings, feed_token(session, agency, settings.secret_key))
        session.commit()
        body = client.get(urlsplit(url).path).get_data()
        assert body.startswith(b"BEGIN:VCALENDAR")
        feeds.append(body.replace(b"\r\n ", b"").decode())
        urls.add(url)

    logs = [record.getMessage() for record in caplog.records]
    channels = {
        "email bytes": [raw.decode("ascii", "replace") for raw in emails],
        "email text": decoded + subjects,
        "feeds": feeds,
        "logs": logs,
        "urls": [unquote(u) for u in urls],
    }
    for channel, items in channels.items():
        for secret in SECRETS:
            leaks = [item[:120] for item in items if secret.lower() in item.lower()]
            assert not leaks, f"{secret!r} leaks into {channel}: {leaks}"
