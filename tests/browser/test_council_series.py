"""In Chromium: a school schedules its council series, moves one sitting, and a police
inspector answers the invitation from the link in its email, without signing in."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from models.db import make_engine
from models.meetings import Meeting, MeetingResponse, Sitting
from models.notifications import Notification
from models.settings import Settings
from tests.browser.test_schedule_meeting import browser, portal  # noqa: F401 - fixtures
from tests.factories import PASSWORD, District, in_days


def test_a_council_series_is_scheduled_moved_and_answered_in_the_browser(
    browser: Any,  # noqa: F811
    portal: tuple[str, Settings, District],  # noqa: F811
) -> None:
    base_url, settings, district = portal
    page = browser.new_page(locale="en-GB", timezone_id="Asia/Almaty")
    page.goto(base_url + "/login")
    page.fill("#email", district.pedagogue.email)  # the school's social pedagogue (English)
    page.fill("#password", PASSWORD)
    page.click("form.card button[type=submit]")
    page.wait_for_url(base_url + "/")

    page.goto(base_url + "/meetings/new")
    page.select_option("#kind", "prevention_council")
    page.fill("#title", "School No. 1 prevention council")
    page.fill("#date", in_days(8).date().isoformat())
    page.fill("#start_time", "15:00")
    page.fill("#end_time", "14:00")  # a slip, with a second one: no title later
    page.fill("#title", "")
    page.click("form.card > button[type=submit]")
    # every problem at once, at its field, and the focus on the first of them
    assert (
        page.locator("#title-error").is_visible() and page.locator("#end_time-error").is_visible()
    )
    assert page.evaluate("document.activeElement.id") == "title"
    page.fill("#title", "School No. 1 prevention council")
    page.fill("#end_time", "16:00")
    page.click("button[name=preset][value=council]")  # the school's usual council members
    assert page.locator(f"input[name=agencies][value='{district.police.id}']").is_checked()
    assert page.locator(f"input[name=agencies][value='{district.education.id}']").is_checked()
    page.click("form.card > button[type=submit]")
    page.wait_for_url(re.compile(r".*/meetings/\d+$"))
    facts = page.locator("dl.facts").inner_text()
    assert "every month" in facts and "15:00" in facts

    page.click("nav.actions a[href$='/series']")
    page.wait_for_url(re.compile(r".*/series$"))
    second = page.locator("#sitting-2")
    second.locator("summary").click()
    old = second.locator("input[name='s2-date']").input_value()
    page.fill("#s2-date", old)  # the same day, earlier
    page.fill("#s2-start_time", "11:00")
    page.fill("#s2-end_time", "12:00")
    second.locator("form.move button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/series$"))
    assert "moved" in page.locator("#sitting-2").inner_text()
    if os.environ.get("BIRGE_SCREENSHOTS"):
        page.screenshot(path=os.environ["BIRGE_SCREENSHOTS"] + "/series.png", full_page=True)

    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        meeting = session.scalars(select(Meeting)).one()
        assert meeting.rrule is not None and meeting.rrule.startswith("FREQ=MONTHLY")
        sitting = session.scalars(select(Sitting)).one()
        assert sitting.starts_at.astimezone(settings.zone).hour == 11
        assert sitting.original_start - meeting.starts_at > timedelta(days=20)
        invitation = session.scalars(
            select(Notification)
            .where(Notification.recipient == district.inspector.email)
            .order_by(Notification.id)
        ).first()
        assert invitation is not None and invitation.ics_method == "REQUEST"
        body = invitation.body
    link = re.search(r"Приду: (\S+)", body)
    assert link, body

    stranger = browser.new_context(locale="ru-RU")  # not signed in
    answer = stranger.new_page()
    answer.goto(link.group(1))
    assert "Приду" in answer.locator("main").inner_text()
    answer.click("main form button[type=submit]")
    assert "записан" in answer.locator("main").inner_text()
    stranger.close()

    with Session(engine) as session:
        (response,) = session.scalars(select(MeetingResponse)).all()
        assert (response.user_id, response.answer) == (district.inspector.id, "accepted")
    engine.dispose()

    page.goto(f"{base_url}/meetings/{meeting.id}")
    answers = page.locator("ul.answers").inner_text()
    assert "I will attend" in answers
    page.close()


def test_each_held_sitting_of_a_council_gets_its_own_minutes_in_the_browser(
    browser: Any,  # noqa: F811
    portal: tuple[str, Settings, District],  # noqa: F811
) -> None:
    """The school records its council's last two sittings one after the other: the later
    minutes do not overwrite the earlier, and each page and protocol carries its own date."""
    from models.sittings import sitting_times
    from tests.browser.test_open_case import sign_in
    from tests.models.test_series import running_council

    base_url, settings, district = portal
    engine = make_engine(settings.database_url)
    with Session(engine, expire_on_commit=False) as session:
        meeting = running_council(session, settings, district)
        held = sitting_times(
            meeting, [], settings.zone, after=meeting.starts_at, before=datetime.now(UTC)
        )
    earlier, later = held[-2], held[-1]

    page = browser.new_page(locale="en-GB", timezone_id="Asia/Almaty")
    sign_in(page, base_url, district.pedagogue.email)
    for sitting, text in ((later, "Later sitting: one pupil."), (earlier, "Earlier: three.")):
        page.goto(f"{base_url}/meetings/{meeting.id}")
        local = sitting.starts_at.astimezone(settings.zone)
        line = page.locator("section.held-sittings li", has_text=f"{local.day} {local:%B}")
        line.locator("text=Record the minutes").click()
        page.check(f"input[name=people][value='{district.pedagogue.id}']")
        page.fill("#text", text)
        page.click("form.minutes button[type=submit]")
        page.wait_for_url(re.compile(r".*/minutes\?sitting=\w+$"))
        facts = page.locator("dl.facts").inner_text()
        assert f"{local.day} {local:%B} {local.year}" in facts
        assert text in page.locator(".minutes-text").inner_text()
    page.goto(f"{base_url}/meetings/{meeting.id}")
    assert page.locator("section.held-sittings >> text=Minutes and decisions").count() == 2
    if os.environ.get("BIRGE_SCREENSHOTS"):
        page.screenshot(path=os.environ["BIRGE_SCREENSHOTS"] + "/sittings.png", full_page=True)
    page.close()
    engine.dispose()
