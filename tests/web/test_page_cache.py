"""Kept page parts: a change anyone commits is on the next view, the clock moves them on within
a minute, and nobody is shown another person's part."""

from __future__ import annotations

import re
import sys
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_login import login_user
from sqlmodel import Session

import web.fragments
from models.core.base import utcnow
from models.core.db import make_engine
from models.core.settings import Settings
from models.meetings.answers import record_response
from models.meetings.tables import Answer
from tests.factories import District, csrf_token, in_days, login, logout, make_user, schedule
from tests.web.test_outbox import fail_all
from web import create_app
from web.fragments import FragmentCache, cached
from workers.runtime import build_runtime


def _window() -> str:
    day = in_days(3).date()
    return f"start={day - timedelta(days=3)}T00:00:00Z&end={day + timedelta(days=3)}T00:00:00Z"


def test_a_meeting_scheduled_elsewhere_is_on_the_next_view_of_every_page(
    client: FlaskClient, district: District, session: Session, settings: Settings
) -> None:
    schedule(session, settings, district)
    session.commit()
    login(client, district.inspector.email)
    pages = ("/", "/meetings", f"/calendar/events?{_window()}")
    for path in pages:  # seen once, so kept
        assert "Повторное обследование" not in client.get(path).get_data(as_text=True)
    # Another process (here: the test's own session) schedules and commits.
    schedule(session, settings, district, title="Повторное обследование")
    session.commit()
    for path in pages:
        assert "Повторное обследование" in client.get(path).get_data(as_text=True), path


def test_a_colleague_in_the_same_agency_and_role_sees_their_own_answers(
    client: FlaskClient, district: District, session: Session, settings: Settings
) -> None:
    meeting = schedule(session, settings, district).meeting  # the police are invited
    colleague = make_user(session, district.police, "second@police.test", "member")
    session.commit()
    login(client, colleague.email)
    assert "Обследование условий проживания" in _answers_panel(client.get("/"))
    logout(client)
    record_response(session, meeting=meeting, user=district.inspector, answer=Answer.ACCEPTED)
    session.commit()
    login(client, district.inspector.email)
    home = client.get("/").get_data(as_text=True)
    assert "Обследование условий проживания" not in _answers_panel(home)
    assert "Обследование условий проживания" in home  # the agency's next meetings, shared
    logout(client)
    login(client, colleague.email)
    assert "Обследование условий проживания" in _answers_panel(client.get("/"))


def test_the_answer_buttons_of_a_kept_panel_work_after_signing_in_again(
    client: FlaskClient, district: District, session: Session, settings: Settings
) -> None:
    meeting = schedule(session, settings, district).meeting
    session.commit()
    login(client, district.inspector.email)
    client.get("/")  # kept for this sign-in
    logout(client)
    login(client, district.inspector.email)
    home = client.get("/").get_data(as_text=True)
    answered = client.post(
        f"/meetings/{meeting.id}/answer/declined",
        data={"csrf_token": csrf_token(_answers_panel(home)), "back": "home"},
    )
    assert answered.status_code == 302  # not refused as a stale form
    assert "Обследование условий проживания" not in _answers_panel(client.get("/"))


def test_a_kept_part_is_rendered_again_in_the_next_minute_or_after_a_change(
    app: Flask,
    district: District,
    session: Session,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    renders: list[int] = []

    def render() -> str:
        renders.append(1)
        return f"render {len(renders)}"

    def view() -> str:
        with app.test_request_context("/"):
            login_user(district.inspector)
            return cached("part", ("test",), render)

    now = utcnow().replace(second=10)
    monkeypatch.setattr(web.fragments, "utcnow", lambda: now)
    assert view() == view() == "render 1"
    monkeypatch.setattr(web.fragments, "utcnow", lambda: now + timedelta(seconds=55))
    assert view() == "render 2"  # a task falls overdue, a meeting ends: within a minute
    schedule(session, settings, district)
    session.commit()
    assert view() == "render 3"
    assert view() == "render 3"


def test_no_part_is_kept_when_the_cache_is_switched_off(
    make_settings: object, database_url: str, district: District
) -> None:
    settings = make_settings(database_url, BIRGE_PAGE_CACHE_MB="0")  # type: ignore[operator]
    engine = make_engine(settings.database_url)
    runtime = build_runtime(settings, engine)
    app = create_app(settings, runtime=runtime)
    try:
        renders: list[int] = []
        for _ in range(2):
            with app.test_request_context("/"):
                cached("part", ("test",), lambda: str(renders.append(1)))
        assert len(renders) == 2
    finally:
        runtime.close()
        engine.dispose()


def test_the_store_forgets_the_least_recently_used_parts_beyond_its_size() -> None:
    part = sys.getsizeof("x" * 20)  # what a part of 20 characters takes in memory
    store = FragmentCache(max_bytes=5 * part)
    store.put("a", "x" * 20)
    store.put("b", "y" * 20)
    store.put("huge", "z" * 2 * part)  # over a quarter of the store: never kept
    assert store.get("a") == "x" * 20  # "a" is now the most recently used
    for key in "cdef":
        store.put(key, "w" * 20)
    assert store.get("b") is None and store.get("huge") is None
    assert store.get("a") == "x" * 20 and len(store) == 5  # full
    store.put("c", "v" * 20)  # replaced, not added
    store.put("g", "w" * 20)
    assert store.get("d") is None and len(store) == 5


def _answers_panel(page: object) -> str:
    html = page if isinstance(page, str) else page.get_data(as_text=True)  # type: ignore[attr-defined]
    found = re.search(r'<section aria-labelledby="to-answer-title".*?</section>', html, re.S)
    assert found is not None
    return found.group(0)


def test_the_chair_learns_of_undelivered_emails_within_a_minute(
    client: FlaskClient,
    district: District,
    session: Session,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    schedule(session, settings, district)
    session.commit()
    now = utcnow().replace(second=5)
    monkeypatch.setattr(web.fragments, "utcnow", lambda: now)
    login(client, district.chair.email)
    assert "не доставлены" not in client.get("/").get_data(as_text=True)
    fail_all(session)  # the outbox moves no change mark
    monkeypatch.setattr(web.fragments, "utcnow", lambda: now + timedelta(seconds=60))
    assert "3 письма не доставлены." in client.get("/").get_data(as_text=True)
