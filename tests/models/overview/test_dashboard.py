from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from models.core.base import utcnow
from models.core.settings import Settings
from models.meetings.awaited import responses_awaited
from models.meetings.changes import cancel_meeting, record_response
from models.meetings.sittings import next_sitting
from models.meetings.tables import Answer, Meeting
from models.overview.dashboard import OverviewCache, district_overview
from models.people.tables import User
from models.tick import plan_due
from tests.factories import District, add_meetings, schedule
from tests.models.meetings.test_series import council
from tests.models.meetings.test_series_reminders import FEB, JAN
from tests.models.meetings.test_series_reminders import council as monthly_council


def test_the_district_overview_is_counted_once_a_minute(
    session: Session, settings: Settings, district: District
) -> None:
    now = utcnow().replace(second=10)
    cache = OverviewCache()
    assert cache.get(session, district.chair, now=now).total == 0
    schedule(session, settings, district)
    session.commit()
    assert cache.get(session, district.chair, now=now + timedelta(seconds=45)).total == 0
    fresh = cache.get(session, district.chair, now=now + timedelta(seconds=50))
    assert fresh.total == 1 and fresh.meetings_by_kind["joint_inspection"] == 1
    loads = {load.agency.slug: load.meetings for load in fresh.by_agency}
    assert loads == {"education": 1, "police": 1, "akimat": 0, "school-1": 0}
    assert [a.slug for a in fresh.idle_agencies] == ["akimat", "school-1"]


def test_the_overview_counts_a_councils_sittings_in_the_coming_30_days(
    session: Session, settings: Settings, district: District
) -> None:
    monthly_council(session, settings, district)
    now = JAN + timedelta(days=4)  # January's sitting is over; February's is in 28 days
    plan_due(session, settings, now=now)
    session.commit()
    overview = district_overview(session, district.chair, now=now)
    assert overview.meetings_by_kind["prevention_council"] == 1 and overview.this_week == 0
    loads = {load.agency.slug: load.meetings for load in overview.by_agency}
    assert loads["school-1"] == 1 and loads["police"] == 1
    weekly = district_overview(session, district.chair, now=FEB - timedelta(days=3))
    assert weekly.this_week == 1


def test_each_invitee_sees_the_coming_invitations_they_have_not_answered(
    session: Session, settings: Settings, district: District
) -> None:
    now = utcnow()
    inspection = schedule(session, settings, district).meeting  # education with the police
    series = council(session, settings, district)  # the school's council with the police
    gone = schedule(session, settings, district, title="Отменённое обследование").meeting
    cancel_meeting(session, settings, gone, by=district.coordinator)
    add_meetings(session, district, 1, days=-2)  # over: nothing to answer any more
    session.commit()

    def awaited(user: User) -> list[str]:
        return [c.meeting.title for c in responses_awaited(session, user, now=now).to_answer]

    first_two = sorted([inspection, series], key=lambda m: next_start(session, settings, m))
    assert awaited(district.inspector) == [m.title for m in first_two]
    record_response(session, meeting=inspection, user=district.inspector, answer=Answer.TENTATIVE)
    session.commit()
    assert awaited(district.inspector) == [series.title]
    # Answers are per person: the inspector's colleague still has both to answer.
    assert awaited(district.police_head) == [m.title for m in first_two]
    # The akimat is invited to neither; the chair has nothing to answer but sees the district.
    assert awaited(district.chair) == []
    panel = responses_awaited(session, district.inspector, now=now)
    assert panel.organized is None  # a member
    assert [c.meeting.id for c in panel.to_answer] == [series.id]


def test_the_answers_panel_shows_a_few_and_says_there_are_more(
    session: Session, settings: Settings, district: District
) -> None:
    add_meetings(session, district, 12)
    panel = responses_awaited(session, district.inspector, now=utcnow(), limit=5)
    assert [c.meeting.title for c in panel.to_answer] == [f"Обследование {i:03d}" for i in range(5)]
    assert panel.more_to_answer
    few = responses_awaited(session, district.inspector, now=utcnow(), limit=12)
    assert len(few.to_answer) == 12 and not few.more_to_answer


def test_the_organizer_sees_how_many_have_not_answered_and_which_agency_declined(
    session: Session, settings: Settings, district: District
) -> None:
    now = utcnow()
    meeting = schedule(session, settings, district).meeting  # education with the police
    schedule(session, settings, district, organizer=district.pedagogue, title="Школьная встреча")
    session.commit()

    def replies() -> list[tuple[str, int, int, list[str]]]:
        panel = responses_awaited(session, district.coordinator, now=now)
        assert panel.organized is not None
        return [
            (r.meeting.title, r.invitees, r.unanswered, [a.slug for a in r.declined])
            for r in panel.organized
        ]

    # Invitees: the coordinator (education), the inspector and the police head; the retired
    # police officer is inactive and gets no invitation. The school's meeting is not theirs.
    assert replies() == [(meeting.title, 3, 3, [])]
    record_response(session, meeting=meeting, user=district.inspector, answer=Answer.DECLINED)
    # As on the meeting page: an agency declined when all of it who answered declined.
    assert replies() == [(meeting.title, 3, 2, ["police"])]
    record_response(session, meeting=meeting, user=district.police_head, answer=Answer.DECLINED)
    assert replies() == [(meeting.title, 3, 1, ["police"])]
    record_response(session, meeting=meeting, user=district.coordinator, answer=Answer.ACCEPTED)
    assert replies() == [(meeting.title, 3, 0, ["police"])]
    record_response(session, meeting=meeting, user=district.police_head, answer=Answer.TENTATIVE)
    assert replies() == [(meeting.title, 3, 0, [])]  # the police may come after all
    # A cancelled meeting waits for nobody's answer.
    cancel_meeting(session, settings, meeting, by=district.coordinator)
    assert replies() == []


def next_start(session: Session, settings: Settings, meeting: Meeting) -> datetime:
    sitting = next_sitting(session, meeting, settings.zone, now=utcnow())
    assert sitting is not None
    return sitting.starts_at
