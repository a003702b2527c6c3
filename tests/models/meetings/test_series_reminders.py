"""Reminders of every sitting of a council series, planned by the tick from the indexed
``Meeting.reminder_due_at`` and ``Meeting.next_sitting_at``, with a frozen clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlmodel import Session, col

from models.core.settings import Settings
from models.meetings.series import cancel_sitting, end_series, move_sitting
from models.meetings.tables import Meeting
from models.outbox.notifications import Notification, NotificationStatus
from models.tick import plan_due, why_not_send
from tests import factories
from tests.factories import District

#: Wednesday 20 January 2027, 09:00 in Almaty: the school schedules its council.
T0 = datetime(2027, 1, 20, 4, 0, tzinfo=UTC)
#: The last Thursdays of January to April 2027, 15:00 in Almaty (10:00 UTC).
JAN, FEB, MAR, APR = (
    datetime(2027, m, d, 10, 0, tzinfo=UTC) for m, d in ((1, 28), (2, 25), (3, 25), (4, 29))
)
HOUR, DAY = timedelta(hours=1), timedelta(days=1)


def council(session: Session, settings: Settings, district: District) -> Meeting:
    meeting = factories.schedule(
        session,
        settings,
        district,
        organizer=district.pedagogue,
        kind="prevention_council",
        title="Совет профилактики школы № 1",
        case_code="",
        address="",
        starts_at=JAN,
        ends_at=JAN + HOUR,
        agency_ids=[district.police.id],
        rrule="FREQ=MONTHLY;BYDAY=-1TH",
        now=T0,
    ).meeting
    session.commit()
    return meeting


def tick_at(session: Session, settings: Settings, now: datetime) -> int:
    written = plan_due(session, settings, now=now)
    session.commit()
    return written


def reminders(session: Session, *, since: int = 0) -> list[Notification]:
    return list(
        session.scalars(
            select(Notification)
            .where(col(Notification.kind) == "meeting_reminder", col(Notification.id) > since)
            .order_by(col(Notification.id))
        )
    )


def last_id(session: Session) -> int:
    return max((n.id or 0 for n in session.scalars(select(Notification))), default=0)


def test_the_march_sitting_reminder_arrives_24_hours_before_it(
    session: Session, settings: Settings, district: District
) -> None:
    meeting = council(session, settings, district)
    assert tick_at(session, settings, JAN - DAY) == 3  # the first sitting, as before
    assert tick_at(session, settings, JAN - HOUR) == 3
    assert tick_at(session, settings, JAN + 2 * HOUR) == 0  # the January sitting is over
    assert meeting.next_sitting_at == FEB  # the series now lists by its February sitting
    seen = last_id(session)
    assert tick_at(session, settings, MAR - DAY - timedelta(seconds=1)) == 0
    assert tick_at(session, settings, MAR - DAY) == 3  # February's were missed: none late
    march = reminders(session, since=seen)
    by_user = {n.recipient: n for n in march}
    assert by_user[district.pedagogue.email].subject == (
        "Reminder: Prevention council, 25 March 2027, 15:00"
    )
    assert "25 марта 2027" in by_user[district.inspector.email].subject
    assert all(":reminder:1440m:" in n.dedupe_key for n in march)
    # the key tells the sittings apart: January's reminders stay, March's are new
    assert {n.dedupe_key.split(":reminder:")[0] for n in march} == {
        f"meeting:{meeting.id}:seq:0:sitting:20270325T100000Z"
    }
    # the worker sends them: the series began in January, but this sitting has not
    assert all(why_not_send(session, n, now=MAR - DAY) is None for n in march)
    assert tick_at(session, settings, MAR - HOUR) == 3
    assert why_not_send(session, march[0], now=MAR + timedelta(minutes=1)) == "meeting started"


def test_the_tick_reads_a_series_only_when_its_next_moment_has_come(
    session: Session, settings: Settings, district: District
) -> None:
    meeting = council(session, settings, district)
    assert (meeting.reminder_due_at, meeting.next_sitting_at) == (JAN - DAY, JAN)
    tick_at(session, settings, JAN - HOUR)
    assert meeting.reminder_due_at == JAN + HOUR  # the sitting's end: list the next one then
    tick_at(session, settings, JAN + HOUR)
    assert (meeting.reminder_due_at, meeting.next_sitting_at) == (FEB - DAY, FEB)


def test_a_moved_sitting_is_reminded_at_its_new_time_and_the_old_reminders_are_void(
    session: Session, settings: Settings, district: District
) -> None:
    meeting = council(session, settings, district)
    tick_at(session, settings, FEB + 2 * HOUR)  # January and February are over
    seen = last_id(session)
    assert tick_at(session, settings, MAR - DAY) == 3
    planned = reminders(session, since=seen)
    monday = MAR + 4 * DAY - 5 * HOUR  # Monday 29 March, 10:00 in Almaty
    move_sitting(
        session,
        settings,
        meeting,
        by=district.pedagogue,
        original_start=MAR,
        starts_at=monday,
        ends_at=monday + HOUR,
        now=MAR - DAY + timedelta(minutes=1),
    )
    session.commit()
    for n in planned:
        session.refresh(n)
    assert {n.status for n in planned} == {NotificationStatus.VOIDED.value}
    assert why_not_send(session, planned[0], now=MAR - DAY) == "meeting changed"
    assert meeting.next_sitting_at == monday
    seen = last_id(session)
    assert tick_at(session, settings, MAR - HOUR) == 0  # the old time is void
    assert tick_at(session, settings, monday - DAY) == 3
    moved = reminders(session, since=seen)
    subjects = {n.subject for n in moved if n.recipient == district.pedagogue.email}
    assert subjects == {"Reminder: Prevention council, 29 March 2027, 10:00"}
    assert all(":seq:1:sitting:20270325T100000Z:" in n.dedupe_key for n in moved)
    assert all(why_not_send(session, n, now=monday - DAY) is None for n in moved)


def test_a_cancelled_sitting_and_an_ended_series_get_no_reminders(
    session: Session, settings: Settings, district: District
) -> None:
    meeting = council(session, settings, district)
    tick_at(session, settings, JAN + 2 * HOUR)
    cancel_sitting(
        session, settings, meeting, by=district.pedagogue, original_start=FEB, now=FEB - 3 * DAY
    )
    session.commit()
    assert meeting.next_sitting_at == MAR
    seen = last_id(session)
    assert tick_at(session, settings, FEB - DAY) == 0
    assert tick_at(session, settings, FEB - HOUR) == 0
    assert tick_at(session, settings, MAR - DAY) == 3
    (march,) = [
        n for n in reminders(session, since=seen) if n.recipient == district.pedagogue.email
    ]
    assert march.subject == "Reminder: Prevention council, 25 March 2027, 15:00"
    end_series(
        session,
        settings,
        meeting,
        by=district.pedagogue,
        last_day=date(2027, 4, 1),
        now=MAR - DAY + HOUR,
    )
    session.commit()
    assert tick_at(session, settings, MAR - HOUR) == 3  # March is still on
    assert tick_at(session, settings, MAR + 2 * HOUR) == 0
    assert (meeting.next_sitting_at, meeting.reminder_due_at) == (None, None)
    seen = last_id(session)
    assert tick_at(session, settings, APR - DAY) == 0
    assert reminders(session, since=seen) == []


def test_moving_one_sitting_keeps_another_sittings_planned_reminder(
    session: Session, settings: Settings, district: District
) -> None:
    meeting = council(session, settings, district)
    tick_at(session, settings, FEB + 2 * HOUR)  # January and February are over
    seen = last_id(session)
    assert tick_at(session, settings, MAR - DAY) == 3  # March's reminder, not sent yet
    planned = reminders(session, since=seen)
    seen = last_id(session)
    moved_to = APR + DAY  # April's sitting moves to the Friday; March's stays where it is
    move_sitting(
        session,
        settings,
        meeting,
        by=district.pedagogue,
        original_start=APR,
        starts_at=moved_to,
        ends_at=moved_to + HOUR,
        now=MAR - DAY + timedelta(minutes=1),
    )
    session.commit()
    tick_at(session, settings, MAR - DAY + timedelta(minutes=2))
    for n in planned:
        session.refresh(n)
    wanted = [
        n
        for n in planned + reminders(session, since=seen)
        if n.sitting_start == MAR
        and ":reminder:1440m:" in n.dedupe_key
        and why_not_send(session, n, now=MAR - DAY + timedelta(minutes=2)) is None
        and n.status != NotificationStatus.VOIDED.value
    ]
    # Every invitee still gets March's 24-hour reminder, once, at the sequence of the change.
    assert sorted(n.recipient for n in wanted) == sorted(n.recipient for n in planned)
    assert all(f":seq:{meeting.sequence}:" in n.dedupe_key for n in wanted)
    assert all(n.subject == planned[0].subject for n in wanted if n.locale == planned[0].locale)
