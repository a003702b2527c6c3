"""A member in Chromium copies their own feed address and their calendar app can read it."""

from __future__ import annotations

from typing import Any

from icalendar import Calendar
from playwright.sync_api import expect

from models.core.settings import Settings
from tests.browser.test_schedule_meeting import browser, portal  # noqa: F401 - fixtures
from tests.factories import PASSWORD, District


def test_a_member_copies_their_own_feed_address(
    browser: Any,  # noqa: F811 - the fixture
    portal: tuple[str, Settings, District],  # noqa: F811 - the fixture
) -> None:
    base_url, _settings, district = portal
    context = browser.new_context(locale="ru-RU", timezone_id="Asia/Almaty")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
    page = context.new_page()
    page.goto(base_url + "/login")
    page.fill("#email", district.inspector.email)
    page.fill("#password", PASSWORD)
    page.click("form.card button[type=submit]")
    page.wait_for_url(base_url + "/")

    page.click("header nav a[href='/calendar']")
    assert "Apple Calendar" in page.locator("main").inner_text()
    button = page.locator("button[data-copy='person-feed-url']")
    button.click()
    expect(button).to_have_text("Скопировано")  # once the clipboard took it
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == page.input_value("#person-feed-url")
    assert copied != page.input_value("#feed-url")

    response = page.request.get(copied)
    assert response.status == 200 and response.headers["content-type"].startswith("text/calendar")
    assert Calendar.from_ical(response.body())["X-WR-CALNAME"] == "Birge: мой календарь"
    context.close()
