"""In Chromium, in ru and kk: a school schedules its council series, moves one sitting, sees on
its home page how many invitees have not answered, and a police officer answers the
invitation from the link in their email, without signing in."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import Session

from models.core.db import make_engine
from models.core.settings import Settings
from models.meetings.sittings import sitting_times
from models.meetings.tables import Meeting, MeetingResponse, Sitting
from models.outbox.notifications import Notification
from tests.browser.test_schedule_meeting import browser, portal  # noqa: F401 - fixtures
from tests.browser.walk import LANGUAGES, TEXT, screenshot, sign_in
from tests.factories import District, in_days
from tests.models.meetings.test_series import running_council

#: Invitees of the council: the pedagogue (school), two police officers and the education
#: coordinator (the school's usual council members).
INVITEES = 4


@pytest.mark.parametrize("locale", LANGUAGES)
def test_a_council_series_is_scheduled_moved_and_answered_in_the_browser(
    browser: Any,  # noqa: F811
    portal: tuple[str, Settings, District],  # noqa: F811
    locale: str,
) -> None:
    base_url, settings, district = portal
    text = TEXT[locale]
    page = browser.new_page(locale=f"{locale}-KZ", timezone_id="Asia/Almaty")
    # The school's social pedagogue (emails in English) works in the chosen language.
    sign_in(page, base_url, district.pedagogue.email, locale)

    page.goto(base_url + "/meetings/new")
    page.select_option("#kind", "prevention_council")
    page.fill("#title", "Совет профилактики школы № 1")
    page.fill("#date", in_days(8).date().isoformat())
    page.fill("#start_time", "15:00")
    page.fill("#end_time", "14:00")  # a slip, with a second one: no title later
    page.fill("#title", "")
    page.click("form.card > button[type=submit]")
    # every problem at once, at its field, and the focus on the first of them
    assert page.locator("#title-error").is_visible()
    assert page.locator("#end_time-error").inner_text() == text["ends_before_start"]
    # autofocus applies once the page has loaded: wait for it rather than race it
    page.wait_for_function("document.activeElement && document.activeElement.id === 'title'")
    page.fill("#title", "Совет профилактики школы № 1")
    page.fill("#end_time", "16:00")
    page.click("button[name=preset][value=council]")  # the school's usual council members
    assert page.locator(f"input[name=agencies][value='{district.police.id}']").is_checked()
    assert page.locator(f"input[name=agencies][value='{district.education.id}']").is_checked()
    page.click("form.card > button[type=submit]")
    page.wait_for_url(re.compile(r".*/meetings/\d+$"))
    assert text["scheduled"] in page.locator(".flash").first.inner_text()
    facts = page.locator("dl.facts").inner_text()
    assert text["monthly"] in facts and "15:00" in facts

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
    assert text["sitting_moved"] in page.locator(".flash").first.inner_text()
    assert text["moved"] in page.locator("#sitting-2").inner_text()
    screenshot(page, f"coordinator-{locale}-series")

    # Home: nobody has answered the council yet.
    page.goto(base_url + "/")
    replies = page.locator("section.responses", has_text=text["replies"])
    unanswered = text["unanswered"]
    assert unanswered.format(num=INVITEES, total=INVITEES) in replies.inner_text()

    # The police officer who reads this language answers from the email's link.
    officer = district.inspector if locale == "ru" else district.police_head
    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        meeting = session.scalars(select(Meeting)).one()
        assert meeting.rrule is not None and meeting.rrule.startswith("FREQ=MONTHLY")
        sitting = session.scalars(select(Sitting)).one()
        assert sitting.starts_at.astimezone(settings.zone).hour == 11
        assert sitting.original_start - meeting.starts_at > timedelta(days=20)
        invitation = session.scalars(
            select(Notification)
            .where(Notification.recipient == officer.email)
            .order_by(Notification.id)
        ).first()
        assert invitation is not None and invitation.ics_method == "REQUEST"
        body = invitation.body
    link = re.search(text["accept"] + r": (\S+)", body)
    assert link, body

    stranger = browser.new_context(locale=f"{locale}-KZ")  # not signed in
    answer = stranger.new_page()
    answer.goto(link.group(1))
    assert text["accept"] in answer.locator("main").inner_text()
    answer.click("main form button[type=submit]")
    assert text["recorded_link"] in answer.locator("main").inner_text()
    screenshot(answer, f"invitee-{locale}-answer-link")
    stranger.close()

    with Session(engine) as session:
        (response,) = session.scalars(select(MeetingResponse)).all()
        assert (response.user_id, response.answer) == (officer.id, "accepted")
    engine.dispose()

    page.goto(f"{base_url}/meetings/{meeting.id}")
    assert text["accept"] in page.locator("ul.answers").inner_text()
    page.goto(base_url + "/")
    replies = page.locator("section.responses", has_text=text["replies"])
    assert unanswered.format(num=INVITEES - 1, total=INVITEES) in replies.inner_text()
    screenshot(page, f"coordinator-{locale}-home")
    page.close()


def test_each_held_sitting_of_a_council_gets_its_own_minutes_in_the_browser(
    browser: Any,  # noqa: F811
    portal: tuple[str, Settings, District],  # noqa: F811
) -> None:
    """The school records its council's last two sittings one after the other: the later
    minutes do not overwrite the earlier, and each page and protocol carries its own date."""
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
    screenshot(page, "coordinator-en-held-sittings")
    page.close()
    engine.dispose()
