"""Our real feed bytes read by ical.js, Mozilla's parser (the one Thunderbird uses), run by
node from tests/js (installed by ``make js``, a step of ``make test``)."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC
from pathlib import Path
from typing import Any

from sqlmodel import Session

from calendars.feed import DEADLINE_LENGTH
from models.core.base import utcnow
from models.core.settings import Settings
from models.overview.feed import agency_feed
from models.tasks.operations import create_task
from tests import factories
from tests.factories import District, in_days
from tests.services import unavailable

JS = Path(__file__).resolve().parents[1] / "js"


def read_with_icaljs(feed: bytes) -> dict[str, Any]:
    """Return what ical.js makes of *feed* (see tests/js/read_feed.mjs)."""
    node = shutil.which("node")
    if node is None:
        unavailable("node is not installed (apt-get install nodejs)")
    if not (JS / "node_modules" / "ical.js" / "package.json").exists():
        unavailable("ical.js is not installed: run `make js`")
    done = subprocess.run(
        [str(node), str(JS / "read_feed.mjs")],
        input=feed,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    found: dict[str, Any] = json.loads(done.stdout)
    return found


def iso(moment: Any) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def test_thunderbirds_parser_shows_a_deadline_at_its_moment_and_reads_the_refresh(
    session: Session, settings: Settings, district: District
) -> None:
    """Issue 18, point 11: a task due at 18:00 is an entry ending at 18:00 (not an all-day
    one that loses the hour), and the feed's TTL is a duration ical.js can read."""
    due = in_days(4, hour=13)  # 18:00 in Almaty
    task = create_task(
        session,
        district.police_head,
        settings=settings,
        title="Провести обследование условий",
        agency_id=district.police.id,  # type: ignore[arg-type]
        due_at=due,
        now=utcnow(),
        case=district.case,
    )
    meeting = factories.schedule(session, settings, district).meeting
    session.commit()
    read = read_with_icaljs(agency_feed(session, settings, district.police))

    assert read["published_ttl"] == 3600 and read["refresh_interval"] == 3600
    events = {e["uid"]: e for e in read["events"]}
    deadline = events[f"task-{task.id}@birge.test"]
    assert deadline["summary"] == "Провести обследование условий — D-2026-0042"
    assert deadline["end"] == {"utc": iso(due)}
    assert deadline["start"] == {"utc": iso(due - DEADLINE_LENGTH)}
    assert deadline["transp"] == "TRANSPARENT"  # never shows the evening as busy
    inspection = events[meeting.uid]
    assert inspection["start"] == {"utc": iso(meeting.starts_at)}
    assert inspection["end"] == {"utc": iso(meeting.ends_at)}
