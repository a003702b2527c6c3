"""Changes and answers: every email a change causes is an invitation calendar apps apply."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select
from sqlmodel import Session

from models.core.audit import AuditEvent
from models.core.settings import Settings
from models.meetings.answers import (
    RsvpError,
    answers_by_agency,
    read_rsvp_token,
    rsvp_links,
    rsvp_token,
)
from models.meetings.changes import (
    cancel_meeting,
    change_participants,
    check_reschedule_meeting,
    record_response,
    reschedule_meeting,
)
from models.meetings.facts import meeting_agencies
from models.meetings.scheduling import SchedulingError
from models.meetings.tables import Answer, Meeting, MeetingAgency, MeetingResponse
from models.outbox.notifications import Notification
from tests import factories
from tests.factories import District, in_days, make_user


def invitation(notification: Notification) -> tuple[str, dict]:
    calendar = Calendar.from_ical(notification.ics)
    (event,) = calendar.walk("VEVENT")
    return str(calendar["METHOD"]), event


def emails_after(session: Session, seen: Sequence[int]) -> list[Notification]:
    return [n for n in session.scalars(select(Notification)) if n.id not in seen]


def seen(session: Session) -> list[int]:
    return [n.id for n in session.scalars(select(Notification)) if n.id is not None]


def meeting(session: Session, settings: Settings, district: District) -> Meeting:
    scheduled = factories.schedule(session, settings, district)
    session.commit()
    return scheduled.meeting


def test_rescheduling_sends_every_invitee_a_request_with_the_same_uid_and_a_new_sequence(
    session: Session, settings: Settings, district: District
) -> None:
    m = meeting(session, settings, district)
    before = seen(session)
    moved = reschedule_meeting(
        session, settings, m, by=district.coordinator,
        starts_at=in_days(4), ends_at=in_days(4) + timedelta(hours=2),
    )  # fmt: skip
    session.commit()
    updates = emails_after(session, before)
    assert {n.recipient for n in updates} == {
        district.coordinator.email,
        district.inspector.email,
        district.police_head.email,
    }
    assert sorted(moved.notification_ids) == sorted(n.id for n in updates)
    for n in updates:
        method, event = invitation(n)
        assert method == "REQUEST" and n.ics_method == "REQUEST"
        assert str(event["UID"]) == m.uid and event["SEQUENCE"] == 1
        assert len(event["ATTENDEE"]) == 3
        assert event.decoded("DTSTART") == in_days(4)
    english = next(n for n in updates if n.recipient == district.police_head.email)
    assert english.locale == "kk"
    (audit,) = session.scalars(select(AuditEvent).where(AuditEvent.action == "meeting.rescheduled"))
    assert audit.user_id == district.coordinator.id and audit.object_id == m.id


def test_cancelling_sends_a_cancel_with_status_cancelled_and_a_higher_sequence(
    session: Session, settings: Settings, district: District
) -> None:
    m = meeting(session, settings, district)
    before = seen(session)
    cancel_meeting(session, settings, m, by=district.coordinator)
    session.commit()
    cancellations = emails_after(session, before)
    assert len(cancellations) == 3
    for n in cancellations:
        method, event = invitation(n)
        assert method == "CANCEL" and event["STATUS"] == "CANCELLED"
        assert str(event["UID"]) == m.uid and event["SEQUENCE"] == 1
        assert "/respond/" not in n.body  # nothing to answer any more
    with pytest.raises(SchedulingError, match="cancelled"):
        cancel_meeting(session, settings, m, by=district.coordinator)


def test_changing_participants_invites_the_added_and_cancels_for_the_removed(
    session: Session, settings: Settings, district: District
) -> None:
    m = meeting(session, settings, district)  # education (organizer) and police
    before = seen(session)
    change_participants(
        session, settings, m, by=district.coordinator, agency_ids=[district.school.id]
    )
    session.commit()
    mails = {n.recipient: n for n in emails_after(session, before)}
    method, event = invitation(mails[district.pedagogue.email])
    assert method == "REQUEST" and "/respond/" in mails[district.pedagogue.email].body
    for removed in (district.inspector, district.police_head):
        method, event = invitation(mails[removed.email])
        assert method == "CANCEL" and event["SEQUENCE"] == 1
        assert str(event["ATTENDEE"]) == f"mailto:{removed.email}"
    method, event = invitation(mails[district.coordinator.email])  # stays: an update
    assert method == "REQUEST" and event["SEQUENCE"] == 1
    assert {str(a) for a in event["ATTENDEE"]} == {
        f"mailto:{district.coordinator.email}",
        f"mailto:{district.pedagogue.email}",
    }
    assert set(session.scalars(select(MeetingAgency.agency_id))) == {
        district.education.id,
        district.school.id,
    }


def test_only_the_organizers_and_the_district_may_change_a_meeting(
    session: Session, settings: Settings, district: District
) -> None:
    m = meeting(session, settings, district)
    for outsider in (district.police_head, district.inspector):
        with pytest.raises(SchedulingError, match="may not change"):
            cancel_meeting(session, settings, m, by=outsider)
    secretary = make_user(session, district.akimat, "secretary@akimat.test", "coordinator")
    cancel_meeting(session, settings, m, by=secretary)


def test_bad_changes_are_refused_by_field_and_write_nothing(
    session: Session, settings: Settings, district: District
) -> None:
    m = meeting(session, settings, district)
    before = seen(session)
    with pytest.raises(SchedulingError) as refused:
        reschedule_meeting(
            session, settings, m, by=district.coordinator,
            starts_at=in_days(-2), ends_at=in_days(-2) - timedelta(hours=1),
        )  # fmt: skip
    assert set(refused.value.errors) == {"date", "end_time"}
    with pytest.raises(SchedulingError, match="Nothing changed"):
        reschedule_meeting(
            session, settings, m, by=district.coordinator, starts_at=m.starts_at, ends_at=m.ends_at
        )
    with pytest.raises(SchedulingError, match="does not exist"):
        change_participants(session, settings, m, by=district.coordinator, agency_ids=[99999])
    session.rollback()
    assert emails_after(session, before) == []
    assert session.get(Meeting, m.id).sequence == 0  # type: ignore[union-attr]


def test_the_move_check_refuses_what_rescheduling_refuses_and_writes_nothing(
    session: Session, settings: Settings, district: District
) -> None:
    m = meeting(session, settings, district)
    before, starts_at = seen(session), m.starts_at
    later = {"starts_at": in_days(5), "ends_at": in_days(5) + timedelta(hours=1)}
    for asked in (
        {"by": district.coordinator, "starts_at": in_days(-2), "ends_at": in_days(-3)},
        {"by": district.coordinator, "starts_at": m.starts_at, "ends_at": m.ends_at},
        {"by": district.coordinator, **later, "location": "x" * 301},
        {"by": district.police_head, **later},  # not the organizer's
    ):
        with pytest.raises(SchedulingError) as checked:
            check_reschedule_meeting(session, settings, m, **asked)
        assert not (session.new or session.dirty or session.deleted)
        with pytest.raises(SchedulingError) as moved:
            reschedule_meeting(session, settings, m, **asked)
        assert checked.value.errors == moved.value.errors, asked
    place = check_reschedule_meeting(
        session, settings, m, by=district.coordinator, location="  Школа  № 3 ", **later
    )
    assert place == "Школа № 3"
    assert not (session.new or session.dirty or session.deleted)
    session.commit()
    assert emails_after(session, before) == []
    assert (m.sequence, m.starts_at) == (0, starts_at)


def test_answer_links_are_signed_single_purpose_idempotent_and_expire(
    session: Session, settings: Settings, district: District
) -> None:
    m = meeting(session, settings, district)
    links = rsvp_links(settings, m, district.inspector)
    token = links[Answer.DECLINED].rsplit("/", 1)[1]
    now = m.starts_at - timedelta(days=1)
    request = read_rsvp_token(session, settings, token, now=now)
    assert (request.user.id, request.answer) == (district.inspector.id, Answer.DECLINED)
    assert record_response(session, meeting=m, user=request.user, answer=request.answer)
    assert not record_response(session, meeting=m, user=request.user, answer=request.answer)
    session.commit()
    assert len(session.scalars(select(MeetingResponse)).all()) == 1
    answers = session.scalars(
        select(AuditEvent).where(AuditEvent.action.startswith("meeting.answer"))
    )  # type: ignore[attr-defined]
    assert len(answers.all()) == 1
    for bad in (token[:-2] + "xx", token.replace(".", "A", 1), "nonsense"):
        with pytest.raises(RsvpError, match="not valid"):
            read_rsvp_token(session, settings, bad, now=now)
    other_secret = rsvp_token(
        "another-secret-key-0123456789", m.id, district.inspector.id, Answer.ACCEPTED
    )  # type: ignore[arg-type]
    with pytest.raises(RsvpError, match="not valid"):
        read_rsvp_token(session, settings, other_secret, now=now)
    with pytest.raises(RsvpError, match="over"):
        read_rsvp_token(session, settings, token, now=m.ends_at + timedelta(minutes=1))


def test_the_organizer_sees_answers_per_person_and_agency_and_a_declined_agency(
    session: Session, settings: Settings, district: District
) -> None:
    m = meeting(session, settings, district)
    record_response(session, meeting=m, user=district.inspector, answer=Answer.DECLINED)
    record_response(session, meeting=m, user=district.police_head, answer=Answer.DECLINED)
    record_response(session, meeting=m, user=district.coordinator, answer=Answer.ACCEPTED)
    by_agency = {
        a.agency.slug: a for a in answers_by_agency(session, m, meeting_agencies(session, m))
    }
    assert by_agency["police"].declined and by_agency["police"].answer is Answer.DECLINED
    assert not by_agency["education"].declined
    assert dict((u.email, a) for u, a in by_agency["police"].people) == {
        district.inspector.email: Answer.DECLINED,
        district.police_head.email: Answer.DECLINED,
    }


def test_links_stop_for_a_cancelled_meeting_and_a_removed_agency(
    session: Session, settings: Settings, district: District
) -> None:
    m = meeting(session, settings, district)
    token = rsvp_links(settings, m, district.inspector)[Answer.ACCEPTED].rsplit("/", 1)[1]
    change_participants(
        session, settings, m, by=district.coordinator, agency_ids=[district.school.id]
    )
    with pytest.raises(RsvpError, match="no longer takes part"):
        read_rsvp_token(session, settings, token, now=m.starts_at - timedelta(hours=1))
    cancel_meeting(session, settings, m, by=district.coordinator)
    with pytest.raises(RsvpError, match="cancelled"):
        read_rsvp_token(session, settings, token, now=m.starts_at - timedelta(hours=1))


def test_an_update_shows_calendar_apps_who_answered_what(
    session: Session, settings: Settings, district: District
) -> None:
    m = meeting(session, settings, district)
    record_response(session, meeting=m, user=district.inspector, answer=Answer.DECLINED)
    record_response(session, meeting=m, user=district.police_head, answer=Answer.TENTATIVE)
    before = seen(session)
    reschedule_meeting(
        session, settings, m, by=district.coordinator,
        starts_at=in_days(5), ends_at=in_days(5) + timedelta(hours=1),
    )  # fmt: skip
    _, event = invitation(emails_after(session, before)[0])
    partstat = {str(a): a.params["PARTSTAT"] for a in event["ATTENDEE"]}
    assert partstat == {
        f"mailto:{district.coordinator.email}": "NEEDS-ACTION",
        f"mailto:{district.inspector.email}": "DECLINED",
        f"mailto:{district.police_head.email}": "TENTATIVE",
    }
