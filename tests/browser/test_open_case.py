"""In Chromium, a coordinator opens a case and completes its first task; the police inspector
on the case sees its code and tasks, never the child."""

from __future__ import annotations

from typing import Any

from models.core.settings import Settings
from tests.browser import test_schedule_meeting as shared
from tests.browser.walk import sign_in
from tests.factories import CHILD, District

browser = shared.browser
portal = shared.portal


def test_a_case_is_opened_worked_on_and_kept_private(
    browser: Any, portal: tuple[str, Settings, District]
) -> None:
    base_url, _settings, district = portal
    page = browser.new_page(locale="ru-RU", timezone_id="Asia/Almaty")
    sign_in(page, base_url, district.coordinator.email)
    page.click("nav >> text=Случаи")
    page.click("text=Открыть случай")
    page.fill("#received_date", "2026-03-20")
    page.fill("#received_time", "15:00")
    page.select_option("#source", "helpline_111")
    page.select_option("#category", "violence")
    page.check(f"input[name=agencies][value='{district.police.id}']")
    page.check("#signs_of_offence")
    page.fill("#child_name", CHILD.child_name)
    page.fill("#address", CHILD.address)
    # Past the browser's maxlength (as a script could): the server refuses it at the field.
    page.evaluate("document.querySelector('#notes').removeAttribute('maxlength')")
    page.fill("#notes", "x" * 2001)
    page.click("form.card button[type=submit]")
    assert page.locator(".field.invalid").count() == 1
    page.fill("#notes", CHILD.notes)
    page.click("form.card button[type=submit]")
    # Received months ago: the form says which statutory tasks are overdue before saving.
    assert "Это сообщение уже просрочено по срокам" in page.locator("main").inner_text()
    assert page.url == base_url + "/cases/new"
    page.check("#confirm_late")
    page.click("form.card button[type=submit]")
    page.wait_for_url(base_url + "/cases/D-*")
    code = page.url.rsplit("/", 1)[1]
    assert page.locator("h1").inner_text() == f"Случай {code}"
    assert CHILD.child_name in page.locator("section.restricted").inner_text()
    tasks = page.locator("table.tasks").inner_text()
    # 20 March 2026, 15:00: one working day over Nauryz ends on Thursday 26 March at 18:00.
    assert "26 марта 2026, 18:00" in tasks
    assert "Незамедлительно сообщить в ОВД" in tasks

    page.click("text=Сформировать первичную информацию о ребёнке (семье)")
    page.fill("#complete-note", "Первичная информация сформирована")
    page.click("text=Отметить выполненным")
    assert "Выполнено" in page.locator("dl.facts").inner_text()
    page.close()

    page = browser.new_page(locale="ru-RU", timezone_id="Asia/Almaty")
    sign_in(page, base_url, district.inspector.email)
    page.goto(f"{base_url}/cases/{code}")
    assert page.locator("h1").inner_text() == f"Случай {code}"
    body = page.locator("main").inner_text()
    assert CHILD.child_name not in body and CHILD.address not in body
    response = page.goto(f"{base_url}/cases/{code}/restricted")
    assert response is not None and response.status == 404
    page.close()
