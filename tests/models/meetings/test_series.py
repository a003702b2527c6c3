"""A school's prevention council as a series: one invitation with its RRULE, sittings moved
or cancelled on their own, the series ended from a date."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import recurring_ical_events
from icalendar import Calendar
from sqlalchemy import select
from sqlmodel import Session

from models.core.audit import AuditEvent
from models.core.settings import Settings
from models.meetings.access import upcoming_meetings
from models.meetings.answers import read_rsvp_token, rsvp_links
from models.meetings.changes import reschedule_meeting
from models.meetings.scheduling import SchedulingError
from models.meetings.series import cancel_sitting, end_series, move_sitting
from models.meetings.sittings import next_sitting, sitting_times
from models.meetings.tables import Answer, Meeting, Sitting
from models.outbox.notifications import Notification
from models.overview.calendar_meetings import calendar_meetings
from models.overview.feed import agency_feed
from models.tick import plan_due
from tests import factories
from tests.factories import District, in_days

ALMATY = ZoneInfo("Asia/Almaty")


def last_thursday_after(days: int) -> datetime:
    """15:00 Almaty on the last Thursday of a month at least *days* from now."""
    day = (datetime.now(ALMATY) + timedelta(days=days)).date().replace(day=1)
    day = (day + timedelta(days=40)).replace(day=1) - timedelta(days=1)  # month's last day
    while day.weekday() != 3:
        day -= timedelta(days=1)
    return datetime(day.year, day.month, day.day, 15, tzinfo=ALMATY)


def council(session: Session, settings: Settings, district: District, **over: object) -> Meeting:
    first = last_thursday_after(5)
    values: dict[str, object] = {
        "organizer": district.pedagogue,
        "kind": "prevention_council",
        "title": "Совет профилактики школы № 1",
        "case_code": "",
        "address": "",
        "starts_at": first,
        "ends_at": first + timedelta(hours=1),
        "agency_ids": [district.police.id],
        "rrule": "FREQ=MONTHLY;BYDAY=-1TH",
    }
    values.update(over)
    scheduled = factories.schedule(session, settings, district, **values)
    session.commit()
    return scheduled.meeting


def running_council(session: Session, settings: Settings, district: District) -> Meeting:
    """A monthly council scheduled two and a half months ago, whose first sitting, on the last
    Thursday of a month at least 70 days back, and the next one or two have been held."""
    first = last_thursday_after(-70)
    return council(
        session,
        settings,
        district,
        starts_at=first,
        ends_at=first + timedelta(hours=1),
        now=first - timedelta(days=1),
    )


def calendar_of(notification: Notification) -> Calendar:
    return Calendar.from_ical(notification.ics)


def new_mail(session: Session, seen: set[int]) -> list[Notification]:
    return [n for n in session.scalars(select(Notification)) if n.id not in seen]


def test_a_council_series_is_one_invitation_with_its_rrule(
    session: Session, settings: Settings, district: District
) -> None:
    m = council(session, settings, district)
    assert m.school_agency_id == district.school.id and m.rrule == "FREQ=MONTHLY;BYDAY=-1TH"
    mails = session.scalars(select(Notification)).all()
    assert {n.recipient for n in mails} == {
        district.pedagogue.email,
        district.inspector.email,
        district.police_head.email,
    }
    english = next(n for n in mails if n.recipient == district.pedagogue.email)
    assert "every month: Thursday of the last week, at 15:00" in english.body
    assert "Astana time, UTC+5" in english.body
    calendar = calendar_of(english)
    (event,) = calendar.walk("VEVENT")
    assert event["RRULE"].to_ical() == b"FREQ=MONTHLY;BYDAY=-1TH"
    year = recurring_ical_events.of(calendar).between(
        m.starts_at, m.starts_at + timedelta(days=360)
    )
    assert len(year) == 12
    assert {e.decoded("DTSTART").astimezone(ALMATY).weekday() for e in year} == {3}


def test_an_rrule_that_never_occurs_is_refused_at_its_field(
    session: Session, settings: Settings, district: District
) -> None:
    with pytest.raises(SchedulingError) as refused:
        council(session, settings, district, rrule="FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30")
    assert refused.value.errors == {"rrule": "No sitting ever takes place under this rule."}


def test_moving_one_sitting_sends_its_own_update_with_recurrence_id(
    session: Session, settings: Settings, district: District
) -> None:
    m = council(session, settings, district)
    second = sitting_times(
        m, [], settings.zone, after=m.ends_at, before=m.starts_at + timedelta(days=70)
    )[0]
    seen = {n.id for n in session.scalars(select(Notification))}
    new_start = second.original_start + timedelta(days=1, hours=-4)  # Friday 11:00
    move_sitting(
        session, settings, m, by=district.pedagogue, original_start=second.original_start,
        starts_at=new_start, ends_at=new_start + timedelta(hours=1),
    )  # fmt: skip
    session.commit()
    updates = new_mail(session, seen)
    assert len(updates) == 3
    for n in updates:
        calendar = calendar_of(n)
        (event,) = calendar.walk("VEVENT")
        assert calendar["METHOD"] == "REQUEST" and str(event["UID"]) == m.uid
        assert event["SEQUENCE"] == 1 and "RRULE" not in event
        assert event["RECURRENCE-ID"].params["TZID"] == "Asia/Almaty"
        assert event.decoded("RECURRENCE-ID") == second.original_start
        assert b"RECURRENCE-ID;TZID=Asia/Almaty:" in n.ics.encode()  # type: ignore[union-attr]
    # the portal's own view of the series: that sitting moved, the others stay
    overrides = session.scalars(select(Sitting)).all()
    times = sitting_times(
        m, overrides, settings.zone, after=m.starts_at, before=new_start + timedelta(days=60)
    )
    assert [t.starts_at for t in times][:2] == [m.starts_at, new_start]
    assert times[1].moved and not times[0].moved and times[2].original_start.weekday() == 3


def test_a_sitting_is_cancelled_without_touching_the_series_and_the_series_ends(
    session: Session, settings: Settings, district: District
) -> None:
    m = council(session, settings, district)
    window = {"after": m.starts_at, "before": m.starts_at + timedelta(days=120)}
    sittings = sitting_times(m, [], settings.zone, **window)
    seen = {n.id for n in session.scalars(select(Notification))}
    cancel_sitting(
        session, settings, m, by=district.pedagogue, original_start=sittings[1].original_start
    )
    session.commit()
    for n in new_mail(session, seen):
        calendar = calendar_of(n)
        (event,) = calendar.walk("VEVENT")
        assert calendar["METHOD"] == "CANCEL" and event["STATUS"] == "CANCELLED"
        assert event.decoded("RECURRENCE-ID") == sittings[1].original_start
    seen = {n.id for n in session.scalars(select(Notification))}
    last_day = sittings[3].original_start.astimezone(ALMATY).date()
    end_series(session, settings, m, by=district.pedagogue, last_day=last_day)
    session.commit()
    (update, *_) = [n for n in new_mail(session, seen) if n.recipient == district.inspector.email]
    calendar = calendar_of(update)
    (event,) = calendar.walk("VEVENT")
    assert calendar["METHOD"] == "REQUEST" and event["SEQUENCE"] == 2
    assert "UNTIL" in event["RRULE"]
    starts = sorted(
        e.decoded("DTSTART")
        for e in recurring_ical_events.of(calendar).between(
            m.starts_at, m.starts_at + timedelta(days=400)
        )
    )
    assert starts == [sittings[0].original_start, sittings[2].original_start]
    actions = list(session.scalars(select(AuditEvent.action).where(AuditEvent.object_id == m.id)))
    assert actions == ["meeting.scheduled", "meeting.sitting_cancelled", "meeting.series_ended"]
    with pytest.raises(SchedulingError, match="in the past"):
        end_series(session, settings, m, by=district.pedagogue, last_day=date(2020, 1, 1))


def test_answer_links_of_a_series_last_until_its_last_sitting(
    session: Session, settings: Settings, district: District
) -> None:
    m = council(session, settings, district)
    token = rsvp_links(settings, m, district.inspector)[Answer.TENTATIVE].rsplit("/", 1)[1]
    later = m.starts_at + timedelta(days=200)
    assert read_rsvp_token(session, settings, token, now=later).answer is Answer.TENTATIVE


def test_a_series_stays_upcoming_by_its_next_sitting_after_its_first_is_over(
    session: Session, settings: Settings, district: District
) -> None:
    first = last_thursday_after(-70)
    m = council(session, settings, district, starts_at=first, ends_at=first + timedelta(hours=1),
                now=first - timedelta(days=1))  # fmt: skip
    single = factories.schedule(session, settings, district, starts_at=in_days(200),
                                ends_at=in_days(200) + timedelta(hours=1)).meeting  # fmt: skip
    session.commit()
    now = datetime.now(UTC)
    plan_due(session, settings, now=now)  # the scheduler's tick moves the series on
    session.commit()
    assert [x.id for x in upcoming_meetings(session, district.pedagogue, now=now)] == [m.id]
    assert [x.id for x in upcoming_meetings(session, district.inspector, now=now)] == [
        m.id,
        single.id,
    ]
    sitting = next_sitting(session, m, settings.zone, now=now)
    assert sitting is not None and now < sitting.starts_at < now + timedelta(days=36)
    end_series(session, settings, m, by=district.pedagogue, last_day=now.astimezone(ALMATY).date())
    session.commit()
    assert upcoming_meetings(session, district.pedagogue, now=now) == []


def test_the_agency_feed_shows_the_series_with_its_moved_and_cancelled_sittings(
    session: Session, settings: Settings, district: District
) -> None:
    m = council(session, settings, district)
    window = {"after": m.starts_at, "before": m.starts_at + timedelta(days=100)}
    first, second, third = sitting_times(m, [], settings.zone, **window)[:3]
    moved_to = second.original_start + timedelta(days=1)
    move_sitting(session, settings, m, by=district.pedagogue, original_start=second.original_start,
                 starts_at=moved_to, ends_at=moved_to + timedelta(hours=1))  # fmt: skip
    cancel_sitting(session, settings, m, by=district.pedagogue, original_start=third.original_start)
    session.commit()
    calendar = Calendar.from_ical(agency_feed(session, settings, district.police))
    starts = sorted(
        e.decoded("DTSTART")
        for e in recurring_ical_events.of(calendar).between(first.starts_at, third.ends_at)
    )
    assert starts == [first.starts_at, moved_to]


def test_moving_a_series_keeps_it_on_its_rule_and_resets_its_sittings(
    session: Session, settings: Settings, district: District
) -> None:
    m = council(session, settings, district)
    later = sitting_times(
        m, [], settings.zone, after=m.ends_at, before=m.starts_at + timedelta(days=70)
    )
    cancel_sitting(
        session, settings, m, by=district.pedagogue, original_start=later[0].original_start
    )
    with pytest.raises(SchedulingError, match="does not follow the rule") as refused:
        reschedule_meeting(
            session,
            settings,
            m,
            by=district.pedagogue,
            starts_at=m.starts_at - timedelta(days=1),
            ends_at=m.ends_at - timedelta(days=1),
        )
    assert set(refused.value.errors) == {"date"}
    reschedule_meeting(
        session,
        settings,
        m,
        by=district.pedagogue,
        starts_at=m.starts_at - timedelta(hours=2),
        ends_at=m.ends_at - timedelta(hours=2),
    )
    session.commit()
    assert session.scalars(select(Sitting)).all() == []
    assert m.starts_at.astimezone(ALMATY).hour == 13


def test_a_moved_sitting_warns_of_a_busy_agency_and_a_begun_one_cannot_be_cancelled(
    session: Session, settings: Settings, district: District
) -> None:
    m = council(session, settings, district)
    second = sitting_times(
        m, [], settings.zone, after=m.ends_at, before=m.starts_at + timedelta(days=70)
    )[0]
    busy_at = second.original_start + timedelta(days=2)
    factories.schedule(
        session, settings, district, starts_at=busy_at, ends_at=busy_at + timedelta(hours=1)
    )
    moved = move_sitting(
        session,
        settings,
        m,
        by=district.pedagogue,
        original_start=second.original_start,
        starts_at=busy_at,
        ends_at=busy_at + timedelta(hours=1),
    )
    assert {w.agency.slug for w in moved.warnings if w.agency} == {"police"}
    with pytest.raises(SchedulingError, match="already begun"):
        cancel_sitting(
            session,
            settings,
            m,
            by=district.pedagogue,
            original_start=m.starts_at,
            now=m.starts_at + timedelta(minutes=5),
        )


def test_the_calendar_view_shows_every_sitting_in_its_window_where_it_now_is(
    session: Session, settings: Settings, district: District
) -> None:
    m = council(session, settings, district)
    start, end = m.starts_at - timedelta(days=1), m.starts_at + timedelta(days=71)
    sittings = sitting_times(m, [], settings.zone, after=start, before=end)
    assert len(sittings) == 3
    moved_to = sittings[1].original_start + timedelta(days=1, hours=-4)
    move_sitting(
        session, settings, m, by=district.pedagogue, original_start=sittings[1].original_start,
        starts_at=moved_to, ends_at=moved_to + timedelta(hours=1),
    )  # fmt: skip
    cancel_sitting(
        session, settings, m, by=district.pedagogue, original_start=sittings[2].original_start
    )
    session.commit()
    for user in (district.inspector, district.chair):  # an invited agency; the whole district
        entries = calendar_meetings(session, user, start=start, end=end)
        assert [(e.id, e.starts_at, e.status) for e in entries] == [
            (m.id, m.starts_at, "scheduled"),
            (m.id, moved_to, "scheduled"),
            (m.id, sittings[2].original_start, "cancelled"),
        ]
    # a window after the first sitting still finds the later ones; filters apply to series too
    later = calendar_meetings(session, district.chair, start=m.ends_at, end=end)
    assert [e.starts_at for e in later] == [moved_to, sittings[2].original_start]
    assert (
        calendar_meetings(session, district.chair, start=start, end=end, kinds=["case_conference"])
        == []
    )
    assert (
        calendar_meetings(
            session, district.pedagogue, start=start, end=end, agency_id=district.education.id
        )
        == []
    )
