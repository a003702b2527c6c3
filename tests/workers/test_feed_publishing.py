"""Publishing feeds as files: one rebuild per burst, rotation, 304s from stat, broken records."""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from email.utils import format_datetime
from typing import Any

import pytest
from flask.testing import FlaskClient
from icalendar import Calendar
from sqlalchemy import event, select
from sqlmodel import Session, col

from models.core.base import utcnow
from models.core.settings import Settings
from models.feeds.tokens import FeedToken, feed_token, person_feed_token, rotate_feed
from models.meetings.facts import mark_meeting_feeds_dirty
from models.meetings.tables import Meeting, MeetingAgency
from tests import factories
from tests.factories import District, csrf_token, in_days, login
from tests.queues import run_until_idle
from workers.runtime import Runtime, tick_feeds


@pytest.fixture
def settings(make_settings: Callable[..., Settings], database_url: str) -> Settings:
    # No debounce: the tests say when the burst is over by calling the tick.
    return make_settings(database_url, BIRGE_FEED_DEBOUNCE_SECONDS="0")


def events(body: bytes) -> list[Any]:
    return list(Calendar.from_ical(body).walk("VEVENT"))


def path_of(url: str) -> str:
    return url.removeprefix("http://birge.test")


@pytest.fixture
def police_token(session: Session, settings: Settings, district: District) -> str:
    token = feed_token(session, district.police, settings.secret_key)
    session.commit()
    return token


def test_a_burst_of_100_changes_causes_one_rebuild(
    session: Session,
    settings: Settings,
    district: District,
    runtime: Runtime,
    police_token: str,
) -> None:
    for n in range(100):
        factories.schedule(session, settings, district, title=f"Обследование № {n}")
        session.commit()  # 100 separate changes, 100 marks

    assert tick_feeds(runtime) == 1
    run_until_idle(runtime)
    assert tick_feeds(runtime) == 0

    assert runtime.feeds.builds == 1
    published = runtime.feeds.store.path(police_token).read_bytes()
    assert len(events(published)) == 100


def test_a_rebuild_after_one_change_renders_only_that_event(
    session: Session, settings: Settings, district: District, runtime: Runtime, police_token: str
) -> None:
    meetings = [factories.schedule(session, settings, district).meeting for _ in range(30)]
    session.commit()
    tick_feeds(runtime)
    run_until_idle(runtime)
    misses = runtime.feeds.cache.misses

    changed = meetings[7]
    changed.title = "Повторное обследование"
    changed.sequence += 1
    changed.updated_at = utcnow()
    session.add(changed)
    mark_meeting_feeds_dirty(session, [district.police.id, district.education.id])
    session.commit()
    tick_feeds(runtime)
    run_until_idle(runtime)

    assert runtime.feeds.cache.misses - misses == 1
    (event_,) = [
        e
        for e in events(runtime.feeds.store.path(police_token).read_bytes())
        if str(e["UID"]) == changed.uid
    ]
    assert "Повторное обследование" in str(event_["SUMMARY"]) and event_["SEQUENCE"] == 1


def test_a_never_published_feed_is_built_on_its_first_request(
    client: FlaskClient, session: Session, settings: Settings, district: District, runtime: Runtime
) -> None:
    meeting = factories.schedule(session, settings, district).meeting
    token = feed_token(session, district.police, settings.secret_key)
    session.commit()
    assert runtime.feeds.store.stat(token) is None

    first = client.get(f"/calendars/{token}.ics")
    assert first.status_code == 200 and first.mimetype == "text/calendar"
    assert [str(e["UID"]) for e in events(first.data)] == [meeting.uid]
    assert runtime.feeds.store.path(token).read_bytes() == first.data
    again = client.get(f"/calendars/{token}.ics")
    assert again.data == first.data and again.headers["ETag"] == first.headers["ETag"]
    assert runtime.feeds.builds == 1


def test_a_current_copy_gets_304_without_a_query_or_a_rebuild(
    client: FlaskClient, runtime: Runtime, police_token: str
) -> None:
    url = f"/calendars/{police_token}.ics"
    first = client.get(url)
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert re.fullmatch(r'"[0-9a-f]+-[0-9a-f]+"', etag)  # nginx's format for the same file
    assert first.headers["Cache-Control"] == "private, no-cache"
    builds = runtime.feeds.builds
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(runtime.engine, "before_cursor_execute", count)
    try:
        by_tag = client.get(url, headers={"If-None-Match": etag})
        by_date = client.get(url, headers={"If-Modified-Since": modified})
        stale = client.get(url, headers={"If-None-Match": '"0-0"'})
    finally:
        event.remove(runtime.engine, "before_cursor_execute", count)

    assert by_tag.status_code == 304 and by_tag.data == b"" and by_tag.headers["ETag"] == etag
    assert by_date.status_code == 304
    assert stale.status_code == 200 and stale.data == first.data
    assert statements == [] and runtime.feeds.builds == builds


def test_a_changed_feed_is_downloaded_again_with_a_new_tag(
    client: FlaskClient,
    session: Session,
    settings: Settings,
    district: District,
    runtime: Runtime,
    police_token: str,
) -> None:
    url = f"/calendars/{police_token}.ics"
    first = client.get(url)
    factories.schedule(session, settings, district)
    session.commit()
    tick_feeds(runtime)
    run_until_idle(runtime)
    changed = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and len(events(changed.data)) == 1
    assert changed.headers["ETag"] != first.headers["ETag"]
    old_date = format_datetime(utcnow() - timedelta(days=1), usegmt=True)
    assert client.get(url, headers={"If-Modified-Since": old_date}).status_code == 200


def test_rotating_a_token_removes_its_file_at_once(
    client: FlaskClient, district: District, runtime: Runtime
) -> None:
    login(client, district.police_head.email)
    page = client.get("/calendar").get_data(as_text=True)
    old = re.search(r'id="feed-url"[^>]*value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    assert client.get(path_of(old)).status_code == 200
    old_token = path_of(old).removeprefix("/calendars/").removesuffix(".ics")
    assert runtime.feeds.store.stat(old_token) is not None

    client.post("/calendar/rotate", data={"csrf_token": csrf_token(page), "confirm": "yes"})

    assert runtime.feeds.store.stat(old_token) is None
    assert client.get(path_of(old)).status_code == 404


def test_a_message_for_a_rotated_feed_removes_its_file(
    session: Session, settings: Settings, district: District, runtime: Runtime, police_token: str
) -> None:
    assert runtime.feeds.publish_on_request(police_token) is not None
    row = session.scalars(
        select(FeedToken).where(col(FeedToken.agency_id) == district.police.id)
    ).one()
    rotation = rotate_feed(session, settings.secret_key, agency=district.police)
    session.commit()  # the rotation commits, but its caller has not removed the file yet
    assert rotation.revoked == [police_token]
    assert runtime.feeds.store.stat(police_token) is not None
    assert row.id is not None and not runtime.feeds.publish(row.id)
    assert runtime.feeds.store.stat(police_token) is None


def test_files_of_revoked_tokens_and_inactive_people_are_swept(
    session: Session, settings: Settings, district: District, runtime: Runtime, police_token: str
) -> None:
    mine = person_feed_token(session, district.inspector, settings.secret_key)
    session.commit()
    for token in (police_token, mine):
        assert runtime.feeds.publish_on_request(token) is not None
        an_hour_ago = time.time() - 3600
        os.utime(runtime.feeds.store.path(token), (an_hour_ago, an_hour_ago))
    # A rotation whose caller never removed the old file (a crash, another secret key):
    rotate_feed(session, settings.secret_key, agency=district.police)
    district.inspector.active = False
    session.add(district.inspector)
    session.commit()

    runtime.feeds.due()

    assert runtime.feeds.store.stat(police_token) is None
    assert runtime.feeds.store.stat(mine) is None
    assert runtime.feeds.publish_on_request(mine) is None


def test_the_sweep_spares_a_file_written_after_it_read_the_live_tokens(
    runtime: Runtime, police_token: str
) -> None:
    before = time.time() - 10  # the sweep read the live tokens; then a token was issued
    assert runtime.feeds.publish_on_request(police_token) is not None
    assert runtime.feeds.store.sweep(set(), known_at=before) == 0
    assert runtime.feeds.store.stat(police_token) is not None


def test_one_broken_meeting_is_logged_by_id_and_left_out(
    session: Session,
    settings: Settings,
    district: District,
    runtime: Runtime,
    police_token: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    good = factories.schedule(session, settings, district).meeting
    broken = Meeting(
        uid="meeting-broken@birge.test",
        district_id=district.row.id,  # type: ignore[arg-type]
        kind="joint_inspection",
        title="Секретное название",
        starts_at=in_days(2),
        ends_at=in_days(2) - timedelta(hours=1),  # ends before it starts
        organizer_agency_id=district.police.id,  # type: ignore[arg-type]
    )
    session.add(broken)
    session.flush()
    session.add(MeetingAgency(meeting_id=broken.id, agency_id=district.police.id))  # type: ignore[arg-type]
    session.commit()

    with caplog.at_level(logging.WARNING):
        body = runtime.feeds.publish_on_request(police_token)

    assert body is not None and [str(e["UID"]) for e in events(body)] == [good.uid]
    assert f"meeting {broken.id}" in caplog.text
    assert "Секретное" not in caplog.text


def test_a_person_feed_shows_their_meetings_in_their_language(
    client: FlaskClient, session: Session, settings: Settings, district: District
) -> None:
    meeting = factories.schedule(session, settings, district).meeting  # with the police
    factories.schedule(session, settings, district, agency_ids=[district.school.id])
    token = person_feed_token(session, district.police_head, settings.secret_key)  # reads kk
    session.commit()

    body = client.get(f"/calendars/{token}.ics").data
    (only,) = events(body)
    assert str(only["UID"]) == meeting.uid
    assert str(only["SUMMARY"]).startswith("Бірлескен тексеру")
    assert "Birge" in str(Calendar.from_ical(body)["X-WR-CALNAME"])


@pytest.fixture
def logged_in_member(client: FlaskClient, district: District) -> Iterator[FlaskClient]:
    login(client, district.inspector.email)
    yield client


def test_staff_find_and_renew_their_own_feed_address(
    logged_in_member: FlaskClient, runtime: Runtime
) -> None:
    client = logged_in_member
    page = client.get("/calendar").get_data(as_text=True)
    assert "Apple Calendar" in page and "Мой календарь" in page
    mine = re.search(r'id="person-feed-url"[^>]*value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    agency = re.search(r'id="feed-url"[^>]*value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    assert mine != agency and client.get(path_of(mine)).status_code == 200

    response = client.post("/calendar/rotate-mine", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 302
    renewed = client.get("/calendar").get_data(as_text=True)
    new = re.search(r'id="person-feed-url"[^>]*value="([^"]+)"', renewed).group(1)  # type: ignore[union-attr]
    assert new != mine
    assert client.get(path_of(mine)).status_code == 404
    assert client.get(path_of(new)).status_code == 200
    assert agency in renewed  # the agency's address is untouched


def test_a_person_feed_names_a_case_only_to_those_who_may_know_it(
    client: FlaskClient, session: Session, settings: Settings, district: District
) -> None:
    ngo = factories.make_agency(session, district.row, "ngo", "ngo")
    ngo_staff = factories.make_user(session, ngo, "staff@ngo.test", "coordinator")
    # a joint inspection on the case may invite an agency that does not work on it
    factories.schedule(
        session,
        settings,
        district,
        organizer=district.pedagogue,
        case_code="D-2026-0042",
        agency_ids=[ngo.id, district.police.id],
    )
    feeds = {
        person.email: person_feed_token(session, person, settings.secret_key)
        for person in (ngo_staff, district.pedagogue)
    }
    session.commit()

    bodies = {  # unfolded: a code may sit across a folded line
        email: client.get(f"/calendars/{t}.ics").data.replace(b"\r\n ", b"")
        for email, t in feeds.items()
    }
    assert len(events(bodies[ngo_staff.email])) == 1  # invited, so the meeting is there...
    assert b"D-2026-0042" not in bodies[ngo_staff.email]  # ...but not the case it is about
    assert b"D-2026-0042" in bodies[district.pedagogue.email]
