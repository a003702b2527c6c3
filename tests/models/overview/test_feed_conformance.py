"""Every feed of the demo district reads the same in two independent parsers, and is well formed."""

from __future__ import annotations

from datetime import timedelta

import pytest
import vobject
from icalendar import Calendar
from sqlalchemy import select
from sqlmodel import Session, col

from calendars.feed import DEADLINE_LENGTH, EventCache
from models.cases.tables import Case
from models.core.base import utcnow
from models.core.settings import Settings
from models.demo.district import load_demo
from models.meetings.tables import Meeting
from models.overview.feed import build_feed_bytes
from models.overview.feed_scopes import agency_scope, person_scope
from models.people.tables import Agency, User


@pytest.fixture
def demo_feeds(session: Session, settings: Settings) -> dict[str, bytes]:
    load_demo(session, settings)
    # A long Kazakh title makes lines fold inside multi-byte characters' neighbourhood.
    meeting = session.scalars(select(Meeting).order_by(Meeting.id)).first()
    assert meeting is not None
    meeting.title = "Кәмелетке толмағандардың құқықтарын қорғау жөніндегі кеңес отырысы " * 3
    meeting.updated_at = utcnow()
    session.add(meeting)
    session.commit()
    cache = EventCache()
    feeds = {
        f"agency {a.district_id}/{a.slug}": build_feed_bytes(
            session, settings, agency_scope(a), cache
        )
        for a in session.scalars(select(Agency))
    }
    feeds |= {
        f"person {u.email}": build_feed_bytes(session, settings, person_scope(session, u), cache)
        for u in session.scalars(select(User).where(col(User.agency_id).is_not(None)))
    }
    return feeds


def test_icalendar_and_vobject_agree_on_every_event(demo_feeds: dict[str, bytes]) -> None:
    events_seen = deadlines_seen = 0
    for name, body in demo_feeds.items():
        ours = {
            str(e["UID"]): (e.decoded("DTSTART"), e.decoded("DTEND"))
            for e in Calendar.from_ical(body).walk("VEVENT")
        }
        theirs = {
            e.uid.value: (e.dtstart.value, e.dtend.value)
            for e in vobject.readOne(body.decode("utf-8")).contents.get("vevent", [])
        }
        assert ours.keys() == theirs.keys(), name
        for uid, (start, end) in ours.items():
            other_start, other_end = theirs[uid]
            assert start.tzinfo is not None and other_start.tzinfo is not None, (name, uid)
            assert start.timestamp() == other_start.timestamp(), (name, uid)
            assert end.timestamp() == other_end.timestamp(), (name, uid)
            assert start.utcoffset() == timedelta(hours=5)  # Asia/Almaty since 2024-03
            if uid.startswith("task-"):  # a task deadline: a short entry ending at its moment
                assert end - start == DEADLINE_LENGTH, (name, uid)
                deadlines_seen += 1
        events_seen += len(ours)
    assert events_seen > 20  # the demo's meetings, in agency and personal feeds
    assert deadlines_seen > 0  # the demo cases' statutory tasks


def test_lines_end_in_crlf_and_fold_at_75_octets_between_characters(
    demo_feeds: dict[str, bytes],
) -> None:
    folded = 0
    for name, body in demo_feeds.items():
        assert body.endswith(b"\r\n") and b"\n" not in body.replace(b"\r\n", b""), name
        for line in body.split(b"\r\n")[:-1]:
            assert len(line) <= 75, (name, line)
            line.decode("utf-8")  # a fold that split a character would not decode
            folded += line.startswith(b" ")
    assert folded > 0  # the long Kazakh title and the descriptions were folded


def test_feeds_carry_case_codes_and_no_addresses(
    session: Session, demo_feeds: dict[str, bytes]
) -> None:
    codes = set(session.scalars(select(Case.code)))
    assert any(code.encode() in body for body in demo_feeds.values() for code in codes)
    for body in demo_feeds.values():
        text = body.decode("utf-8")
        # A feed names agencies and case codes; nobody's address, no attendee list.
        assert "ATTENDEE" not in text and "mailto:" not in text
        for user in session.scalars(select(User)):
            assert user.email not in text
