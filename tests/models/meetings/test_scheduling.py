from __future__ import annotations

from datetime import timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import func, select
from sqlmodel import Session

from calendars.feed import EventCache
from models.core.audit import AuditEvent
from models.core.settings import Settings
from models.meetings.scheduling import SchedulingError, check_schedule_meeting, schedule_meeting
from models.meetings.tables import Meeting, MeetingAgency
from models.outbox.notifications import Notification
from models.overview.feed import agency_feed, build_feed_bytes
from models.overview.feed_scopes import person_scope
from models.people.tables import User
from tests import factories
from tests.factories import District, in_days, make_user


def schedule(session: Session, settings: Settings, district: District, **over: object):
    values: dict[str, object] = {
        "agency_ids": [district.police.id, district.school.id],
        "location": "Выезд от отдела образования",
    }
    return factories.schedule(session, settings, district, **(values | over))


def test_scheduling_invites_every_active_member_of_every_agency_once(
    session: Session, settings: Settings, district: District
) -> None:
    scheduled = schedule(session, settings, district)
    session.commit()
    recipients = sorted(n.recipient for n in session.scalars(select(Notification)))
    # the organizer's own agency takes part; the inactive police member is not invited
    assert recipients == sorted(
        [
            district.coordinator.email,
            district.inspector.email,
            district.police_head.email,
            district.pedagogue.email,
        ]
    )
    agencies = set(session.scalars(select(MeetingAgency.agency_id)))
    assert agencies == {district.education.id, district.police.id, district.school.id}
    assert len(scheduled.notification_ids) == 4


def test_scheduling_writes_its_audit_event(
    session: Session, settings: Settings, district: District
) -> None:
    scheduled = schedule(session, settings, district)
    session.commit()
    (event,) = session.scalars(select(AuditEvent).where(AuditEvent.action == "meeting.scheduled"))
    assert event.user_id == district.coordinator.id
    assert event.object_id == scheduled.meeting.id


def test_invitations_speak_the_recipients_language_and_carry_a_request(
    session: Session, settings: Settings, district: District
) -> None:
    schedule(session, settings, district)
    session.commit()
    by_email = {n.recipient: n for n in session.scalars(select(Notification))}
    kazakh = by_email[district.police_head.email]
    english = by_email[district.pedagogue.email]
    assert kazakh.locale == "kk" and english.locale == "en"
    assert english.subject.startswith("Invitation: Joint inspection")
    assert kazakh.subject != english.subject
    assert "10:00" in english.body  # 05:00 UTC is 10:00 in Almaty
    calendar = Calendar.from_ical(english.ics)
    assert calendar["METHOD"] == "REQUEST" and english.ics_method == "REQUEST"
    (event,) = calendar.walk("VEVENT")
    # every invitation lists every invitee, so that calendar apps show who else comes
    assert sorted(str(a) for a in event["ATTENDEE"]) == sorted(
        f"mailto:{u.email}"
        for u in (
            district.coordinator,
            district.inspector,
            district.police_head,
            district.pedagogue,
        )
    )
    assert "Your answer" in english.body and "/respond/" in english.body


def test_a_failed_rule_leaves_nothing_behind(
    session: Session, settings: Settings, district: District
) -> None:
    with pytest.raises(SchedulingError):
        schedule(session, settings, district, case_code="D-2026-9999")
    session.rollback()
    assert session.scalars(select(Notification)).first() is None


BAD_MEETINGS = [
    ({"ends_at": in_days(3)}, "The meeting must end after it starts."),
    ({"starts_at": in_days(-1), "ends_at": in_days(-1) + timedelta(hours=1)}, "past"),
    ({"ends_at": in_days(3) + timedelta(hours=13)}, "at most 12 hours"),
    ({"title": "   "}, "Give the meeting a title."),
    ({"location": "x" * 301}, "The place is too long."),
    ({"kind": "party"}, "Choose the kind of meeting."),
    ({"agency_ids": []}, "Invite at least one other agency."),
    ({"agency_ids": [987654]}, "does not exist"),
    ({"kind": "case_conference", "case_code": ""}, "needs the code of its case"),
    ({"case_code": ""}, "needs the code of its case"),
    ({"address": " "}, "Give the address to be inspected."),
    ({"case_code": "D-2026-9999"}, "There is no case with this code"),
    ({"kind": "coordination_meeting"}, "called by the akimat"),
    ({"kind": "prevention_council"}, "Choose the school"),
]


@pytest.mark.parametrize(("over", "message"), BAD_MEETINGS)
def test_bad_meetings_are_refused_with_a_reason(
    session: Session, settings: Settings, district: District, over: dict, message: str
) -> None:
    with pytest.raises(SchedulingError, match=message):
        schedule(session, settings, district, **over)


def written(session: Session) -> list[int]:
    """Count the rows scheduling writes (a count flushes whatever the session holds)."""
    tables = (Meeting, MeetingAgency, AuditEvent, Notification)
    return [session.scalar(select(func.count()).select_from(t)) or 0 for t in tables]


@pytest.mark.parametrize(("over", "message"), BAD_MEETINGS)
def test_the_check_refuses_what_scheduling_refuses_and_writes_nothing(
    session: Session, settings: Settings, district: District, over: dict, message: str
) -> None:
    asked = factories.meeting_request(district, **({"agency_ids": [district.police.id]} | over))
    before = written(session)
    with pytest.raises(SchedulingError, match=message) as checked:
        check_schedule_meeting(session, settings, **asked)
    assert written(session) == before
    with pytest.raises(SchedulingError) as scheduled:
        schedule_meeting(session, settings, **asked)
    assert checked.value.errors == scheduled.value.errors


def test_a_good_meeting_passes_the_check_as_it_would_be_written_and_nothing_is(
    session: Session, settings: Settings, district: District
) -> None:
    before = written(session)
    planned = check_schedule_meeting(
        session, settings, **factories.meeting_request(district, title="  Обследование   дома ")
    )
    assert written(session) == before
    assert planned.title == "Обследование дома" and planned.case == district.case
    assert [a.id for a in planned.agencies] == sorted([district.education.id, district.police.id])


def test_an_agency_cannot_schedule_on_a_case_it_does_not_work_on(
    session: Session, settings: Settings, district: District
) -> None:
    health = factories.make_agency(session, district.row, "health", "health")
    stranger = make_user(session, health, "doctor@health.test", "coordinator")
    with pytest.raises(SchedulingError, match="no case with this code"):
        schedule(session, settings, district, organizer=stranger, case_code="D-2026-0042")
    # the chair sees the district's cases
    schedule(session, settings, district, organizer=district.chair, case_code="D-2026-0042")


def test_the_units_secretary_schedules_on_any_case_of_the_district_like_the_chair(
    session: Session, settings: Settings, district: District
) -> None:
    secretary = make_user(session, district.akimat, "secretary@akimat.test", "coordinator")
    scheduled = factories.schedule_case_conference(
        session, settings, district, organizer=secretary, case_code="d-2026-0042 "
    )
    assert scheduled.meeting.case_id == district.case.id  # a lowercase code is normalized


def test_every_problem_is_reported_at_once_at_its_field(
    session: Session, settings: Settings, district: District
) -> None:
    with pytest.raises(SchedulingError) as refused:
        schedule(
            session,
            settings,
            district,
            title=" ",
            case_code="D-2026-9999",
            address="",
            starts_at=in_days(-1),
            ends_at=in_days(-1) - timedelta(hours=1),
            agency_ids=[],
        )
    assert set(refused.value.errors) == {
        "title",
        "case_code",
        "address",
        "date",
        "end_time",
        "agencies",
    }


def test_a_case_conference_invites_the_case_agencies_and_only_them(
    session: Session, settings: Settings, district: District
) -> None:
    scheduled = factories.schedule_case_conference(session, settings, district, agency_ids=[])
    invited = set(session.scalars(select(MeetingAgency.agency_id)))
    assert invited == {district.education.id, district.police.id, district.school.id}
    assert scheduled.meeting.case_id == district.case.id
    session.rollback()
    with pytest.raises(SchedulingError, match="Only the agencies working on the case"):
        factories.schedule_case_conference(
            session, settings, district, agency_ids=[district.akimat.id]
        )


def test_a_coordination_meeting_is_called_by_the_akimat_and_invites_every_agency(
    session: Session, settings: Settings, district: District
) -> None:
    scheduled = schedule(
        session, settings, district, organizer=district.chair, kind="coordination_meeting",
        title="Заседание МВК", case_code="", agency_ids=[],
    )  # fmt: skip
    invited = set(session.scalars(select(MeetingAgency.agency_id)))
    assert len(invited) == 4 and scheduled.meeting.organizer_agency_id == district.akimat.id


def test_an_identical_meeting_or_a_busy_agency_warns_but_does_not_block(
    session: Session, settings: Settings, district: District
) -> None:
    first = schedule(session, settings, district)
    assert first.warnings == []
    second = schedule(session, settings, district)
    assert [w.message for w in second.warnings] == [
        "The same meeting is already scheduled at this time."
    ]
    assert second.warnings[0].meeting_id == first.meeting.id
    third = factories.schedule_case_conference(
        session, settings, district, starts_at=in_days(3) + timedelta(minutes=30),
        ends_at=in_days(3) + timedelta(hours=2),
    )  # fmt: skip
    busy = {w.agency.slug for w in third.warnings if w.agency is not None}
    assert busy == {"education", "police", "school-1"}
    assert third.meeting.id is not None  # scheduled all the same


def test_members_may_not_schedule(session: Session, settings: Settings, district: District) -> None:
    with pytest.raises(SchedulingError, match="may not schedule"):
        schedule(session, settings, district, organizer=district.inspector)


def test_case_conference_names_the_case_code_only(
    session: Session, settings: Settings, district: District
) -> None:
    factories.schedule_case_conference(
        session, settings, district, agency_ids=[district.police.id, district.school.id]
    )
    session.commit()
    for notification in session.scalars(select(Notification)):
        assert "D-2026-0042" in notification.body
        assert "D-2026-0042" in (notification.ics or "")


def test_the_inspected_address_never_leaves_the_portal_and_titles_do_not_repeat_the_kind(
    session: Session, settings: Settings, district: District
) -> None:
    schedule(
        session,
        settings,
        district,
        address="ул. Секретная, 7",
        title="Совместное обследование семьи",
    )
    session.commit()
    for notification in session.scalars(select(Notification)):
        assert "Секретная" not in notification.body + (notification.ics or "")
    feed = agency_feed(session, settings, district.police).decode()
    assert "Секретная" not in feed
    russian = next(n for n in session.scalars(select(Notification)) if n.locale == "ru")
    assert "Совместное обследование: Совместное" not in russian.subject
    (event,) = Calendar.from_ical(russian.ics).walk("VEVENT")
    assert str(event["SUMMARY"]) == "Совместное обследование семьи"


def test_invitations_name_the_case_to_whoever_may_see_it_and_to_nobody_else(
    session: Session, settings: Settings, district: District
) -> None:
    """Issue 18, point 7: one rule for case codes (models.cases.access.may_see_case) in the
    invitations as on the pages: the unit's secretary (the akimat's coordinator) sees the
    code, an NGO invited but not on the case does not."""
    ngo = factories.make_agency(session, district.row, "ngo", "ngo")
    ngo_staff = factories.make_user(session, ngo, "staff@ngo.test", "coordinator")
    secretary = factories.make_user(
        session, district.akimat, "secretary@akimat.test", "coordinator"
    )
    schedule(
        session, settings, district, agency_ids=[district.police.id, ngo.id, district.akimat.id]
    )
    session.commit()
    mail = {n.recipient: n for n in session.scalars(select(Notification))}
    knowing = {
        district.coordinator.email,
        district.inspector.email,
        district.police_head.email,
        district.chair.email,
        secretary.email,
    }
    assert set(mail) == knowing | {ngo_staff.email}
    for email in knowing:
        assert "D-2026-0042" in mail[email].body and "D-2026-0042" in (mail[email].ics or ""), email
    off = mail[ngo_staff.email]
    assert off.body and off.ics
    assert "D-2026-0042" not in off.subject + off.body + (off.html or "") + off.ics

    # and the personal calendar feeds follow the same rule
    def feed(user: User) -> str:
        scope = person_scope(session, user)
        body = build_feed_bytes(session, settings, scope, EventCache()).decode()
        return body.replace("\r\n ", "")  # unfolded

    assert "D-2026-0042" in feed(secretary) and "Обследование" in feed(ngo_staff)
    assert "D-2026-0042" not in feed(ngo_staff)
