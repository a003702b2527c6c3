"""A member in Chromium counts a statutory deadline with the calculator."""

from __future__ import annotations

from typing import Any

from models.core.settings import Settings
from tests.browser import test_schedule_meeting as shared
from tests.factories import PASSWORD, District

browser = shared.browser
portal = shared.portal


def test_a_member_counts_one_working_day_over_nauryz(
    browser: Any, portal: tuple[str, Settings, District]
) -> None:
    base_url, _settings, district = portal
    page = browser.new_page(locale="ru-RU", timezone_id="Asia/Almaty")
    page.goto(base_url + "/login")
    page.fill("#email", district.inspector.email)
    page.fill("#password", PASSWORD)
    page.click("form.card button[type=submit]")
    page.wait_for_url(base_url + "/")

    page.click("text=Калькулятор сроков")
    assert page.locator("h1").inner_text() == "Калькулятор сроков"
    page.fill("#received_date", "2026-03-20")
    page.fill("#received_time", "15:00")
    page.fill("#days", "")
    page.select_option("#kind", "working_days")
    page.click("form.card button[type=submit]")
    assert "Укажите количество дней." in page.locator(".error").first.inner_text()

    page.fill("#days", "1")
    page.click("form.card button[type=submit]")
    assert page.locator("#due").inner_text() == "четверг, 26 марта 2026, 18:00"
    skipped = page.locator("section.result ul").inner_text()
    assert "Наурыз мейрамы (перенесённый выходной)" in skipped
