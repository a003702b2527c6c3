"""Every email a meeting's change causes reaches SMTP as an invitation calendar apps apply:
its calendar part's METHOD matches the MIME part's method, with the same UID and a rising
SEQUENCE. Real RabbitMQ, PostgreSQL and SMTP."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from icalendar import Calendar
from sqlmodel import Session

from models.core.settings import Settings
from models.meetings.changes import cancel_meeting, change_participants, reschedule_meeting
from models.meetings.tables import Meeting
from tests import factories
from tests.conftest import SmtpServer
from tests.factories import District, in_days, make_district
from tests.queues import run_until_idle
from workers.runtime import Runtime, build_runtime


@pytest.fixture
def rt(
    make_settings: Callable[..., Settings],
    postgres_only_url: str,
    amqp_url: str,
    queue_name: str,
    smtp_server: SmtpServer,
) -> Iterator[Runtime]:
    settings = make_settings(
        postgres_only_url,
        BIRGE_BROKER_URL=amqp_url,
        BIRGE_QUEUE_NAME=queue_name,
        BIRGE_SMTP_URL=smtp_server.url,
    )
    runtime = build_runtime(settings)
    yield runtime
    runtime.close()
    runtime.engine.dispose()


def send(rt: Runtime, ids: list[int]) -> None:
    rt.actors.send_notifications.send(ids)
    run_until_idle(rt)


def test_each_change_reaches_every_invitee_as_the_right_itip_message(
    rt: Runtime, smtp_server: SmtpServer
) -> None:
    with Session(rt.engine, expire_on_commit=False) as session:
        district: District = make_district(session)
        scheduled = factories.schedule(session, rt.settings, district)
        session.commit()
        meeting: Meeting = scheduled.meeting
        steps = [scheduled.notification_ids]
        moved = reschedule_meeting(
            session,
            rt.settings,
            meeting,
            by=district.coordinator,
            starts_at=in_days(4),
            ends_at=in_days(4) + timedelta(hours=1),
        )
        session.commit()
        steps.append(moved.notification_ids)
        changed = change_participants(
            session, rt.settings, meeting, by=district.coordinator, agency_ids=[district.school.id]
        )
        session.commit()
        steps.append(changed.notification_ids)
        cancelled = cancel_meeting(session, rt.settings, meeting, by=district.coordinator)
        session.commit()
        steps.append(cancelled.notification_ids)
    for ids in steps:
        send(rt, ids)
    sent = sum(len(ids) for ids in steps)
    messages = smtp_server.mailbox.wait_for(sent)
    assert len(messages) == sent
    seen: dict[str, list[tuple[str, int]]] = {}
    for message in messages:
        part = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
        calendar = Calendar.from_ical(part.get_content())
        (event,) = calendar.walk("VEVENT")
        assert part.get_param("method") == calendar["METHOD"]
        assert str(event["UID"]) == meeting.uid
        seen.setdefault(str(message["To"]), []).append((str(calendar["METHOD"]), event["SEQUENCE"]))
    # the police were invited, moved, then removed; the school added, then cancelled
    assert sorted(seen[district.inspector.email]) == [("CANCEL", 2), ("REQUEST", 0), ("REQUEST", 1)]
    assert sorted(seen[district.pedagogue.email]) == [("CANCEL", 3), ("REQUEST", 2)]
    assert sorted(seen[district.coordinator.email]) == [
        ("CANCEL", 3),
        ("REQUEST", 0),
        ("REQUEST", 1),
        ("REQUEST", 2),
    ]
