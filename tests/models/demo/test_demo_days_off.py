"""The demo district holds nothing on a day off: no meeting and no sitting of a council series
(in its first year) on a weekend, a public holiday or its observed day, whatever day it is
loaded on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlmodel import Session

from models.core.settings import Settings
from models.demo import district as demo
from models.meetings.sittings import sitting_times
from models.meetings.tables import Meeting, Sitting
from models.workdays.calendar import district_calendar


@pytest.mark.parametrize(
    "loaded_on",
    [
        datetime(2026, 12, 7, 3, 0, tzinfo=UTC),  # Monday: +9 days is Independence Day
        datetime(2026, 3, 14, 3, 0, tzinfo=UTC),  # Saturday: +9 days is Nauryz
    ],
)
def test_the_demo_holds_no_meeting_or_sitting_on_a_day_off(
    session: Session, settings: Settings, monkeypatch: pytest.MonkeyPatch, loaded_on: datetime
) -> None:
    monkeypatch.setattr(demo, "utcnow", lambda: loaded_on)
    demo.load_demo(session, settings)
    session.commit()
    meetings = session.scalars(select(Meeting)).all()
    assert len(meetings) == 9  # 7 in the demo district, 2 in the region's second
    held_on = []
    for meeting in meetings:
        calendar = district_calendar(session, meeting.district_id)
        overrides = session.scalars(select(Sitting).where(Sitting.meeting_id == meeting.id)).all()
        for sitting in sitting_times(
            meeting,
            overrides,
            settings.zone,
            after=meeting.starts_at,
            before=meeting.starts_at + timedelta(days=366),
        ):
            day = calendar.local_date(sitting.starts_at)
            held_on.append((meeting.title, day, calendar.is_working_day(day)))
    assert len(held_on) > 9  # the councils' sittings are counted too
    assert [(title, day) for title, day, working in held_on if not working] == []
