"""Meeting reminders planned by the scheduler's tick, with a frozen clock passed as ``now``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlmodel import Session, col

from models.core.settings import Settings
from models.meetings.reminders import replan_meeting_reminders
from models.meetings.tables import Meeting, MeetingStatus
from models.outbox.claims import claim
from models.outbox.notifications import Notification, NotificationStatus
from models.tick import plan_due, why_not_send
from tests import factories
from tests.factories import District

#: Tuesday 1 December 2026, 09:00 in Almaty.
T0 = datetime(2026, 12, 1, 4, 0, tzinfo=UTC)
#: The meeting: Friday 4 December 2026, 10:00 in Almaty.
START = datetime(2026, 12, 4, 5, 0, tzinfo=UTC)


def schedule(session: Session, settings: Settings, district: District, **over: object) -> Meeting:
    values: dict[str, object] = {
        "starts_at": START,
        "ends_at": START + timedelta(hours=1),
        "location": "Школа № 1, кабинет 5",
        "now": T0,
    }
    values.update(over)
    meeting = factories.schedule(session, settings, district, **values).meeting
    session.commit()
    return meeting


def reminders(session: Session) -> list[Notification]:
    return list(
        session.scalars(
            select(Notification)
            .where(col(Notification.kind) == "meeting_reminder")
            .order_by(col(Notification.id))
        )
    )


def tick_at(session: Session, settings: Settings, now: datetime) -> int:
    written = plan_due(session, settings, now=now)
    session.commit()
    return written


INVITEES = {"coord@education.test", "inspector@police.test", "head@police.test"}


def test_reminders_go_out_24_hours_and_1_hour_before_to_every_invitee_once(
    session: Session, settings: Settings, district: District
) -> None:
    schedule(session, settings, district)
    assert tick_at(session, settings, START - timedelta(hours=24, seconds=1)) == 0
    assert tick_at(session, settings, START - timedelta(hours=24)) == 3
    assert tick_at(session, settings, START - timedelta(hours=23)) == 0  # a repeated tick
    first = reminders(session)
    assert {n.recipient for n in first} == INVITEES  # the retired inspector gets none
    assert all(":reminder:1440m:" in n.dedupe_key for n in first)
    assert tick_at(session, settings, START - timedelta(minutes=59)) == 3
    assert tick_at(session, settings, START - timedelta(minutes=30)) == 0
    assert tick_at(session, settings, START + timedelta(minutes=1)) == 0
    assert len(reminders(session)) == 6
    meeting = session.scalars(select(Meeting)).one()
    assert meeting.reminder_due_at is None


def test_a_reminder_is_in_the_readers_language_with_local_time_place_and_link(
    session: Session, settings: Settings, district: District
) -> None:
    meeting = schedule(session, settings, district)
    tick_at(session, settings, START - timedelta(hours=1))
    by_user = {n.recipient: n for n in reminders(session)}
    kazakh = by_user["head@police.test"]
    assert kazakh.subject.startswith("Еске салу: Бірлескен тексеру")
    assert "10:00" in kazakh.subject  # 05:00 UTC is 10:00 in Almaty
    assert "Школа № 1, кабинет 5" in kazakh.body
    assert f"http://birge.test/meetings/{meeting.id}" in kazakh.body
    russian = by_user["inspector@police.test"]
    assert russian.subject.startswith("Напоминание: Совместное обследование, 4 декабря 2026")
    assert russian.reply_to == "coord@education.test"  # replies go to the organizer
    # the HTML part says the same things, in a table Outlook renders
    assert russian.html is not None
    assert "<table" in russian.html and "style=" in russian.html
    assert "Школа № 1, кабинет 5" in russian.html and "10:00" in russian.html


def test_a_case_reminder_names_the_case_by_its_code_only_to_those_on_it(
    session: Session, settings: Settings, district: District
) -> None:
    """Issue 18, point 7: an NGO invited to a joint inspection of a case it is not on gets
    its reminder without the case's code; the agencies on the case get the code."""
    ngo = factories.make_agency(session, district.row, "ngo", "ngo")
    ngo_staff = factories.make_user(session, ngo, "staff@ngo.test", "coordinator", locale="kk")
    schedule(session, settings, district, agency_ids=[district.police.id, ngo.id])
    tick_at(session, settings, START - timedelta(hours=1))
    sent = reminders(session)
    on_case = [n for n in sent if n.recipient != ngo_staff.email]
    off_case = [n for n in sent if n.recipient == ngo_staff.email]
    assert {n.recipient for n in on_case} == INVITEES and len(off_case) == 1
    for n in on_case:
        assert "D-2026-0042" in n.body and n.html is not None and "D-2026-0042" in n.html
    for n in off_case:
        assert n.html is not None and n.body
        assert "D-2026-0042" not in n.subject + n.body + n.html


def test_reminder_offsets_are_configured_per_kind(
    make_settings: Callable[..., Settings], database_url: str, session: Session, district: District
) -> None:
    settings = make_settings(
        database_url,
        BIRGE_MEETING_REMINDERS="24h,1h;joint_inspection=48h;coordination_meeting=none",
    )
    schedule(session, settings, district)
    schedule(
        session,
        settings,
        district,
        kind="coordination_meeting",
        title="Комиссия",
        organizer=district.chair,
    )
    assert tick_at(session, settings, START - timedelta(hours=49)) == 0
    assert tick_at(session, settings, START - timedelta(hours=48)) == 3
    assert tick_at(session, settings, START - timedelta(hours=1)) == 0
    assert {n.meeting_id for n in reminders(session)} == {1}


def test_a_late_tick_sends_only_the_latest_reminder_and_none_from_before_scheduling(
    session: Session, settings: Settings, district: District
) -> None:
    schedule(session, settings, district)
    # the scheduler was down for a day: at 30 minutes before, only the 1 h reminder goes
    assert tick_at(session, settings, START - timedelta(minutes=30)) == 3
    assert all(":reminder:60m:" in n.dedupe_key for n in reminders(session))
    # a meeting scheduled 3 hours ahead never gets its 24 h reminder
    late = schedule(
        session,
        settings,
        district,
        starts_at=T0 + timedelta(hours=3),
        ends_at=T0 + timedelta(hours=4),
    )
    assert late.reminder_due_at == T0 + timedelta(hours=2)
    assert tick_at(session, settings, T0 + timedelta(minutes=1)) == 0


def test_a_cancelled_meeting_gets_no_reminder_and_its_planned_ones_are_voided(
    session: Session, settings: Settings, district: District
) -> None:
    meeting = schedule(session, settings, district)
    tick_at(session, settings, START - timedelta(hours=24))
    # a worker already holds one of them when the meeting is cancelled
    held = reminders(session)[0]
    meeting.status = MeetingStatus.CANCELLED.value
    meeting.sequence += 1
    replan_meeting_reminders(session, settings, meeting, now=START - timedelta(hours=20))
    session.commit()
    assert tick_at(session, settings, START - timedelta(hours=1)) == 0
    statuses = {n.status for n in reminders(session)}
    assert statuses == {NotificationStatus.VOIDED.value}
    # and the check at send time stops a reminder written before the cancellation
    held.status = NotificationStatus.PENDING.value
    session.add(held)
    session.commit()
    claimed = claim(session, held.id, now=START - timedelta(hours=19), lease=timedelta(seconds=30))  # type: ignore[arg-type]
    assert claimed is not None
    assert why_not_send(session, claimed, now=START - timedelta(hours=19)) == "meeting cancelled"


def test_a_moved_meeting_voids_the_old_reminders_and_plans_new_ones(
    session: Session, settings: Settings, district: District
) -> None:
    meeting = schedule(session, settings, district)
    tick_at(session, settings, START - timedelta(hours=24))
    old = reminders(session)
    moved_to = START + timedelta(days=2)
    meeting.starts_at, meeting.ends_at = moved_to, moved_to + timedelta(hours=1)
    meeting.sequence += 1
    replan_meeting_reminders(session, settings, meeting, now=START - timedelta(hours=23))
    session.commit()
    assert {n.status for n in reminders(session)} == {NotificationStatus.VOIDED.value}
    assert why_not_send(session, old[0], now=START - timedelta(hours=23)) == "meeting changed"
    assert tick_at(session, settings, START - timedelta(hours=1)) == 0  # the old time is void
    assert tick_at(session, settings, moved_to - timedelta(hours=24)) == 3
    new = [n for n in reminders(session) if n.status == NotificationStatus.PENDING.value]
    assert len(new) == 3 and all(":seq:1:" in n.dedupe_key for n in new)
    assert all(why_not_send(session, n, now=moved_to - timedelta(hours=24)) is None for n in new)


def test_a_meeting_moved_into_the_past_gets_no_reminders(
    session: Session, settings: Settings, district: District
) -> None:
    meeting = schedule(session, settings, district)
    now = START - timedelta(hours=30)
    meeting.starts_at, meeting.ends_at = now - timedelta(days=1), now - timedelta(hours=23)
    meeting.sequence += 1
    replan_meeting_reminders(session, settings, meeting, now=now)
    session.commit()
    assert meeting.reminder_due_at is None
    for hours in (29, 24, 1, 0):
        assert tick_at(session, settings, START - timedelta(hours=hours)) == 0
    assert reminders(session) == []
