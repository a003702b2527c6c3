"""A meeting whose minutes are recorded was held: it is neither moved nor cancelled (a series:
that sitting), the page offers neither, and the routes say why."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlmodel import Session

from models.core.base import utcnow
from models.core.settings import Settings
from models.meetings.changes import cancel_meeting, reschedule_meeting
from models.meetings.scheduling import SchedulingError
from models.meetings.series import move_sitting
from models.meetings.sittings import sitting_times
from models.meetings.tables import Meeting, MeetingStatus
from models.minutes.recording import record_minutes
from models.outbox.notifications import Notification
from tests.factories import (
    District,
    csrf_token,
    held_case_conference,
    in_days,
    login,
)
from tests.models.meetings.test_series import running_council

HELD = "The minutes are recorded: the meeting was held and cannot be moved or cancelled."


def minuted_conference(session: Session, settings: Settings, district: District) -> Meeting:
    meeting = held_case_conference(session, settings, district)
    record_minutes(
        session,
        district.coordinator,
        meeting,
        settings=settings,
        text="Заслушали инспектора.",
        present_user_ids=[district.inspector.id or 0],
        present_agency_ids=[],
        decisions=[],
        now=utcnow(),
    )
    session.commit()
    return meeting


def emails(session: Session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Notification)) or 0


def test_a_minuted_meeting_is_neither_cancelled_nor_moved(
    session: Session, settings: Settings, district: District
) -> None:
    meeting = minuted_conference(session, settings, district)
    before = emails(session)
    with pytest.raises(SchedulingError) as refused:
        cancel_meeting(session, settings, meeting, by=district.coordinator)
    assert refused.value.errors == {None: HELD}
    with pytest.raises(SchedulingError) as refused:
        reschedule_meeting(
            session,
            settings,
            meeting,
            by=district.coordinator,
            starts_at=in_days(2),
            ends_at=in_days(2) + timedelta(hours=1),
        )
    assert refused.value.errors == {None: HELD}
    session.rollback()
    assert meeting.status == MeetingStatus.SCHEDULED
    assert emails(session) == before


def test_the_page_offers_neither_and_the_routes_say_why(
    client: FlaskClient, session: Session, settings: Settings, district: District
) -> None:
    meeting = minuted_conference(session, settings, district)
    login(client, district.coordinator.email)
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert f"/meetings/{meeting.id}/cancel" not in page
    assert f"/meetings/{meeting.id}/reschedule" not in page
    before = emails(session)
    for action in ("cancel", "reschedule"):
        shown = client.get(f"/meetings/{meeting.id}/{action}")
        assert shown.status_code == 409
        assert "Протокол записан" in shown.get_data(as_text=True)
    confirm = client.get(f"/meetings/{meeting.id}/cancel").get_data(as_text=True)
    posted = client.post(f"/meetings/{meeting.id}/cancel", data={"csrf_token": csrf_token(confirm)})
    assert posted.status_code == 400
    assert "Протокол записан" in posted.get_data(as_text=True)
    assert emails(session) == before


def test_a_minuted_sitting_of_a_series_is_not_moved_but_the_next_one_is(
    session: Session, settings: Settings, district: District
) -> None:
    council = running_council(session, settings, district)
    now = utcnow()
    around = sitting_times(
        council,
        [],
        settings.zone,
        after=now - timedelta(days=62),
        before=now + timedelta(days=62),
    )
    held = [s for s in around if s.starts_at < now][-1]
    following = next(s for s in around if s.starts_at > now)
    assert held.starts_at < now < following.starts_at
    record_minutes(
        session,
        district.pedagogue,
        council,
        settings=settings,
        text="Заслушали классного руководителя.",
        present_user_ids=[district.pedagogue.id or 0],
        present_agency_ids=[],
        decisions=[],
        now=now,
        sitting=held.original_start,
    )
    session.commit()
    with pytest.raises(SchedulingError) as refused:
        move_sitting(
            session,
            settings,
            council,
            by=district.pedagogue,
            original_start=held.original_start,
            starts_at=now + timedelta(days=1),
            ends_at=now + timedelta(days=1, hours=1),
        )
    assert refused.value.errors == {None: HELD}
    session.rollback()
    moved = move_sitting(
        session,
        settings,
        council,
        by=district.pedagogue,
        original_start=following.original_start,
        starts_at=following.starts_at + timedelta(hours=1),
        ends_at=following.ends_at + timedelta(hours=1),
    )
    assert moved.notification_ids
