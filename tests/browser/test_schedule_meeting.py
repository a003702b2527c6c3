"""A person in Chromium signs in and schedules a meeting through the real form."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import Session
from werkzeug.serving import make_server

from models.core.db import make_engine
from models.core.settings import Settings
from models.meetings.tables import Meeting
from models.outbox.notifications import Notification
from tests import services
from tests.browser.walk import LANGUAGES, TEXT, screenshot, sign_in
from tests.factories import District, make_district
from web import create_app
from web.context import runtime

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not services.CHROMIUM:
        services.unavailable("Debian's chromium is not installed (make test installs it as root)")
    try:  # an optional dev dependency: without it the browser tests skip, not fail to collect
        from playwright.sync_api import sync_playwright  # noqa: PLC0415
    except ImportError:
        services.unavailable("playwright is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=services.CHROMIUM, args=CHROMIUM_FLAGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def portal(
    make_settings: Callable[..., Settings],
    postgres_only_url: str,
    amqp_url: str,
    queue_name: str,
) -> Iterator[tuple[str, Settings, District]]:
    port = services.free_port()
    settings = make_settings(
        postgres_only_url,
        BIRGE_BROKER_URL=amqp_url,
        BIRGE_QUEUE_NAME=queue_name,
        BIRGE_BASE_URL=f"http://127.0.0.1:{port}",
    )
    app = create_app(settings)
    with Session(runtime(app).engine, expire_on_commit=False) as session:
        district = make_district(session)
        session.commit()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}", settings, district
    server.shutdown()
    thread.join()
    runtime(app).close()
    runtime(app).engine.dispose()


@pytest.mark.parametrize("locale", LANGUAGES)
def test_coordinator_schedules_a_case_conference_in_the_browser(
    browser: Any, portal: tuple[str, Settings, District], tmp_path: Path, locale: str
) -> None:
    base_url, settings, district = portal
    text = TEXT[locale]
    page = browser.new_page(locale=f"{locale}-KZ", timezone_id="Asia/Almaty")
    page.goto(base_url + "/")
    assert page.url.startswith(base_url + "/login")
    sign_in(page, base_url, district.coordinator.email, locale)
    assert page.locator("h1").inner_text() == text["upcoming"]

    page.click("a.button")
    day = (datetime.now(UTC) + timedelta(days=6)).date().isoformat()
    page.select_option("#kind", "case_conference")
    page.fill("#title", "Индивидуальный план работы")
    page.fill("#date", day)
    page.fill("#start_time", "11:00")
    page.fill("#end_time", "10:00")  # a slip: ends before it starts
    page.fill("#case_code", "D-2026-0042")
    page.check(f"input[name=agencies][value='{district.police.id}']")
    page.click("form.card > button[type=submit]")
    assert page.locator(".error").first.inner_text() == text["ends_before_start"]

    page.fill("#end_time", "12:00")
    page.click("form.card > button[type=submit]")
    page.wait_for_url(base_url + "/meetings/*")
    assert page.locator("h1").inner_text() == "Индивидуальный план работы"
    assert text["scheduled"] in page.locator(".flash").first.inner_text()
    facts = page.locator("dl.facts").inner_text()
    police = "Отдел полиции" if locale == "ru" else "Мекеме police"  # the test agency's names
    assert "D-2026-0042" in facts and "11:00–12:00" in facts and police in facts
    screenshot(page, f"coordinator-{locale}-meeting")

    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        meeting = session.scalars(select(Meeting)).one()
        assert meeting.starts_at.hour == 6  # 11:00 in Almaty
        recipients = set(session.scalars(select(Notification.recipient)))
    engine.dispose()
    # a case conference invites every agency working on the case
    assert recipients == {
        district.coordinator.email,
        district.inspector.email,
        district.police_head.email,
        district.pedagogue.email,
    }
    page.close()
