"""Feed dirty marks: written with the change, released once per burst, covered by a rebuild."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlmodel import Session, col

from models.core.base import utcnow
from models.core.settings import Settings
from models.feeds.marks import (
    PUBLISH_LEASE,
    FeedChange,
    claim_feed,
    finish_publishing,
    latest_change_id,
    mark_feeds_dirty,
    mark_stale_feeds,
    release_dirty_feeds,
)
from models.feeds.tokens import FeedToken, feed_token, person_feed_token, rotate_feed_token
from models.meetings.changes import cancel_meeting, change_participants, reschedule_meeting
from tests import factories
from tests.factories import District, in_days


def feed_id(session: Session, *, agency_id: int | None = None, user_id: int | None = None) -> int:
    column = FeedToken.agency_id if agency_id is not None else FeedToken.user_id
    found = session.scalars(
        select(col(FeedToken.id))
        .where(column == (agency_id if agency_id is not None else user_id))
        .where(col(FeedToken.revoked_at).is_(None))
    ).one()
    assert found is not None
    return found


def marked(session: Session) -> dict[int, int]:
    rows = session.execute(
        select(col(FeedChange.feed_id), func.count()).group_by(col(FeedChange.feed_id))
    )
    return {fid: count for fid, count in rows}


def test_scheduling_marks_every_live_feed_the_meeting_shows_in(
    session: Session, settings: Settings, district: District
) -> None:
    for agency in (district.police, district.education, district.school):
        feed_token(session, agency, settings.secret_key)
    for person in (district.inspector, district.pedagogue):
        person_feed_token(session, person, settings.secret_key)
    session.commit()

    factories.schedule(session, settings, district)  # education with the police
    session.commit()

    assert marked(session) == {
        feed_id(session, agency_id=district.police.id): 1,
        feed_id(session, agency_id=district.education.id): 1,
        feed_id(session, user_id=district.inspector.id): 1,  # police: invited through it
    }


def test_feeds_without_a_live_token_get_no_mark(
    session: Session, settings: Settings, district: District
) -> None:
    feed_token(session, district.police, settings.secret_key)
    rotate_feed_token(session, district.police, settings.secret_key)
    session.commit()
    mark_feeds_dirty(session, agency_ids=[district.police.id, district.school.id])
    session.commit()
    assert marked(session) == {feed_id(session, agency_id=district.police.id): 1}


def test_a_burst_of_changes_is_released_once_after_the_debounce(
    session: Session, settings: Settings, district: District
) -> None:
    feed_token(session, district.police, settings.secret_key)
    session.commit()
    police = feed_id(session, agency_id=district.police.id)
    start = utcnow()
    for n in range(100):
        mark_feeds_dirty(
            session, agency_ids=[district.police.id], now=start + timedelta(milliseconds=n)
        )
        session.commit()
    debounce = timedelta(seconds=10)

    assert release_dirty_feeds(session, now=start + timedelta(seconds=5), debounce=debounce) == []
    later = start + timedelta(seconds=11)
    assert release_dirty_feeds(session, now=later, debounce=debounce) == [police]
    # In flight: not released again while a worker may be at it...
    assert release_dirty_feeds(session, now=later, debounce=debounce) == []
    # ... a change arriving now waits for that worker ...
    mark_feeds_dirty(session, agency_ids=[district.police.id], now=later)
    session.commit()
    assert release_dirty_feeds(session, now=later + debounce, debounce=debounce) == []
    # ... unless the worker died: its lease runs out and the feed is released again.
    expired = later + PUBLISH_LEASE + timedelta(seconds=1)
    assert release_dirty_feeds(session, now=expired, debounce=debounce) == [police]


def test_a_rebuild_covers_only_the_changes_made_before_it_started(
    session: Session, settings: Settings, district: District
) -> None:
    feed_token(session, district.police, settings.secret_key)
    session.commit()
    police = feed_id(session, agency_id=district.police.id)
    mark_feeds_dirty(session, agency_ids=[district.police.id])
    session.commit()
    now = utcnow()
    assert claim_feed(session, police, now=now)
    assert not claim_feed(session, police, now=now)  # a second worker stays out
    covered = latest_change_id(session, police)
    mark_feeds_dirty(session, agency_ids=[district.police.id])  # arrives while building
    session.commit()
    finish_publishing(session, police, covered_up_to=covered, now=now)

    assert marked(session) == {police: 1}
    assert claim_feed(session, police, now=now)  # the lease was given up
    row = session.get(FeedToken, police, populate_existing=True)
    assert row is not None and row.published_at is not None


def test_a_feed_not_rebuilt_for_hours_is_marked_stale(
    session: Session, settings: Settings, district: District
) -> None:
    feed_token(session, district.police, settings.secret_key)
    session.commit()
    police = feed_id(session, agency_id=district.police.id)
    finish_publishing(session, police, covered_up_to=None, now=utcnow())
    max_age = timedelta(hours=6)
    assert mark_stale_feeds(session, now=utcnow(), max_age=max_age) == 0
    assert mark_stale_feeds(session, now=utcnow() + timedelta(hours=7), max_age=max_age) == 1
    assert marked(session) == {police: 1}


def test_moving_cancelling_and_changing_a_meeting_marks_the_feeds_it_showed_in(
    session: Session, settings: Settings, district: District
) -> None:
    for agency in (district.police, district.education, district.school):
        feed_token(session, agency, settings.secret_key)
    session.commit()
    meeting = factories.schedule(session, settings, district).meeting  # education, police
    session.commit()
    session.execute(delete(FeedChange))
    session.commit()
    police = feed_id(session, agency_id=district.police.id)
    education = feed_id(session, agency_id=district.education.id)
    school = feed_id(session, agency_id=district.school.id)

    reschedule_meeting(
        session,
        settings,
        meeting,
        by=district.coordinator,
        starts_at=in_days(4),
        ends_at=in_days(4) + timedelta(hours=1),
    )
    session.commit()
    assert marked(session) == {police: 1, education: 1}

    # the police leave and the school joins: the police's feed must drop the meeting too
    change_participants(
        session, settings, meeting, by=district.coordinator, agency_ids=[district.school.id]
    )
    session.commit()
    assert marked(session) == {police: 2, education: 2, school: 1}

    cancel_meeting(session, settings, meeting, by=district.coordinator)
    session.commit()
    assert marked(session) == {police: 2, education: 3, school: 2}
