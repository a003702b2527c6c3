from __future__ import annotations

from datetime import timedelta

import pytest
from icalendar import Calendar
from sqlmodel import Session

from models.core.base import utcnow
from models.core.settings import Settings
from models.feeds.tokens import agency_for_token, feed_token, rotate_feed_token
from models.meetings.tables import Meeting
from models.overview.feed import agency_feed
from tests import factories
from tests.factories import District


def schedule(session: Session, settings: Settings, district: District) -> Meeting:
    meeting = factories.schedule_case_conference(session, settings, district).meeting
    session.commit()
    return meeting


def uids(body: bytes) -> list[str]:
    return [str(e["UID"]) for e in Calendar.from_ical(body).walk("VEVENT")]


def test_feed_holds_the_meetings_the_agency_takes_part_in(
    session: Session, settings: Settings, district: District
) -> None:
    meeting = schedule(session, settings, district)
    assert uids(agency_feed(session, settings, district.police)) == [meeting.uid]
    assert uids(agency_feed(session, settings, district.education)) == [meeting.uid]
    assert uids(agency_feed(session, settings, district.akimat)) == []  # not on the case


def test_feed_carries_the_case_code_and_a_portal_link(
    session: Session, settings: Settings, district: District
) -> None:
    meeting = schedule(session, settings, district)
    (event,) = Calendar.from_ical(agency_feed(session, settings, district.police)).walk("VEVENT")
    assert "D-2026-0042" in str(event["DESCRIPTION"])
    assert str(event["URL"]) == f"http://birge.test/meetings/{meeting.id}"


def test_cancelled_meeting_stays_two_weeks_then_leaves(
    session: Session, settings: Settings, district: District
) -> None:
    meeting = schedule(session, settings, district)
    meeting.status = "cancelled"
    meeting.sequence += 1
    meeting.updated_at = utcnow()
    session.add(meeting)
    session.commit()
    (event,) = Calendar.from_ical(agency_feed(session, settings, district.police)).walk("VEVENT")
    assert event["STATUS"] == "CANCELLED" and event["SEQUENCE"] == 1
    later = utcnow() + timedelta(days=15)
    assert uids(agency_feed(session, settings, district.police, now=later)) == []


def test_token_opens_its_agency_until_rotated(
    session: Session, settings: Settings, district: District
) -> None:
    token = feed_token(session, district.police, settings.secret_key)
    session.commit()
    assert feed_token(session, district.police, settings.secret_key) == token
    assert agency_for_token(session, token).id == district.police.id  # type: ignore[union-attr]
    tampered = token[:-1] + ("1" if token.endswith("0") else "0")
    assert agency_for_token(session, tampered) is None
    new = rotate_feed_token(session, district.police, settings.secret_key)
    session.commit()
    assert new != token
    assert agency_for_token(session, token) is None
    assert agency_for_token(session, new).id == district.police.id  # type: ignore[union-attr]


def test_a_token_made_under_another_key_must_be_rotated(
    session: Session, settings: Settings, district: District
) -> None:
    feed_token(session, district.police, settings.secret_key)
    session.commit()
    with pytest.raises(LookupError, match="another secret key"):
        feed_token(session, district.police, "a-different-secret-key-0000")
