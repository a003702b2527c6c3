"""The portal's main pages in Chromium on a 360 px phone and a desktop, in ru and kk:
nothing wider than the screen, the language switch in view, the calendar drawn under the
Content-Security-Policy. Screenshots go to tests/artifacts/ (git-ignored) to be looked at."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlmodel import Session

from models.core.settings import Settings
from tests.browser.test_schedule_meeting import browser, portal  # noqa: F401 - fixtures
from tests.browser.walk import ARTIFACTS, sign_in
from tests.factories import District, in_days, make_user, schedule
from web import create_app
from web.context import runtime

PHONE = {"width": 360, "height": 780}
PAGES = ["/", "/meetings", "/calendar/view", "/calendar", "/account"]
ADMIN_PAGES = [
    "/admin/users",
    "/admin/agencies",
    "/admin/import",
    "/admin/users/new",
    "/meetings/new",
]


@pytest.fixture
def filled(portal: tuple[str, Settings, District]) -> Iterator[tuple[str, District]]:  # noqa: F811
    base_url, settings, district = portal
    app = create_app(settings)
    with Session(runtime(app).engine, expire_on_commit=False) as session:
        for days in (1, 2, 4):
            schedule(
                session,
                settings,
                district,
                organizer=district.chair,
                kind="coordination_meeting",
                title="Разбор просроченных поручений по району",
                starts_at=in_days(days, hour=6),
                ends_at=in_days(days, hour=7),
                agency_ids=[district.police.id, district.education.id, district.school.id],
                location="Акимат, малый зал заседаний, второй этаж",
            )
        make_user(session, district.akimat, "admin@akimat.test", "admin")
        session.commit()
    runtime(app).broker.close()
    runtime(app).engine.dispose()
    yield base_url, district


@pytest.mark.parametrize(("who", "locale"), [("chair", "kk"), ("chair", "ru"), ("admin", "ru")])
def test_main_pages_fit_a_phone_and_the_calendar_draws(
    browser: Any,  # noqa: F811
    filled: tuple[str, District],
    who: str,
    locale: str,
) -> None:
    base_url, district = filled
    email = district.chair.email if who == "chair" else "admin@akimat.test"
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(
        viewport=PHONE, locale=f"{locale}-KZ", timezone_id="Asia/Almaty", device_scale_factor=1
    )
    page = context.new_page()
    refused: list[str] = []
    page.on(
        "console",
        lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
    )
    sign_in(page, base_url, email, locale)
    for path in PAGES + (ADMIN_PAGES if who == "admin" else []):
        page.goto(base_url + path)
        if path == "/calendar/view":
            page.wait_for_selector(".fc-list-event, .fc-event", timeout=10_000)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], (path, width)
        switch = page.locator(f"button[name=locale][value={locale}]").bounding_box()
        assert switch is not None and switch["x"] + switch["width"] <= PHONE["width"], path
        name = path.strip("/").replace("/", "-") or "home"
        page.screenshot(path=str(ARTIFACTS / f"{who}-{locale}-360-{name}.png"), full_page=True)
    assert refused == []
    # The chair's home is the district, in Kazakh; the calendar lists the coming meetings.
    page.goto(base_url + "/")
    if who == "chair":
        overview = {"kk": "Аудан бойынша шолу", "ru": "Обзор района"}[locale]
        assert page.locator("h1").inner_text() == overview
        # The akimat takes part in its three coordination meetings: the chair has them to
        # answer, and sees that none of their six invitees (two of the akimat, two police
        # officers, education and the school) has answered yet, once the fold is opened.
        page.locator("details.answers > summary").click()
        to_answer, replies = page.locator("section.responses").all()
        assert to_answer.locator("li", has_text="Разбор просроченных поручений").count() == 3
        waiting = {
            "kk": "Әлі жауап бермегендер: 6 шақырылғанның 6",
            "ru": "Ещё не ответили: 6 из 6 приглашённых",
        }[locale]
        assert replies.inner_text().count(waiting) == 3
    page.goto(base_url + "/calendar/view")
    page.wait_for_selector(".fc-list-event")
    assert page.locator(".fc-list-event").count() >= 1
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(base_url + "/calendar/view")
    page.wait_for_selector(".fc-daygrid-event")
    page.screenshot(path=str(ARTIFACTS / f"{who}-{locale}-1280-calendar.png"), full_page=True)
    page.locator(".fc-daygrid-event").first.click()
    page.wait_for_url(base_url + "/meetings/*")
    assert "Разбор просроченных поручений" in page.locator("h1").inner_text()
    assert refused == []
    context.close()
