"""The chair's first screen and the calendar's days off, in Chromium.

The deputy akim opens the portal to see how the district is doing: its overdue tasks and the
agencies' on-time rates come first, at 1280x800 above the fold and first on a phone, and the
invitations fold away. The calendar view marks public holidays and decree days off.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlmodel import Session

from calendars.workdays import WorkCalendar
from models.core.settings import Settings
from models.tasks.tables import Task
from models.workdays.calendar import CalendarOverride, days_off_between
from models.workdays.holiday_names import holiday_label
from tests.browser.test_schedule_meeting import browser, portal  # noqa: F401 - fixtures
from tests.browser.walk import screenshot, sign_in
from tests.factories import District, in_days, schedule
from web import create_app
from web.context import runtime

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def busy_district(portal: tuple[str, Settings, District]) -> Iterator[tuple[str, District]]:  # noqa: F811
    """Nine overdue tasks, a record of tasks done on time or late, and five meetings that
    await the chair's answer."""
    base_url, settings, district = portal
    app = create_app(settings)
    with Session(runtime(app).engine, expire_on_commit=False) as session:
        for n, agency in enumerate([district.police] * 5 + [district.education] * 4):
            session.add(
                Task(
                    district_id=district.row.id,  # type: ignore[arg-type]
                    title=f"Просроченное поручение {n + 1}",
                    responsible_agency_id=agency.id,  # type: ignore[arg-type]
                    due_at=in_days(-2 - n),
                )
            )
        for n, (agency, late) in enumerate(
            [(district.police, True), (district.school, False), (district.school, False)]
        ):
            due = in_days(-20 - n)
            session.add(
                Task(
                    district_id=district.row.id,  # type: ignore[arg-type]
                    title=f"Выполненное поручение {n + 1}",
                    responsible_agency_id=agency.id,  # type: ignore[arg-type]
                    due_at=due,
                    status="done",
                    completed_at=due + timedelta(days=3 if late else -1),
                )
            )
        for days in range(1, 6):
            schedule(
                session,
                settings,
                district,
                organizer=district.pedagogue,
                kind="prevention_council",
                title=f"Совет профилактики № {days}",
                starts_at=in_days(days + 0.2, hour=6),
                ends_at=in_days(days + 0.2, hour=7),
                agency_ids=[district.akimat.id, district.police.id, district.education.id],
                school_id=district.school.id,
                case_code=None,
                address="",
            )
        session.commit()
    runtime(app).broker.close()
    runtime(app).engine.dispose()
    yield base_url, district


def _in_first_screen(page: Any, selector: str, viewport: dict[str, int]) -> bool:
    box = page.locator(selector).first.bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"]


def test_the_chair_sees_the_districts_overdue_tasks_and_on_time_rates_first(
    browser: Any,  # noqa: F811
    busy_district: tuple[str, District],
) -> None:
    base_url, district = busy_district
    context = browser.new_context(
        viewport=DESKTOP, locale="kk-KZ", timezone_id="Asia/Almaty", device_scale_factor=1
    )
    page = context.new_page()
    sign_in(page, base_url, district.chair.email, "kk")
    screenshot(page, "chair-kk-1280-home")
    record = page.locator("section.district-record")
    assert record.locator("h2").inner_text() == "Аудан тапсырмалары"
    # The district's nine overdue tasks, and the on-time rates per agency, above the fold.
    overdue = record.locator(".stats .alarm dd")
    assert overdue.inner_text() == "9"
    assert _in_first_screen(page, "section.district-record .stats .alarm dd", DESKTOP)
    rates = record.locator("ul.on-time li")
    # Due in 90 days: the police did 0 of 6 on time, education 0 of 4, the school 2 of 2.
    assert rates.count() == 3
    assert "100%" in rates.filter(has_text="Мекеме school-1").inner_text()
    for n in range(rates.count()):
        box = rates.nth(n).bounding_box()
        assert box is not None and box["y"] + box["height"] <= DESKTOP["height"], n
    assert _in_first_screen(page, "section.district-record ul.overdue li", DESKTOP)
    # The invitations are folded away below it, saying how many wait; one click opens them.
    fold = page.locator("details.answers")
    assert fold.get_attribute("open") is None
    assert fold.locator("summary").inner_text() == (
        "Шақырулар мен жауаптар: 5 шақыру жауабыңызды күтуде"
    )
    assert not page.locator("ul.to-answer").is_visible()
    fold.locator("summary").click()
    assert page.locator("ul.to-answer li").count() == 5
    assert page.locator("ul.to-answer li").first.is_visible()

    # On a phone the district's record is the first thing under the heading.
    page.set_viewport_size(PHONE)
    page.goto(base_url + "/")
    screenshot(page, "chair-kk-390-home")
    first = page.locator("main#content section").first
    assert "district-record" in (first.get_attribute("class") or "")
    assert _in_first_screen(page, "section.district-record .stats .alarm dd", PHONE)
    context.close()


def test_an_inspector_still_opens_on_their_invitations(
    browser: Any,  # noqa: F811
    busy_district: tuple[str, District],
) -> None:
    base_url, district = busy_district
    page = browser.new_page(viewport=DESKTOP, locale="ru-KZ", timezone_id="Asia/Almaty")
    sign_in(page, base_url, district.inspector.email, "ru")
    assert page.locator("section.district-record").count() == 0
    assert page.locator("details.answers").count() == 0
    assert page.locator("ul.to-answer li").first.is_visible()
    page.close()


def test_the_calendar_marks_public_holidays_and_decree_days_off(
    browser: Any,  # noqa: F811
    portal: tuple[str, Settings, District],  # noqa: F811
) -> None:
    base_url, settings, district = portal
    today = datetime.now(settings.zone).date()
    # The next public holiday on a weekday, and a decree day off on a plain weekday after it.
    holiday, name = next(
        (day, label)
        for day, label in days_off_between(
            WorkCalendar(zone=settings.zone), today, today + timedelta(days=200)
        ).items()
        if label and day.weekday() < 5
    )
    decree = holiday + timedelta(days=1)
    while decree.weekday() > 4 or days_off_between(
        WorkCalendar(zone=settings.zone), decree, decree
    ):
        decree += timedelta(days=1)
    app = create_app(settings)
    with Session(runtime(app).engine) as session:
        session.add(
            CalendarOverride(
                district_id=district.row.id,  # type: ignore[arg-type]
                day=decree,
                kind="day_off",
                note="Постановление",
            )
        )
        starts = datetime(holiday.year, holiday.month, holiday.day, 10, tzinfo=settings.zone)
        schedule(
            session,
            settings,
            district,
            starts_at=starts,
            ends_at=starts + timedelta(hours=1),
            now=starts - timedelta(days=300),
        )
        session.commit()
    runtime(app).broker.close()
    runtime(app).engine.dispose()

    page = browser.new_page(viewport=DESKTOP, locale="ru-KZ", timezone_id="Asia/Almaty")
    sign_in(page, base_url, district.inspector.email, "ru")
    page.goto(base_url + "/calendar/view")
    page.wait_for_selector(".fc-daygrid-day")
    for _month in range((holiday.year - today.year) * 12 + holiday.month - today.month):
        page.click(".fc-next-button")
    mark = page.locator(f".fc-daygrid-day[data-date='{holiday}'] .fc-bg-event.day-off")
    mark.wait_for()
    assert mark.inner_text() == holiday_label(name, "ru")
    for _month in range((decree.year - holiday.year) * 12 + decree.month - holiday.month):
        page.click(".fc-next-button")
    decreed = page.locator(f".fc-daygrid-day[data-date='{decree}'] .fc-bg-event.day-off")
    decreed.wait_for()
    assert decreed.inner_text() == "Выходной день (по постановлению)"
    screenshot(page, "inspector-ru-1280-calendar-days-off")
    # A working day next to the holiday is not marked.
    assert page.locator(".fc-bg-event.day-off").count() < 12
    # On a phone the week's list names the holiday beside the day of the meeting held on it.
    page.set_viewport_size(PHONE)
    page.goto(base_url + "/calendar/view")
    page.wait_for_selector(".fc-list")
    monday = holiday - timedelta(days=holiday.weekday())
    for _week in range((monday - (today - timedelta(days=today.weekday()))).days // 7):
        page.click(".fc-next-button")
    header = page.locator(f".fc-list-day[data-date='{holiday}']")
    header.wait_for()
    assert holiday_label(name, "ru") in header.inner_text()
    screenshot(page, "inspector-ru-390-calendar-day-off")
    page.close()
