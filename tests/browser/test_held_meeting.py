"""In Chromium, the organizer holds a case conference, records who came, the minutes and its
decisions; the decisions show up as tasks, and the protocol downloads as a DOCX."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

import docx
from sqlmodel import Session

from models.db import make_engine
from models.settings import Settings
from tests.browser import test_schedule_meeting as shared
from tests.browser.test_open_case import sign_in
from tests.factories import District, schedule_case_conference

browser = shared.browser
portal = shared.portal


def test_a_case_conference_is_held_and_its_decisions_become_tasks(
    browser: Any, portal: tuple[str, Settings, District], tmp_path: Path
) -> None:
    base_url, settings, district = portal
    now = datetime.now(UTC)
    engine = make_engine(settings.database_url)
    with Session(engine, expire_on_commit=False) as session:
        meeting = schedule_case_conference(
            session,
            settings,
            district,
            starts_at=now - timedelta(minutes=30),
            ends_at=now + timedelta(minutes=30),
            agency_ids=[district.police.id, district.school.id],
            now=now - timedelta(days=2),
        ).meeting
        session.commit()
    engine.dispose()

    page = browser.new_page(locale="ru-RU", timezone_id="Asia/Almaty")
    sign_in(page, base_url, district.coordinator.email)
    page.click(f"a[href='/meetings/{meeting.id}']")
    page.click("text=Записать протокол")
    page.check(f"input[name=people][value='{district.coordinator.id}']")
    page.check(f"input[name=people][value='{district.inspector.id}']")
    page.fill("#text", "Заслушали инспектора ПДН.\nРешили поручить посещение семьи.")
    page.fill("#decisions-0-text", "Посетить семью по случаю D-2026-0042")
    page.fill("#decisions-0-due_days", "3")
    page.click("form.minutes button[type=submit]")  # the agency is missing
    error = page.locator("#decision-0 .error").first.inner_text()
    assert error == "Выберите ответственное ведомство."

    page.select_option("#decisions-0-agency", str(district.police.id))
    page.select_option("#decisions-0-assignee", str(district.inspector.id))
    page.fill("#decisions-1-text", "Составить индивидуальный план работы")
    page.select_option("#decisions-1-agency", str(district.education.id))
    page.check("#decisions-1-due_kind-1")  # on a date
    page.fill("#decisions-1-due_date", (now + timedelta(days=14)).date().isoformat())
    page.click("form.minutes button[type=submit]")
    page.wait_for_url(f"{base_url}/meetings/{meeting.id}/minutes")
    assert "каждое решение стало поручением" in page.locator(".flash").inner_text()
    decisions = page.locator("ol.decisions").inner_text()
    assert "Посетить семью по случаю D-2026-0042" in decisions and "Inspector" in decisions
    if os.environ.get("BIRGE_SCREENSHOTS"):
        page.screenshot(path=os.environ["BIRGE_SCREENSHOTS"] + "/minutes.png", full_page=True)

    with page.expect_download() as download:
        page.click("text=Протокол на подпись (DOCX, русский)")
    saved = tmp_path / "protocol.docx"
    download.value.save_as(saved)
    text = "\n".join(p.text for p in docx.Document(BytesIO(saved.read_bytes())).paragraphs)
    assert "Протокол" in text and "D-2026-0042" in text and "Председатель" in text

    page.click("nav >> text=Поручения")
    assert "Составить индивидуальный план работы" in page.locator("main").inner_text()
    page.close()

    # The police inspector sees the decision in their own list.
    police = browser.new_page(locale="ru-RU", timezone_id="Asia/Almaty")
    sign_in(police, base_url, district.inspector.email)
    police.goto(base_url + "/tasks?scope=mine")
    assert "Посетить семью по случаю D-2026-0042" in police.locator("main").inner_text()
    police.close()
