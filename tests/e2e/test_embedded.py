"""`make run`'s deployment: one `birge run` process with SQLite, in-process workers and the
outbox folder, on a machine with nothing else installed."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

from icalendar import Calendar

from calendars.workdays import WorkCalendar
from models.demo.district import _USERS
from tests import services
from tests.factories import csrf_token
from tests.processes import BIRGE, Portal, birge, wait_until_healthy

ALMATY = ZoneInfo("Asia/Almaty")

# A coordination meeting invites every agency: everyone in the demo district gets one email.
EXPECTED_RECIPIENTS = {email for email, *_ in _USERS}


def test_birge_run_serves_the_demo_and_mails_to_the_outbox(tmp_path: Path) -> None:
    port = services.free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("BIRGE_")} | {
        "BIRGE_INSTANCE_PATH": str(tmp_path / "instance"),
        "BIRGE_TICK_SECONDS": "1",
    }
    birge(env, "db", "upgrade")
    assert "deputy.akim@birge.example" in birge(env, "demo")
    base_url = f"http://127.0.0.1:{port}"
    with open(tmp_path / "run.log", "w") as log:
        process = subprocess.Popen(
            [BIRGE, "run", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            wait_until_healthy(base_url, {"run": process})
            portal = Portal(base_url)
            page = portal.get("/login")
            portal.post(
                "/login",
                [
                    ("csrf_token", csrf_token(page)),
                    ("email", "secretary@birge.example"),
                    ("password", "birge-demo-2026"),
                ],
            )
            form = portal.get("/meetings/new")
            police_id = _agency_id(form, "Районный отдел полиции (ИДН)")
            day = (datetime.now(UTC) + timedelta(days=3)).date().isoformat()
            portal.post(
                "/meetings/new",
                [
                    ("csrf_token", csrf_token(form)),
                    ("kind", "coordination_meeting"),
                    ("title", "Разбор просроченных поручений"),
                    ("date", day),
                    ("start_time", "16:00"),
                    ("end_time", "17:00"),
                    ("location", "Акимат, малый зал"),
                    ("case_code", ""),
                    ("agencies", police_id),
                ],
            )
            outbox = tmp_path / "instance" / "outbox"
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and len(invitations(outbox)) < len(
                EXPECTED_RECIPIENTS
            ):
                time.sleep(0.2)
            messages = invitations(outbox)  # the demo's escalations may be there too
            assert {str(m["To"]) for m in messages} == EXPECTED_RECIPIENTS
            assert len(messages) == len(EXPECTED_RECIPIENTS)
            kazakh = next(m for m in messages if m["To"] == "deputy.akim@birge.example")
            assert str(kazakh["Subject"]).startswith("Шақыру")
            part = next(p for p in kazakh.walk() if p.get_content_type() == "text/calendar")
            assert Calendar.from_ical(part.get_content())["METHOD"] == "REQUEST"
            # No BIRGE_BASE_URL: links point to the port served, not the default 5000.
            text = next(p for p in kazakh.walk() if p.get_content_type() == "text/plain")
            assert f"{base_url}/meetings/" in text.get_content()
            assert f'value="{base_url}/calendars/' in portal.get("/calendar")

            feed = birge(env, "feed-url", "police", "--district", "1").strip()
            token = feed.rsplit("/", 1)[1].removesuffix(".ics")
            body = portal.get(feed.removeprefix("http://127.0.0.1:5000"))
            assert "Разбор просроченных поручений" in body.replace("\r\n ", "")
        finally:
            process.send_signal(signal.SIGTERM)
            code = process.wait(timeout=30)
    assert code == 0, (tmp_path / "run.log").read_text()
    log_text = (tmp_path / "run.log").read_text()
    assert token not in log_text  # the feed's secret never reaches the access log
    assert "GET /calendars/***.ics" in log_text


def emails(outbox: Path) -> list[EmailMessage]:
    return [
        message_from_bytes(p.read_bytes(), policy=policy.default)  # type: ignore[misc]
        for p in sorted(outbox.glob("*.eml"))
    ]


def kind(message: EmailMessage) -> str:
    """What an email is, read from its Message-ID (made from its dedupe key)."""
    found = re.match(
        r"<(digest|task\.\d+\.due\..*\.(level\.\d))", str(message["Message-ID"]).strip()
    )
    if found is None:
        return "other"
    return found.group(2) or found.group(1)


def invitations(outbox: Path) -> list[EmailMessage]:
    return [
        m for m in emails(outbox) if any(p.get_content_type() == "text/calendar" for p in m.walk())
    ]


def test_birge_run_mails_the_demos_escalations_and_digest_to_the_outbox(tmp_path: Path) -> None:
    port = services.free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("BIRGE_")} | {
        "BIRGE_INSTANCE_PATH": str(tmp_path / "instance"),
        "BIRGE_TICK_SECONDS": "1",
    }
    birge(env, "db", "upgrade")
    birge(env, "demo")
    # Whenever the test runs, make it working hours in the demo district: today a working day
    # (by decree, if it is not one), and a working day from 00:00 to 23:59.
    today = datetime.now(ALMATY).date()
    if not WorkCalendar(zone=ALMATY).is_working_day(today):
        birge(env, "calendar", "override", "add", today.isoformat(), "--working-day",
              "--note", "Тест", "--district", "1")  # fmt: skip
    birge(env, "calendar", "hours", "--starts", "00:00", "--ends", "23:59", "--district", "1")
    with open(tmp_path / "run.log", "w") as log:
        process = subprocess.Popen(
            [BIRGE, "run", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            wait_until_healthy(f"http://127.0.0.1:{port}", {"run": process})
            outbox = tmp_path / "instance" / "outbox"
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                kinds = [kind(m) for m in emails(outbox)]
                if {"level.1", "level.2"} <= set(kinds) and kinds.count("digest") >= 2:
                    break
                time.sleep(0.3)
        finally:
            process.send_signal(signal.SIGTERM)
            code = process.wait(timeout=30)
    assert code == 0, (tmp_path / "run.log").read_text()
    messages = emails(outbox)
    by_kind: dict[str, list[EmailMessage]] = {}
    for message in messages:
        by_kind.setdefault(kind(message), []).append(message)
    assert "level.1" in by_kind, [str(m["Message-ID"]) for m in messages]
    by_kind["escalation"] = by_kind.get("level.1", []) + by_kind.get("level.2", [])
    by_kind.setdefault("digest", [])
    assert by_kind["escalation"], [str(m["Subject"]) for m in messages]
    digests = {str(m["To"]) for m in by_kind["digest"]}
    assert "deputy.akim@birge.example" in digests  # the chair
    assert any(to.startswith("head.") for to in digests)  # and agency heads
    for message in by_kind["escalation"] + by_kind["digest"]:
        assert message["Auto-Submitted"] == "auto-generated"
        assert {p.get_content_type() for p in message.walk()} >= {"text/plain", "text/html"}
        text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        assert re.search(r"\b(?:D|BRL)-\d{4}-\d{4}\b", text)  # the demo's two districts
        assert "/tasks" in text
    # Level 2 goes to the chair of the task's own district: the demo district's (in Kazakh)
    # and, when it is working hours there too, the region's second district's.
    chairs = {"D": "deputy.akim@birge.example", "BRL": "deputy.akim.burli@birge.example"}
    for message in by_kind["level.2"]:
        text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        prefix = re.search(r"\b(D|BRL)-\d{4}-\d{4}\b", text).group(1)  # type: ignore[union-attr]
        assert str(message["To"]) == chairs[prefix]
    kazakh = next(m for m in by_kind["level.2"] if m["To"] == chairs["D"])
    assert str(kazakh["Subject"]).startswith("Мерзімі өткен тапсырма, 2-деңгей")
    heads = {str(m["To"]) for m in by_kind["level.1"]}
    assert heads and all(to.startswith("head.") for to in heads)


def _agency_id(form: str, name: str) -> str:
    for value, label in re.findall(
        r'type="checkbox" value="(\d+)"> <label for="agencies-\d+">([^<]+)</label>', form
    ):
        if label == name:
            return str(value)
    raise AssertionError(f"no checkbox for {name}")


REPOSITORY = Path(__file__).resolve().parents[2]


def test_make_run_serves_on_the_port_given_and_the_first_emails_link_to_it(
    tmp_path: Path,
) -> None:
    port = services.free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("BIRGE_")} | {
        "BIRGE_INSTANCE_PATH": str(tmp_path / "instance"),
        "BIRGE_TICK_SECONDS": "1",
    }
    # Whenever the test runs, the demo's overdue tasks mail at once: working hours all day.
    birge(env, "db", "upgrade")
    birge(env, "demo")
    today = datetime.now(ALMATY).date()
    if not WorkCalendar(zone=ALMATY).is_working_day(today):
        birge(env, "calendar", "override", "add", today.isoformat(), "--working-day",
              "--note", "Тест", "--district", "1")  # fmt: skip
    birge(env, "calendar", "hours", "--starts", "00:00", "--ends", "23:59", "--district", "1")
    base_url = f"http://127.0.0.1:{port}"
    with open(tmp_path / "make.log", "w") as log:
        # `-o` keeps make from reinstalling the virtualenv the tests run in.
        process = subprocess.Popen(
            ["make", "-s", "-o", ".venv/.installed", "run", f"PORT={port}",
             f"BIN={Path(BIRGE).parent}"],
            cwd=REPOSITORY, env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        try:
            wait_until_healthy(base_url, {"make run": process})
            outbox = tmp_path / "instance" / "outbox"
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not emails(outbox):
                time.sleep(0.3)
            first = emails(outbox)
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
    assert first, (tmp_path / "make.log").read_text()
    for message in first:
        text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        links = re.findall(r"https?://[^\s/]+", text)
        assert links and set(links) == {base_url}, (message["Subject"], links)
