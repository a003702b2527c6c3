"""Task deadlines in the agency's and the assignee's feeds, republished when the task changes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from icalendar import Calendar
from sqlmodel import Session

from calendars.feed import DEADLINE_LENGTH
from models.core.base import utcnow
from models.core.settings import Settings
from models.feeds.tokens import feed_token, person_feed_token
from models.tasks.operations import complete_task, create_task, reassign_task
from tests.factories import District, in_days
from tests.queues import run_until_idle
from workers.runtime import Runtime, tick_feeds


@pytest.fixture
def settings(make_settings: Callable[..., Settings], database_url: str) -> Settings:
    return make_settings(database_url, BIRGE_FEED_DEBOUNCE_SECONDS="0")


def publish(runtime: Runtime) -> None:
    tick_feeds(runtime)
    run_until_idle(runtime, threads=1)


def deadlines(runtime: Runtime, token: str) -> dict[str, Any]:
    body = runtime.feeds.store.path(token).read_bytes()
    return {
        str(e["UID"]): e
        for e in Calendar.from_ical(body).walk("VEVENT")
        if str(e["UID"]).startswith("task-")
    }


def test_a_task_deadline_shows_in_its_agency_and_assignee_feeds_and_follows_changes(
    session: Session, settings: Settings, district: District, runtime: Runtime
) -> None:
    police = feed_token(session, district.police, settings.secret_key)
    inspector = person_feed_token(session, district.inspector, settings.secret_key)
    head = person_feed_token(session, district.police_head, settings.secret_key)
    school = feed_token(session, district.school, settings.secret_key)
    session.commit()
    for token in (police, inspector, head, school):
        runtime.feeds.publish_on_request(token)

    due = in_days(4, hour=13)  # 18:00 in Almaty
    task = create_task(
        session,
        district.police_head,
        settings=settings,
        title="Провести обследование условий",
        agency_id=district.police.id,  # type: ignore[arg-type]
        due_at=due,
        now=utcnow(),
        case=district.case,
        assignee_id=district.inspector.id,
    )
    session.commit()
    publish(runtime)

    uid = f"task-{task.id}@birge.test"
    (event,) = deadlines(runtime, police).values()
    assert str(event["UID"]) == uid
    assert str(event["SUMMARY"]) == "Провести обследование условий — D-2026-0042"
    assert event.decoded("DTEND") == due  # at its moment, 18:00 local, not all day
    assert event.decoded("DTEND") - event.decoded("DTSTART") == DEADLINE_LENGTH
    assert event["TRANSP"] == "TRANSPARENT"
    assert list(deadlines(runtime, inspector)) == [uid]
    assert deadlines(runtime, head) == {} and deadlines(runtime, school) == {}

    complete_task(session, district.inspector, task, note="", now=utcnow())
    session.commit()
    publish(runtime)
    done = deadlines(runtime, police)[uid]
    assert str(done["SUMMARY"]).startswith("✓ ") and done["SEQUENCE"] == 1


def test_reassigning_a_task_moves_it_between_personal_feeds(
    session: Session, settings: Settings, district: District, runtime: Runtime
) -> None:
    inspector = person_feed_token(session, district.inspector, settings.secret_key)
    head = person_feed_token(session, district.police_head, settings.secret_key)
    session.commit()
    task = create_task(
        session,
        district.police_head,
        settings=settings,
        title="Запросить характеристику из школы",
        agency_id=district.police.id,  # type: ignore[arg-type]
        due_at=in_days(6, hour=13),
        now=utcnow(),
        assignee_id=district.inspector.id,
    )
    session.commit()
    for token in (inspector, head):
        runtime.feeds.publish_on_request(token)
    assert len(deadlines(runtime, inspector)) == 1

    reassign_task(
        session,
        district.police_head,
        task,
        agency_id=district.police.id,  # type: ignore[arg-type]
        assignee_id=district.police_head.id,
        now=utcnow(),
    )
    session.commit()
    publish(runtime)

    assert deadlines(runtime, inspector) == {}
    (moved,) = deadlines(runtime, head).values()
    assert str(moved["SUMMARY"]) == "Запросить характеристику из школы" and moved["SEQUENCE"] == 1
