"""Issue 18, point 9: a walk through the five roles in Kazakh finds no Russian or English string.

Each role signs in, switches to Kazakh and opens every GET page of ``app.url_map`` it may open
(valid sample values for the path parameters), then every page those pages link to; the
signed-out pages are opened with a Kazakh browser and with links made for a Kazakh reader.
The visible text of each page (and what a screen reader reads: ``aria-label``, ``title``,
``alt``, ``placeholder``) must hold no English message id of the catalog of two words or more
and no Russian translation that differs from the Kazakh one. The factory's own data (names,
meeting titles, the child's details) is what people typed, and is left out.
"""

from __future__ import annotations

import html as html_module
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, select

from models.core.base import utcnow
from models.core.i18n import TRANSLATIONS_DIR
from models.core.settings import Settings
from models.meetings.answers import Answer, rsvp_token
from models.minutes.recording import record_minutes
from models.outbox.notifications import Notification
from models.people.passwords import request_password_reset
from models.people.tables import Region
from models.tasks.rules import DEFAULT_RULES
from models.tasks.tables import StatutoryRule, Task
from tests.factories import (
    CHILD,
    District,
    csrf_token,
    in_days,
    login,
    make_overseer,
    make_user,
    open_test_case,
    schedule,
    schedule_case_conference,
)

#: Pages that are no page: files, feeds, probes.
NOT_PAGES = {"static", "calendars.calendar_feed", "health.healthz", "health.metrics"}
#: The intake API and its reference are for the programmers of other systems: JSON and English.
NOT_PAGES |= {"api.receive", "api.read", "api.openapi", "api.docs"}
#: Links the walk does not follow: they end the session or fetch a file.
NOT_FOLLOWED = re.compile(r"^/(logout|static/|calendars/|healthz|metrics|api/)|\.(docx|ics)$")
MAX_PAGES = 160
_PARAM = re.compile(r"<(?:[^:>]+:)?([^>]+)>")
_PLACEHOLDER = re.compile(r"%\([^)]*\)[sdif]|%[sdif]|\{[^}]*\}")
_WORD = re.compile(r"[^\W\d_]+")
_LATIN_RUN = re.compile(r"\b[A-Za-z][a-z]+(?:[ ,'’-]+[A-Za-z][a-z]+)+\b")
#: Latin words that are names, not English: the portal's brands and the calendar programs.
LATIN_NAMES = re.compile(
    r"Microsoft Outlook|Google Calendar|Outlook|Thunderbird|Google|Apple|iCalendar|Birge"
)
ROLES = ("admin", "chair", "coordinator", "pedagogue", "inspector", "regional", "deployment")
#: The roles above the districts see their own pages only (the region's, the deployment's and
#: their account).
ABOVE = ("regional", "deployment")

#: The words of a page do not depend on the database: these run on PostgreSQL alone.
pytestmark = pytest.mark.postgresql_only


@dataclass(frozen=True)
class Walk:
    district: District
    values: dict[str, list[str]]
    user_data: tuple[str, ...]
    signed_out: tuple[str, ...]


# --- what counts as a Russian or English string ----------------------------------------------


def _fragments(text: str) -> Iterator[str]:
    """The literal parts of a catalog string of two words or more (placeholders cut out)."""
    for part in _PLACEHOLDER.split(text):
        part = " ".join(part.split()).strip(" .,:;—–-«»“”\"'()")
        if len(_WORD.findall(part)) >= 2:
            yield part


@cache
def _foreign() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """English message ids and Russian translations that must not show on a Kazakh page, and
    the statutory rules' Russian titles."""

    def catalog(locale: str) -> dict[str, str]:
        path = Path(TRANSLATIONS_DIR, locale, "LC_MESSAGES", "messages.po")
        with path.open("rb") as f:
            entries = read_po(f)
        out: dict[str, str] = {}
        for message in entries:
            if not message.id:
                continue
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            strs = message.string if isinstance(message.string, tuple) else (message.string,)
            for msgid, msgstr in zip(ids, strs, strict=False):
                out[msgid] = msgstr or ""
        return out

    kk, ru = catalog("kk"), catalog("ru")
    kazakh = "\n".join(kk.values())
    english = {f for msgid in kk for f in _fragments(msgid) if f not in kazakh}
    russian = {
        f
        for msgid, text in ru.items()
        if text and text != kk.get(msgid)
        for f in _fragments(text)
        if f not in kazakh
    }
    russian |= {rule[1] for rule in DEFAULT_RULES}  # the statutory tasks' Russian titles
    return tuple(sorted(english)), tuple(sorted(russian))


class _Visible(HTMLParser):
    """The text a person sees or hears: text outside scripts, styles and code, and the
    attributes a screen reader reads."""

    READ = ("aria-label", "title", "alt", "placeholder")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.links: list[str] = []
        self._hidden = 0
        self._code = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._hidden += 1
        if tag in ("code", "kbd", "samp"):
            self._code += 1
        values = dict(attrs)
        for name in self.READ:
            if values.get(name):
                self.parts.append(str(values[name]))
        if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
            self.parts.append(str(values["value"]))
        if tag == "a" and values.get("href"):
            self.links.append(str(values["href"]))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._hidden:
            self._hidden -= 1
        if tag in ("code", "kbd", "samp") and self._code:
            self._code -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden and not self._code:  # code (CSV columns, commands) is no language
            self.parts.append(data)


def findings(html: str, user_data: Iterable[str]) -> tuple[list[str], list[str]]:
    """Return the foreign strings on the page and the page's links."""
    parser = _Visible()
    parser.feed(html)
    text = "\n".join(" ".join(p.split()) for p in parser.parts if p.strip())
    for data in sorted(user_data, key=len, reverse=True):
        text = text.replace(data, " ")
    text = re.sub(r"\bD-\d{4}-\d{4}\b|\S+@\S+|https?://\S+", " ", text)
    english, russian = _foreign()
    found = [f"en: {s}" for s in english if re.search(rf"(?<!\w){re.escape(s)}(?!\w)", text)]
    found += [f"ru: {s}" for s in russian if re.search(rf"(?<!\w){re.escape(s)}(?!\w)", text)]
    latin = LATIN_NAMES.sub(" ", text)
    found += [f"en?: {m}" for m in _LATIN_RUN.findall(latin) if f"en: {m}" not in found]
    return sorted(set(found)), parser.links


# --- the district the roles walk through -----------------------------------------------------


@pytest.fixture
def walk(session: Session, settings: Settings, district: District) -> Walk:
    admin = make_user(session, district.akimat, "admin@akimat.test", "admin", full_name="Әкімші")
    region = Region(name_ru="Западно-Казахстанская область", name_kk="Батыс Қазақстан облысы")
    session.add(region)
    session.flush()
    district.row.region_id = region.id
    make_overseer(session, "region@oblast.test", "regional", region).locale = "kk"
    make_overseer(session, "deploy@birge.test", "deployment").locale = "kk"
    for person in (district.chair, district.coordinator, district.pedagogue, district.inspector):
        person.locale = "kk"
        session.add(person)
    opened = open_test_case(session, district, now=utcnow() - timedelta(days=1))
    coming = schedule_case_conference(session, settings, district).meeting
    coordination = schedule(
        session,
        settings,
        district,
        organizer=district.chair,
        kind="coordination_meeting",
        title="Координационное совещание",
        case_code=None,
        address="",
        agency_ids=[district.education.id, district.police.id, district.school.id],
    ).meeting
    held = schedule_case_conference(
        session,
        settings,
        district,
        starts_at=in_days(-1),
        ends_at=in_days(-1) + timedelta(hours=1),
        agency_ids=[district.police.id, district.school.id],
        now=in_days(-3),
    ).meeting
    record_minutes(
        session,
        district.coordinator,
        held,
        text="Заслушали инспектора.",
        present_user_ids=[district.coordinator.id or 0, district.inspector.id or 0],
        present_agency_ids=[district.education.id or 0, district.police.id or 0],
        decisions=[],
        now=utcnow(),
        settings=settings,
    )
    request_password_reset(session, settings, district.police_head.email)
    session.commit()
    tasks = session.exec(select(Task).order_by(Task.id)).all()  # type: ignore[arg-type]
    rule_ids = [str(r.id) for r in session.exec(select(StatutoryRule)).all()]
    body = session.exec(select(Notification)).all()
    reset = next(
        m.group(1)
        for n in body
        if (m := re.search(r"/password/reset/(\S+)", n.body or "")) is not None
    )
    answer = rsvp_token(
        settings.secret_key, coming.id or 0, district.police_head.id or 0, Answer.ACCEPTED
    )
    meetings = [str(m.id) for m in (coming, coordination, held)]
    values = {
        "meeting_id": meetings,
        "task_id": [str(t.id) for t in tasks],
        "code": [opened.case.code, district.case.code],
        "user_id": [str(district.inspector.id), str(admin.id)],
        "agency_id": [str(district.police.id)],
        "rule_id": rule_ids[:2],
        "day": ["2026-12-31"],
        "value": ["accepted"],
    }
    people = [admin, district.chair, district.coordinator, district.inspector, district.police_head]
    people += [district.pedagogue, district.retired]
    user_data = [p.full_name for p in people]
    user_data += [a.name_kk for a in (district.akimat, district.education, district.police)]
    user_data += [district.school.name_kk, district.row.name_kk, district.row.name_ru]
    user_data += [
        coming.title,
        coordination.title,
        held.title,
        "Заслушали инспектора.",
        "Посетить семью",
    ]
    user_data += [CHILD.child_name, CHILD.address, CHILD.school_class, CHILD.notes]
    user_data += ["ул. Тестовая, 1", "Зал заседаний"]
    return Walk(
        district,
        values,
        tuple(user_data),
        signed_out=("/login", "/password/forgot", f"/password/reset/{reset}", f"/respond/{answer}"),
    )


def _start_pages(app: Flask, walk: Walk) -> list[str]:
    pages = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in NOT_PAGES or "GET" not in (rule.methods or set()):
            continue
        if rule.endpoint in ("auth.reset_password_view", "meetings.respond"):
            continue  # the signed-out pages, with their tokens
        urls = [rule.rule]
        for name in rule.arguments:
            urls = [
                u.replace(m.group(0), v)
                for u in urls
                for m in [re.search(rf"<(?:[^:>]+:)?{name}>", u)]
                if m
                for v in walk.values[name]
            ]
        pages += urls
    return sorted(set(pages))


def _visit(
    client: FlaskClient, start: Iterable[str], user_data: tuple[str, ...], follow: bool = True
) -> tuple[dict[str, list[str]], int]:
    """Open *start* and every page they link to; return the findings per page and the count
    of Kazakh pages checked."""
    queue, seen, found, checked = list(start), set(start), {}, 0
    while queue and checked < MAX_PAGES:
        url = queue.pop(0)
        response = client.get(url, buffered=True)  # static files stream from an open file
        if response.status_code >= 500:
            found[url] = [f"status {response.status_code}"]
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        html = response.get_data(as_text=True)
        checked += 1
        problems, links = findings(html, user_data)
        if '<html lang="kk"' not in html:
            problems.insert(0, "not in Kazakh")
        if problems:
            found[url] = problems
        for link in links if follow else ():
            target = urlsplit(urljoin(url, link))
            if target.netloc:
                continue
            path = target.path + (f"?{target.query}" if target.query else "")
            if path.startswith("/") and not NOT_FOLLOWED.search(target.path) and path not in seen:
                seen.add(path)
                queue.append(path)
    return found, checked


def _in_kazakh(client: FlaskClient) -> None:
    page = client.get("/account").get_data(as_text=True)
    client.post("/locale", data={"locale": "kk", "next": "/", "csrf_token": csrf_token(page)})


@pytest.mark.parametrize("role", ROLES)
def test_every_page_of_a_role_in_kazakh_has_no_russian_or_english(
    app: Flask, walk: Walk, role: str
) -> None:
    d = walk.district
    email = {
        "admin": "admin@akimat.test",
        "chair": d.chair.email,
        "coordinator": d.coordinator.email,
        "pedagogue": d.pedagogue.email,
        "inspector": d.inspector.email,
        "regional": "region@oblast.test",
        "deployment": "deploy@birge.test",
    }[role]
    app.config.update(PROPAGATE_EXCEPTIONS=False)  # a crash is a finding of its page
    client = app.test_client()
    assert login(client, email).status_code == 302
    _in_kazakh(client)
    found, checked = _visit(client, _start_pages(app, walk), walk.user_data)
    assert checked >= (3 if role in ABOVE else 15), checked
    assert not found, "\n".join(f"{url}: {'; '.join(p)}" for url, p in sorted(found.items()))


def test_signed_out_pages_speak_the_browser_or_the_links_reader_language(
    app: Flask, walk: Walk
) -> None:
    # A Kazakh browser on the sign-in and reset pages.
    browser = app.test_client()
    browser.environ_base["HTTP_ACCEPT_LANGUAGE"] = "kk-KZ,kk;q=0.9,ru;q=0.8"
    found, checked = _visit(browser, ("/login", "/password/forgot"), walk.user_data, False)
    assert checked == 2 and not found, found
    # A link made for a Kazakh reader, opened by a browser that asks for Russian.
    russian = app.test_client()
    russian.environ_base["HTTP_ACCEPT_LANGUAGE"] = "ru-RU,ru;q=0.9"
    links = walk.signed_out[2:]
    found, checked = _visit(russian, links, walk.user_data, False)
    assert checked >= 2 and not found, found
    # Without either, the district's default: Russian.
    plain = app.test_client().get("/login").get_data(as_text=True)
    assert '<html lang="ru"' in plain


def test_the_calendar_gives_its_screen_reader_labels_in_the_pages_language(
    client: FlaskClient, district: District
) -> None:
    login(client, district.chair.email)
    _in_kazakh(client)
    page = client.get("/calendar/view").get_data(as_text=True)
    match = re.search(r'data-labels="([^"]+)"', page)
    assert match, "the calendar view passes no labels to calendar.js"
    labels = json.loads(html_module.unescape(match.group(1)))
    hints = labels.pop("buttonHints")
    assert set(hints) == {"prev", "next", "today"}
    assert {"viewHint", "navLinkHint", "moreLinkHint", "closeHint", "timeHint", "eventHint"} <= set(
        labels
    )
    for text in [*hints.values(), *labels.values()]:
        assert not re.search(r"[A-Za-z]", text.replace("$0", "")), text  # Kazakh, not English
    script = Path(client.application.static_folder or "", "calendar.js").read_text()
    assert "dataset.labels" in script


def test_the_footer_names_the_districts_time_in_plain_words(client: FlaskClient) -> None:
    def footer(language: str) -> str:
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
        page = client.get("/login").get_data(as_text=True)
        found = re.search(r"<footer>(.*?)</footer>", page, re.S)
        assert found
        return " ".join(found.group(1).split())

    assert footer("ru") == "Указано время Астаны, UTC+5."
    assert footer("kk") == "Көрсетілген уақыт — Астана уақыты, UTC+5."
