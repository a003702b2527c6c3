"""What people tripped over in Chromium: danger buttons they could not read and a sitting
cancelled by one click, Enter in the new-meeting form inviting every agency, pages wider than
a 360 px phone and task tables wrapping letter by letter, a "Cancel the task" button that looked
like "Mark as done", and a missing favicon."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import select
from sqlmodel import Session

from models.core.db import make_engine
from models.core.settings import Settings
from models.meetings.tables import Meeting, Sitting
from models.outbox.notifications import Notification
from tests.browser.test_schedule_meeting import browser, portal  # noqa: F401 - fixtures
from tests.browser.walk import LANGUAGES, screenshot, sign_in
from tests.factories import District, in_days, make_agency, make_user, open_test_case
from tests.models.meetings.test_series import council

PHONE = {"width": 360, "height": 780}

#: WCAG's contrast ratio of an element's text against the first opaque background behind it.
CONTRAST = """(element) => {
  const rgb = (value) => value.match(/[\\d.]+/g).map(Number);
  const luminance = ([r, g, b]) => {
    const lin = (c) => {
      c /= 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    };
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  };
  let back = element;
  while (back && rgb(getComputedStyle(back).backgroundColor)[3] === 0) back = back.parentElement;
  const bg = back ? rgb(getComputedStyle(back).backgroundColor) : [255, 255, 255];
  const [a, b] = [luminance(rgb(getComputedStyle(element).color)), luminance(bg)];
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}"""

#: Words of table cells broken over two lines (a cell narrower than a word), as "cell: word".
#: A break after a hyphen ("Зорлық-зомбылық") is not one.
BROKEN_WORDS = """() => {
  const broken = [];
  for (const cell of document.querySelectorAll('main td, main th')) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const m of node.data.matchAll(/[^\\s-]+/g)) {  // a break after a hyphen is fine
        const range = document.createRange();
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].length);
        const tops = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
        if (tops.size > 1) broken.push(cell.innerText.slice(0, 30) + ': ' + m[0]);
      }
    }
  }
  return broken;
}"""


def contrast(locator: Any) -> float:
    return float(locator.evaluate(CONTRAST))


@pytest.fixture
def engine(portal: tuple[str, Settings, District]) -> Iterator[Any]:  # noqa: F811
    engine = make_engine(portal[1].database_url)
    yield engine
    engine.dispose()


def test_danger_buttons_are_readable_and_a_sitting_is_cancelled_only_once_confirmed(
    browser: Any,  # noqa: F811
    portal: tuple[str, Settings, District],  # noqa: F811
    engine: Any,
) -> None:
    base_url, settings, district = portal
    with Session(engine, expire_on_commit=False) as session:
        meeting = council(session, settings, district)
    page = browser.new_page(locale="ru-KZ", timezone_id="Asia/Almaty")
    sign_in(page, base_url, district.pedagogue.email, "ru")
    series = f"{base_url}/meetings/{meeting.id}/series"
    page.goto(series)
    first = page.locator("#sitting-1")
    cancel = first.locator(".danger", has_text="Отменить это заседание")
    end = page.locator("button.danger", has_text="Завершить серию")
    for button in (cancel, end):
        assert contrast(button) >= 4.5, button
    screenshot(page, "usability-series-danger")

    # One click on "Cancel this sitting" asks first; nothing is cancelled or sent yet.
    with Session(engine) as session:
        sent = len(session.scalars(select(Notification.id)).all())
    when = first.locator("strong").first.inner_text()
    cancel.click()
    page.wait_for_load_state()
    assert page.url != series
    main = page.locator("main").inner_text()
    assert when in main and meeting.title in main
    with Session(engine) as session:
        assert session.scalars(select(Sitting)).all() == []
        assert len(session.scalars(select(Notification.id)).all()) == sent
    confirm = page.locator("main button.danger[type=submit]")
    assert contrast(confirm) >= 4.5
    screenshot(page, "usability-sitting-cancel-confirm")
    # Going back keeps the sitting.
    page.locator("main a", has_text="Назад").click()
    page.wait_for_url(series)
    assert "отменено" not in page.locator("#sitting-1").inner_text()
    page.locator("#sitting-1 .danger").click()
    page.wait_for_load_state()
    page.locator("main button.danger[type=submit]").click()
    page.wait_for_url(series)
    assert "Заседание отменено" in page.locator(".flash").first.inner_text()
    assert "отменено" in page.locator("#sitting-1").inner_text()
    with Session(engine) as session:
        (sitting,) = session.scalars(select(Sitting)).all()
        assert sitting.cancelled

    # A sitting that is not one of the series (or already cancelled) has nothing to confirm.
    asked = f"{base_url}/meetings/{meeting.id}/sittings/cancel?original="
    for original in ("nonsense", sitting.original_start.isoformat()):
        response = page.goto(asked + quote(original))
        assert response is not None and response.status == 400, original

    # The meeting's own cancel page and the subscription's "issue a new address".
    page.goto(f"{base_url}/meetings/{meeting.id}/cancel")
    assert contrast(page.locator("main button.danger")) >= 4.5
    page.close()
    page = browser.new_page(locale="ru-KZ", timezone_id="Asia/Almaty")
    sign_in(page, base_url, district.coordinator.email, "ru")
    page.goto(base_url + "/calendar")
    page.locator("details.danger-zone summary").click()
    page.locator("details.danger-zone a.button").click()
    button = page.locator("main button.danger", has_text="Да, выдать новый адрес")
    assert contrast(button) >= 4.5
    page.close()


def test_enter_in_the_new_meeting_form_submits_it_never_a_preset(
    browser: Any,  # noqa: F811
    portal: tuple[str, Settings, District],  # noqa: F811
    engine: Any,
) -> None:
    base_url, _settings, district = portal
    page = browser.new_page(locale="ru-KZ", timezone_id="Asia/Almaty")
    sign_in(page, base_url, district.coordinator.email, "ru")
    page.goto(base_url + "/meetings/new")
    page.fill("#title", "Рабочая встреча по летнему отдыху")
    with page.expect_navigation():
        page.press("#title", "Enter")
    # The form was submitted as it is: its missing date is shown, no agency was ticked for it.
    assert page.locator("#date-error").is_visible()
    assert page.locator("input[name=agencies]:checked").count() == 0
    assert page.input_value("#title") == "Рабочая встреча по летнему отдыху"

    # Filled in, Enter schedules the meeting with the agencies chosen, and no others.
    page.select_option("#kind", "joint_inspection")
    page.fill("#date", in_days(6).date().isoformat())
    page.fill("#start_time", "10:00")
    page.fill("#end_time", "11:00")
    page.fill("#case_code", "D-2026-0042")
    page.fill("#address", "ул. Абая, 1")
    page.check(f"input[name=agencies][value='{district.police.id}']")
    with page.expect_navigation():
        page.press("#title", "Enter")
    page.wait_for_url(re.compile(r".*/meetings/\d+$"))
    with Session(engine) as session:
        meeting = session.scalars(select(Meeting)).one()
        recipients = set(session.scalars(select(Notification.recipient)))
    assert meeting.title == "Рабочая встреча по летнему отдыху"
    assert district.inspector.email in recipients
    assert district.pedagogue.email not in recipients  # the school was not invited
    page.close()


@pytest.fixture
def busy(
    portal: tuple[str, Settings, District],  # noqa: F811
    engine: Any,
) -> tuple[str, District, int, str, int]:
    """The district with a commission of a long name, an open case with its statutory tasks
    (overdue by now), a council series and an administrator."""
    base_url, settings, district = portal
    with Session(engine, expire_on_commit=False) as session:
        make_agency(
            session,
            district.row,
            "kdnzp",
            "kdnzp",
            name_ru="Комиссия по делам несовершеннолетних и защите их прав",
            name_kk="Кәмелетке толмағандардың істері және олардың құқықтарын қорғау жөніндегі "
            "комиссия",
        )
        opened = open_test_case(
            session, district, agency_ids=[district.school.id, district.police.id]
        )
        code, task_id = opened.case.code, opened.tasks[0].id
        make_user(session, district.akimat, "admin@akimat.test", "admin")
        session.commit()
        meeting = council(session, settings, district)
    assert task_id is not None and meeting.id is not None
    return base_url, district, meeting.id, code, task_id


@pytest.mark.parametrize("locale", LANGUAGES)
def test_every_page_fits_a_360_px_phone_and_table_cells_keep_their_words(
    browser: Any,  # noqa: F811
    busy: tuple[str, District, int, str, int],
    locale: str,
) -> None:
    base_url, district, meeting_id, code, task_id = busy
    walks = {
        district.coordinator.email: [
            "/tasks",
            "/tasks?scope=agency&bucket=overdue",
            f"/tasks/{task_id}",
            "/tasks/new",
            f"/cases/{code}",
            "/cases",
            "/cases/new",
            "/calendar/view",
            "/calendar",
            "/meetings/new",
        ],
        district.pedagogue.email: [f"/meetings/{meeting_id}/series", "/tasks"],
        district.chair.email: ["/", "/tasks?scope=district", "/calendar/view"],
        "admin@akimat.test": [
            "/admin/users",
            "/admin/escalation",
            "/admin/agencies",
            "/admin/rules",
            "/admin/users/new",
        ],
    }
    problems = []
    for email, paths in walks.items():
        context = browser.new_context(
            viewport=PHONE, locale=f"{locale}-KZ", timezone_id="Asia/Almaty"
        )
        page = context.new_page()
        sign_in(page, base_url, email, locale)
        for path in paths:
            response = page.goto(base_url + path)
            assert response is not None and response.status == 200, (email, path)
            if path == "/calendar/view":
                page.wait_for_selector(".fc-view-harness")
            width = page.evaluate("document.documentElement.scrollWidth")
            inner = page.evaluate("innerWidth")
            if width > inner:
                problems.append(f"{email} {path}: {width} px wide")
            broken = page.evaluate(BROKEN_WORDS)
            if broken:
                problems.append(f"{email} {path}: words broken in cells: {broken[:3]}")
            name = path.strip("/").replace("/", "-").replace("?", "-") or "home"
            screenshot(page, f"usability-{locale}-360-{email.split('@')[0]}-{name}")
        context.close()
    assert problems == [], "\n".join(problems)


def test_cancel_the_task_looks_unlike_mark_as_done_and_the_portal_has_an_icon(
    browser: Any,  # noqa: F811
    busy: tuple[str, District, int, str, int],
) -> None:
    base_url, district, _meeting_id, _code, task_id = busy
    page = browser.new_page(locale="ru-KZ", timezone_id="Asia/Almaty")
    sign_in(page, base_url, district.coordinator.email, "ru")
    page.goto(f"{base_url}/tasks/{task_id}")
    done = page.locator("main button[type=submit]", has_text="Отметить выполненным")
    cancel = page.locator("main button[type=submit]", has_text="Отменить поручение")

    def look(button: Any) -> list[str]:
        return [
            button.evaluate(f"b => getComputedStyle(b).{prop}")
            for prop in ("backgroundColor", "color")
        ]

    assert look(done) != look(cancel)
    assert look(cancel)[0] != look(done)[0]  # not the same filled green
    assert contrast(cancel) >= 4.5 and contrast(done) >= 4.5

    icon = page.locator("link[rel~=icon]").first.get_attribute("href")
    assert icon
    response = page.request.get(base_url + icon if icon.startswith("/") else icon)
    assert response.status == 200 and response.headers["content-type"].startswith("image/")
    favicon = page.request.get(base_url + "/favicon.ico")
    assert favicon.status == 200 and favicon.headers["content-type"].startswith("image/")
    page.close()
