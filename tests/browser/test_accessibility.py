"""axe-core (the axe-playwright-python package, run in Debian's Chromium) over every page of the
portal as each role and signed out, at 1280 px and 390 px, in ru and kk: no violation of impact
"serious" or "critical". Every WCAG 2.1 A/AA rule in Russian; in Kazakh, the same pages, the
rules that read the words (:data:`WORDS`).

One test per role and language, so pytest-xdist spreads them; each signs in once and reuses
its page, and checks each page at both widths (the calendar view is reloaded, since it picks
its view by the screen's width when it loads).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlmodel import Session

from models.core.settings import Settings
from models.meetings.answers import rsvp_links
from models.meetings.tables import Answer
from models.minutes.recording import DecisionDraft, record_minutes
from models.people.tables import District as DistrictRow
from models.people.tables import Region
from models.tasks.tables import Task
from tests.browser.test_schedule_meeting import browser, portal  # noqa: F401 - fixtures
from tests.browser.walk import sign_in
from tests.factories import (
    District,
    in_days,
    make_overseer,
    make_user,
    schedule,
    schedule_case_conference,
)
from web import create_app
from web.context import runtime

WIDTHS = [{"width": 1280, "height": 800}, {"width": 390, "height": 844}]
SEVERE = {"serious", "critical"}
#: The WCAG 2.1 A and AA rules (best practices aside: they cost a third of the time).
WCAG = "{type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}"
#: On a phone a page has the same elements and attributes, only laid out and shown anew: the
#: rules that read the layout. (The calendar view builds another view there: all rules.)
LAYOUT = (
    "{type: 'rule', values: ['color-contrast', 'link-in-text-block', 'scrollable-region-focusable',"
    " 'meta-viewport']}"
)

#: A page in Kazakh has the elements and attributes of the same page in Russian, which is checked
#: with every rule: in Kazakh, the rules that read the words and their layout (a label or name
#: left empty, a language, contrast, longer words that overflow).
WORDS = (
    "{type: 'rule', values: ['color-contrast', 'link-in-text-block', 'scrollable-region-focusable',"
    " 'meta-viewport', 'html-has-lang', 'html-lang-valid', 'valid-lang', 'document-title',"
    " 'label', 'link-name', 'button-name', 'input-button-name', 'select-name', 'image-alt',"
    " 'frame-title', 'aria-input-field-name', 'aria-toggle-field-name', 'aria-command-name']}"
)

#: Every page a signed-in person may open; a role refused one (403) or not told of it (404)
#: does not see it. ``{meeting}`` is a single meeting, ``{series}`` a council series, ``{held}``
#: a meeting with its minutes, ``{task}`` a task, ``{agency}`` and ``{user}`` rows to edit.
PAGES = [
    "/",
    "/meetings",
    "/meetings/new",
    "/meetings/{meeting}",
    "/meetings/{meeting}/reschedule",
    "/meetings/{meeting}/cancel",
    "/meetings/{meeting}/participants",
    "/meetings/{series}",
    "/meetings/{series}/series",
    "/meetings/{held}",
    "/meetings/{held}/minutes",
    "/calendar/view",
    "/calendar",
    "/calendar/rotate",
    "/account",
    "/cases",
    "/cases/new",
    "/cases/D-2026-0042",
    "/tasks",
    "/tasks/new",
    "/tasks/{task}",
    "/working-days/calculator",
    "/working-days/overrides",
    "/admin/users",
    "/admin/users/new",
    "/admin/users/{user}",
    "/admin/agencies",
    "/admin/agencies/new",
    "/admin/agencies/{agency}",
    "/admin/import",
    "/admin/escalation",
    "/admin/rules",
    "/admin/notifications",
    "/region",
    "/deployment",
]
#: What each role must at least see, so that a page refused by mistake does not go unchecked.
SEEN_AT_LEAST = {"admin": 30, "chair": 20, "coordinator": 22, "member": 13, "signed_out": 3}
SEEN_AT_LEAST |= {"regional": 2, "deployment": 2}  # their page and their account
#: Where an account above the districts lands when it signs in.
HOME = {"regional": "/region", "deployment": "/deployment"}


def _portal_with_everything(portal: tuple[str, Settings, District]) -> dict[str, str]:  # noqa: F811
    """Fill the test district with a page of every kind; return the values of PAGES' names
    and a signed-out answer link."""
    _base_url, settings, district = portal
    now = datetime.now(UTC)
    app = create_app(settings)
    with Session(runtime(app).engine, expire_on_commit=False) as session:
        meeting = schedule(session, settings, district, agency_ids=[district.police.id]).meeting
        series = schedule(
            session,
            settings,
            district,
            organizer=district.pedagogue,
            kind="prevention_council",
            title="Совет профилактики школы № 1",
            case_code="",
            address="",
            starts_at=in_days(8),
            ends_at=in_days(8) + timedelta(hours=1),
            agency_ids=[district.police.id],
            school_id=district.school.id,
            rrule="FREQ=WEEKLY;COUNT=4",
        ).meeting
        held = schedule_case_conference(
            session,
            settings,
            district,
            starts_at=now - timedelta(hours=2),
            ends_at=now - timedelta(hours=1),
            agency_ids=[district.police.id, district.school.id],
            now=now - timedelta(days=2),
        ).meeting
        record_minutes(
            session,
            district.coordinator,
            held,
            settings=settings,
            text="Заслушали инспектора ПДН.\nРешили поручить посещение семьи.",
            present_user_ids=[district.coordinator.id, district.inspector.id],  # type: ignore[list-item]
            present_agency_ids=[],
            decisions=[
                DecisionDraft(
                    text="Посетить семью по случаю D-2026-0042",
                    agency_id=district.police.id,
                    due_kind="working_days",
                    due_days=3,
                )
            ],
            now=now,
        )
        task = Task(
            district_id=district.row.id,  # type: ignore[arg-type]
            case_id=district.case.id,
            title="Запросить характеристику из школы",
            responsible_agency_id=district.police.id,  # type: ignore[arg-type]
            due_at=now - timedelta(hours=2),
        )
        session.add(task)
        admin = make_user(session, district.akimat, "admin@akimat.test", "admin")
        region = Region(name_ru="Западно-Казахстанская область", name_kk="Батыс Қазақстан облысы")
        session.add(region)
        session.flush()
        session.get(DistrictRow, district.row.id).region_id = region.id  # type: ignore[union-attr]
        regional = make_overseer(session, "region@oblast.test", "regional", region)
        deployment = make_overseer(session, "deploy@birge.test", "deployment")
        session.commit()
        answer = rsvp_links(settings, meeting, district.inspector)[Answer.ACCEPTED]
    runtime(app).broker.close()
    runtime(app).engine.dispose()
    return {
        "meeting": str(meeting.id),
        "series": str(series.id),
        "held": str(held.id),
        "task": str(task.id),
        "agency": str(district.police.id),
        "user": str(district.inspector.id),
        "admin": admin.email,
        "regional": regional.email,
        "deployment": deployment.email,
        "answer": urlsplit(answer).path,
    }


@cache
def _axe_script() -> str:
    """axe-core's script as the package bundles it (a dev dependency)."""
    from axe_playwright_python.sync_playwright import Axe  # noqa: PLC0415

    return str(Axe().axe_script)


def _severe(page: Any, rules: str = WCAG) -> list[str]:
    """Run axe-core's *rules* on the page as it is now (injected once per document)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(_axe_script())
    results = page.evaluate(f"axe.run(document, {{resultTypes: ['violations'], runOnly: {rules}}})")
    return [
        f"{v['id']} ({v['impact']}): "
        + "; ".join(str(node["target"][0]) if node["target"] else "?" for node in v["nodes"][:3])
        for v in results["violations"]
        if v["impact"] in SEVERE
    ]


def _check(page: Any, url: str, failures: list[str], full: str = WCAG) -> bool:
    """Check *url* at both widths (with *full* at the first); return False when the page is
    not this role's."""
    page.set_viewport_size(WIDTHS[0])
    response = page.goto(url)
    if response is None or response.status in (403, 404):
        return False
    assert response.status == 200, (url, response.status)
    calendar = "/calendar/view" in url
    for width in WIDTHS:
        rules = full
        if width is not WIDTHS[0]:
            page.set_viewport_size(width)
            if calendar:
                page.reload()
            else:
                rules = LAYOUT
        if calendar:
            page.wait_for_selector(".fc-view-harness .fc-scrollgrid, .fc-list")
        found = _severe(page, rules)
        failures += [f"{urlsplit(url).path} at {width['width']} px: {v}" for v in found]
    return True


@pytest.mark.parametrize("locale", ["ru", "kk"])
@pytest.mark.parametrize(
    "role", ["admin", "chair", "coordinator", "member", "regional", "deployment", "signed_out"]
)
def test_no_serious_accessibility_violation_on_any_page(
    browser: Any,  # noqa: F811
    portal: tuple[str, Settings, District],  # noqa: F811
    role: str,
    locale: str,
) -> None:
    base_url, _settings, district = portal
    names = _portal_with_everything(portal)
    context = browser.new_context(
        viewport=WIDTHS[0], locale=f"{locale}-KZ", timezone_id="Asia/Almaty"
    )
    page = context.new_page()
    failures: list[str] = []
    seen = []
    full = WCAG if locale == "ru" else WORDS
    if role == "signed_out":
        page.goto(base_url + "/login")
        page.click(f"button[name=locale][value={locale}]")
        for path in ["/login", "/password/forgot", names["answer"]]:
            if _check(page, base_url + path, failures, full):
                seen.append(path)
    else:
        email = {
            "admin": names["admin"],
            "chair": district.chair.email,
            "coordinator": district.coordinator.email,
            "member": district.inspector.email,
            "regional": names["regional"],
            "deployment": names["deployment"],
        }[role]
        sign_in(page, base_url, email, locale, lands=HOME.get(role, "/"))
        for path in PAGES:
            if _check(page, base_url + path.format(**names), failures, full):
                seen.append(path)
    context.close()
    assert failures == []
    assert len(seen) >= SEEN_AT_LEAST[role], seen
