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
from pathlib import Path

from icalendar import Calendar

from models.demo import _USERS
from tests import services
from tests.factories import csrf_token
from tests.processes import BIRGE, Portal, birge, wait_until_healthy

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
            while time.monotonic() < deadline and len(list(outbox.glob("*.eml"))) < len(
                EXPECTED_RECIPIENTS
            ):
                time.sleep(0.2)
            messages = [
                message_from_bytes(p.read_bytes(), policy=policy.default)
                for p in outbox.glob("*.eml")
            ]
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

            feed = birge(env, "feed-url", "police").strip()
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


def _agency_id(form: str, name: str) -> str:
    for value, label in re.findall(
        r'type="checkbox" value="(\d+)"> <label for="agencies-\d+">([^<]+)</label>', form
    ):
        if label == name:
            return str(value)
    raise AssertionError(f"no checkbox for {name}")
