"""In Chromium, in ru and kk: the organizer holds a case conference, records who came, the
minutes and its decisions; the decisions show up as tasks on the dashboard, the meeting and
education's task deadline in the calendar view, and the protocol downloads as a DOCX. A police
inspector answers the conference's invitation from their home page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import docx
import pytest
from playwright.sync_api import expect
from sqlmodel import Session

from models.core.db import make_engine
from models.core.settings import Settings
from models.tasks.tables import Task
from tests.browser import test_schedule_meeting as shared
from tests.browser.walk import LANGUAGES, TEXT, screenshot, sign_in
from tests.factories import District, schedule_case_conference

browser = shared.browser
portal = shared.portal


@pytest.mark.parametrize("locale", LANGUAGES)
def test_a_case_conference_is_held_and_its_decisions_become_tasks(
    browser: Any, portal: tuple[str, Settings, District], tmp_path: Path, locale: str
) -> None:
    base_url, settings, district = portal
    text = TEXT[locale]
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
        session.add(
            Task(
                district_id=district.row.id,  # type: ignore[arg-type]
                case_id=district.case.id,
                title="Запросить характеристику из школы",
                responsible_agency_id=district.education.id,  # type: ignore[arg-type]
                due_at=now - timedelta(hours=2),
            )
        )
        session.commit()
    engine.dispose()

    page = browser.new_page(locale=f"{locale}-KZ", timezone_id="Asia/Almaty")
    sign_in(page, base_url, district.coordinator.email, locale)
    page.click(f"a[href='/meetings/{meeting.id}']")
    page.click(f"text={text['record_minutes']}")
    page.check(f"input[name=people][value='{district.coordinator.id}']")
    page.check(f"input[name=people][value='{district.inspector.id}']")
    page.fill("#text", "Заслушали инспектора ПДН.\nРешили поручить посещение семьи.")
    page.fill("#decisions-0-text", "Посетить семью по случаю D-2026-0042")
    page.fill("#decisions-0-due_days", "3")
    page.click("form.minutes button[type=submit]")  # the agency is missing
    error = page.locator("#decision-0 .error").first.inner_text()
    assert error == text["choose_agency"]

    page.select_option("#decisions-0-agency", str(district.police.id))
    page.select_option("#decisions-0-assignee", str(district.inspector.id))
    page.fill("#decisions-1-text", "Составить индивидуальный план работы")
    page.select_option("#decisions-1-agency", str(district.education.id))
    page.check("#decisions-1-due_kind-1")  # on a date
    page.fill("#decisions-1-due_date", (now + timedelta(days=14)).date().isoformat())
    page.click("form.minutes button[type=submit]")
    page.wait_for_url(f"{base_url}/meetings/{meeting.id}/minutes")
    assert text["minutes_recorded"] in page.locator(".flash").inner_text()
    decisions = page.locator("ol.decisions").inner_text()
    assert "Посетить семью по случаю D-2026-0042" in decisions and "Inspector" in decisions
    screenshot(page, f"coordinator-{locale}-minutes")

    with page.expect_download() as download:
        page.click(f"text={text['protocol']}")
    saved = tmp_path / "protocol.docx"
    download.value.save_as(saved)
    content = "\n".join(p.text for p in docx.Document(BytesIO(saved.read_bytes())).paragraphs)
    assert "Протокол" in content and "D-2026-0042" in content and "Председатель" in content

    page.click(f"nav >> text={text['tasks']}")
    assert "Составить индивидуальный план работы" in page.locator("main").inner_text()
    # The dashboard: education's new task among its agency's tasks.
    page.goto(base_url + "/")
    tasks = page.locator("section.tasks-panel")
    assert text["agency_tasks"] in tasks.inner_text()
    assert "Составить индивидуальный план работы" in tasks.inner_text()
    screenshot(page, f"coordinator-{locale}-home-tasks")
    # The calendar view: the conference on today's list.
    page.click(f"nav >> text={text['calendar']}")
    page.wait_for_selector(".fc-event, .fc-list-event", timeout=10_000)
    assert "Индивидуальный план работы" in page.locator(".fc").inner_text()
    screenshot(page, f"coordinator-{locale}-calendar")
    # Education's new task by its deadline, alone under the "task deadline" kind; it opens
    # the task's page.
    page.select_option("#calendar-filters select[name=kind]", label=text["task_deadline"])
    # (days off stay marked whatever the kind: background entries, not events)
    expect(page.locator(".fc-event:not(.task-deadline):not(.day-off)")).to_have_count(0)
    overdue = page.locator(".fc-event.task-overdue", has_text="Запросить характеристику")
    expect(overdue).to_have_css("background-color", "rgb(179, 38, 30)")  # --bad: it stands out
    assert overdue.get_attribute("title") == f"{text['overdue_task']} · D-2026-0042"
    almaty = ZoneInfo("Asia/Almaty")
    if (now + timedelta(days=14)).month != now.astimezone(almaty).month:
        page.click(".fc-next-button")
    deadline = page.locator(".fc-event.task-deadline", has_text="Составить индивидуальный план")
    expect(deadline).to_have_count(1)
    assert deadline.get_attribute("title") == f"{text['task_deadline']} · D-2026-0042"
    screenshot(page, f"coordinator-{locale}-calendar-deadline")
    deadline.click()
    page.wait_for_url(re.compile(rf"{re.escape(base_url)}/tasks/\d+$"))
    assert "Составить индивидуальный план работы" in page.locator("main").inner_text()
    page.close()

    # The police inspector answers the conference from the home page, then sees the decision.
    police = browser.new_page(locale=f"{locale}-KZ", timezone_id="Asia/Almaty")
    sign_in(police, base_url, district.inspector.email, locale)
    awaited = police.locator("section.responses", has_text=text["to_answer"])
    card = awaited.locator("li", has_text="Индивидуальный план работы")
    screenshot(police, f"member-{locale}-home-to-answer")
    card.locator("button", has_text=text["accept"]).click()
    police.wait_for_url(base_url + "/")
    assert text["recorded"] in police.locator(".flash").first.inner_text()
    assert text["none_to_answer"] in awaited.inner_text()
    police.goto(base_url + "/tasks?scope=mine")
    assert "Посетить семью по случаю D-2026-0042" in police.locator("main").inner_text()
    police.close()
