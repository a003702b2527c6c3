"""The meeting pages as people use them: schedule, change, answer; bad input never a 500."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient
from icalendar import Calendar
from sqlalchemy import func, select
from sqlmodel import Session

from models.core.audit import AuditEvent
from models.core.settings import Settings
from models.meetings.answers import rsvp_links
from models.meetings.tables import Answer, Meeting, MeetingResponse, Sitting
from models.outbox.notifications import Notification
from tests.factories import District, csrf_token, in_days, login, logout, make_user, schedule
from tests.models.meetings.test_series import council


def count(session: Session, model: type) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model)) or 0


def form_data(client: FlaskClient, url: str, **values: object) -> dict[str, object]:
    page = client.get(url).get_data(as_text=True)
    return {"csrf_token": csrf_token(page), **values}


def new_meeting(client: FlaskClient, district: District, **over: object) -> dict[str, object]:
    values: dict[str, object] = {
        "kind": "case_conference",
        "title": "Индивидуальный план работы",
        "date": in_days(5).date().isoformat(),
        "start_time": "10:00",
        "end_time": "11:30",
        "location": "Отдел образования",
        "case_code": "D-2026-0042",
        "repeat": "once",
        "agencies": [str(district.police.id)],
    }
    values.update(over)
    return form_data(client, "/meetings/new", **values)


def test_every_error_is_shown_at_its_field_at_once_with_focus_and_aria(
    client: FlaskClient, district: District, session: Session
) -> None:
    login(client, district.coordinator.email)
    response = client.post(
        "/meetings/new",
        data=new_meeting(
            client,
            district,
            title="",
            date="2020-01-01",
            case_code="D-2026-9999",
            kind="joint_inspection",
            address="",
        ),
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    for field in ("title", "date", "case_code", "address"):
        assert f'id="{field}-error"' in page, field
        control = re.search(rf'<(?:input|select)[^>]*id="{field}"[^>]*>', page)
        assert control and f"{field}-error" in control.group(0), field  # aria-describedby
    title = re.search(r'<input[^>]*id="title"[^>]*>', page)
    assert title and "autofocus" in title.group(0)  # the focus goes to the first error
    assert page.count("autofocus") == 1
    assert 'href="#content"' in page  # the skip link past the header
    assert count(session, Meeting) == 0


def test_the_form_says_astana_time_and_who_may_schedule_on_a_case(
    client: FlaskClient, district: District
) -> None:
    login(client, district.coordinator.email)
    page = client.get("/meetings/new").get_data(as_text=True)
    assert "Asia/Almaty" not in page
    assert "время Астаны, UTC+5" in page
    assert "секретар" in page  # the case field says who may schedule on a case


def test_presets_tick_all_agencies_the_case_agencies_and_the_council_members(
    client: FlaskClient, district: District, session: Session
) -> None:
    login(client, district.chair.email)

    def ticked(preset: str, **over: object) -> set[str]:
        data = new_meeting(client, district, preset=preset, agencies=[], **over)
        response = client.post("/meetings/new", data=data)
        inputs = re.findall(r'<input[^>]*name="agencies"[^>]*>', response.get_data(as_text=True))
        return {re.search(r'value="(\d+)"', i).group(1) for i in inputs if "checked" in i}  # type: ignore[union-attr]

    ids = lambda *agencies: {str(a.id) for a in agencies}  # noqa: E731
    assert ticked("all") == ids(district.education, district.police, district.school)
    assert ticked("case") == ids(district.education, district.police, district.school)
    assert ticked("council", school=str(district.school.id)) == ids(
        district.education, district.police, district.school
    )
    response = client.post(
        "/meetings/new", data=new_meeting(client, district, preset="case", case_code="D-2026-9999")
    )
    assert "case_code-error" in response.get_data(as_text=True)
    assert count(session, Meeting) == 0


def test_a_lowercase_case_code_is_normalized_and_a_duplicate_warns(
    client: FlaskClient, district: District, session: Session
) -> None:
    login(client, district.coordinator.email)
    first = client.post(
        "/meetings/new", data=new_meeting(client, district, case_code="d-2026-0042")
    )
    assert first.status_code == 302
    second = client.post("/meetings/new", data=new_meeting(client, district), follow_redirects=True)
    assert second.status_code == 200
    assert "уже запланирована" in second.get_data(as_text=True)
    assert count(session, Meeting) == 2  # warned, not blocked


def test_the_secretary_schedules_on_any_case_of_the_district(
    client: FlaskClient, district: District, session: Session
) -> None:
    make_user(session, district.akimat, "secretary@akimat.test", "coordinator")
    session.commit()
    login(client, "secretary@akimat.test")
    response = client.post("/meetings/new", data=new_meeting(client, district, agencies=[]))
    assert response.status_code == 302


def test_the_organizer_reschedules_cancels_and_changes_participants_from_the_meeting_page(
    client: FlaskClient, district: District, session: Session, settings: Settings
) -> None:
    meeting = schedule(session, settings, district).meeting
    session.commit()
    url = f"/meetings/{meeting.id}"
    login(client, district.inspector.email)  # a member of an invited agency: no actions
    page = client.get(url).get_data(as_text=True)
    assert "/reschedule" not in page and "Ваш ответ" in page
    assert client.get(url + "/reschedule").status_code == 403
    logout(client)

    login(client, district.coordinator.email)
    page = client.get(url).get_data(as_text=True)
    assert "/reschedule" in page and "/participants" in page and "/cancel" in page
    before = count(session, Notification)
    day = in_days(6).date().isoformat()
    response = client.post(
        url + "/reschedule",
        data=form_data(
            client,
            url + "/reschedule",
            date=day,
            start_time="14:00",
            end_time="15:00",
            location="Акимат",
        ),
    )
    assert response.status_code == 302
    assert count(session, Notification) == before + 3
    update = session.scalars(select(Notification).order_by(Notification.id.desc())).first()  # type: ignore[union-attr]
    calendar = Calendar.from_ical(update.ics)  # type: ignore[union-attr]
    (event,) = calendar.walk("VEVENT")
    assert calendar["METHOD"] == "REQUEST" and event["SEQUENCE"] == 1

    response = client.post(
        url + "/participants",
        data=form_data(client, url + "/participants", agencies=[str(district.school.id)]),
    )
    assert response.status_code == 302
    response = client.post(url + "/cancel", data=form_data(client, url + "/cancel"))
    assert response.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "Отменена" in page or "отменена" in page
    for label in ("Запланирована", "Перенесена", "Участники изменены", "Отменена"):
        assert label in page, label  # the history
    assert "14:00" in page and "добавлены: Школа № 1" in page and "исключены: Отдел полиции" in page
    assert [e for e in session.scalars(select(AuditEvent.action))][-1] == "meeting.cancelled"


def test_bad_changes_are_answered_at_the_field_with_400_and_nothing_written(
    client: FlaskClient, district: District, session: Session, settings: Settings
) -> None:
    meeting = schedule(session, settings, district).meeting
    session.commit()
    url = f"/meetings/{meeting.id}"
    login(client, district.coordinator.email)
    before = count(session, Notification)
    battery = [
        (
            "/reschedule",
            {"date": "2020-01-01", "start_time": "10:00", "end_time": "11:00"},
            "date-error",
        ),
        (
            "/reschedule",
            {"date": "31.02.2026", "start_time": "10:00", "end_time": "11:00"},
            "date-error",
        ),
        (
            "/reschedule",
            {"date": in_days(5).date().isoformat(), "start_time": "12:00", "end_time": "11:00"},
            "end_time-error",
        ),
        (
            "/reschedule",
            {"date": in_days(5).date().isoformat(), "start_time": "x", "end_time": ""},
            "start_time-error",
        ),
        (
            "/reschedule",
            {
                "date": in_days(5).date().isoformat(),
                "start_time": "10:00",
                "end_time": "11:00",
                "location": "x" * 301,
            },
            "location-error",
        ),
        ("/participants", {"agencies": ["999999"]}, "error"),
        ("/participants", {"agencies": ["abc"]}, "error"),
    ]
    for path, values, marker in battery:
        response = client.post(url + path, data=form_data(client, url + path, **values))
        assert response.status_code == 400, (path, values)
        assert marker in response.get_data(as_text=True), (path, values)
    assert client.post(url + "/cancel", data={}).status_code == 400  # no CSRF token
    assert client.post(url + "/sittings/move", data=form_data(client, url)).status_code in (
        400,
        404,
    )
    assert count(session, Notification) == before
    session.expire_all()
    assert session.get(Meeting, meeting.id).sequence == 0  # type: ignore[union-attr]


def test_an_invitation_is_answered_from_its_link_without_signing_in(
    app: Flask, client: FlaskClient, district: District, session: Session, settings: Settings
) -> None:
    meeting = schedule(session, settings, district).meeting
    session.commit()
    email = session.scalars(
        select(Notification).where(Notification.recipient == district.inspector.email)
    ).one()
    link = re.search(r"http://birge\.test(/respond/\S+)", email.body.split("Не смогу")[1]).group(1)  # type: ignore[union-attr]
    page = client.get(link)
    assert page.status_code == 200 and count(session, MeetingResponse) == 0  # a GET changes nothing
    for _ in range(2):  # twice is once
        response = client.post(link, data={"csrf_token": csrf_token(page.get_data(as_text=True))})
        assert response.status_code == 200
        assert "записан" in response.get_data(as_text=True)
    answers = session.scalars(select(MeetingResponse)).all()
    assert [(a.user_id, a.answer) for a in answers] == [(district.inspector.id, "declined")]
    tampered = client.get(link[:-3] + "abc")
    assert tampered.status_code == 400 and "недействительна" in tampered.get_data(as_text=True)
    assert client.get("/respond/x").status_code == 400

    login(client, district.coordinator.email)
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "Отдел полиции" in page and "Не смогу" in page
    del app


def test_the_organizer_sees_a_declined_agency_flagged(
    client: FlaskClient, district: District, session: Session, settings: Settings
) -> None:
    meeting = schedule(session, settings, district).meeting
    for person in (district.inspector, district.police_head):
        token = rsvp_links(settings, meeting, person)[Answer.DECLINED]
        del token
        session.add(
            MeetingResponse(
                meeting_id=meeting.id,
                user_id=person.id,
                agency_id=person.agency_id,
                answer="declined",
            )
        )  # type: ignore[arg-type]
    session.commit()
    login(client, district.coordinator.email)
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "Ведомство отказалось" in page


def test_a_council_series_is_scheduled_and_one_sitting_moved_in_the_portal(
    client: FlaskClient, district: District, session: Session
) -> None:
    login(client, district.pedagogue.email)
    day = in_days(8).date()
    response = client.post(
        "/meetings/new",
        data=new_meeting(
            client,
            district,
            kind="prevention_council",
            title="Совет профилактики",
            case_code="",
            date=day.isoformat(),
            start_time="15:00",
            end_time="16:00",
            repeat="monthly",
            school=str(district.school.id),
        ),
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    meeting = session.scalars(select(Meeting)).one()
    assert meeting.rrule and meeting.rrule.startswith("FREQ=MONTHLY;BYDAY=")
    series = client.get(f"/meetings/{meeting.id}/series").get_data(as_text=True)
    original = re.search(
        r'name="s2-original"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="s2-original"', series
    )
    assert original
    value = original.group(1) or original.group(2)
    moved_day = (meeting.starts_at + timedelta(days=36)).date().isoformat()
    data = {
        "csrf_token": csrf_token(series),
        "s2-csrf_token": csrf_token(series),
        "sitting": "s2",
        "s2-original": value,
        "s2-date": moved_day,
        "s2-start_time": "11:00",
        "s2-end_time": "12:00",
    }
    response = client.post(f"/meetings/{meeting.id}/sittings/move", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    assert count(session, Sitting) == 1
    page = client.get(f"/meetings/{meeting.id}/series").get_data(as_text=True)
    assert ">moved<" in page  # the pedagogue reads English
    bad = dict(data, **{"s2-date": "2020-01-01"})
    assert client.post(f"/meetings/{meeting.id}/sittings/move", data=bad).status_code == 400
    bad_rule = new_meeting(
        client, district, kind="prevention_council", title="Совет", case_code="",
        repeat="rule", rrule="FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", school=str(district.school.id),
    )  # fmt: skip
    response = client.post("/meetings/new", data=bad_rule)
    assert response.status_code == 400 and "rrule-error" in response.get_data(as_text=True)


def test_a_held_joint_inspection_gets_its_act_and_bad_values_stay_at_their_fields(
    client: FlaskClient, district: District, session: Session, settings: Settings
) -> None:
    began = datetime.now(UTC) - timedelta(hours=2)
    held = {"starts_at": began, "ends_at": began + timedelta(hours=1)}
    meeting = schedule(session, settings, district, now=began - timedelta(days=1), **held).meeting
    future = schedule(session, settings, district).meeting
    session.commit()
    url = f"/meetings/{meeting.id}/outcome"
    login(client, district.coordinator.email)
    assert "/outcome" in client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    today = datetime.now(settings.zone).date()
    for values, marker in [
        ({"act_number": "", "act_date": today.isoformat()}, "act_number-error"),
        ({"act_number": "x" * 51, "act_date": today.isoformat()}, "act_number-error"),
        ({"act_number": "17", "act_date": "2020-01-01"}, "act_date-error"),
        ({"act_number": "17", "act_date": "nonsense"}, "act_date-error"),
        ({"act_number": "17", "act_date": today.isoformat(), "note": "x" * 1001}, "note-error"),
    ]:
        response = client.post(url, data=form_data(client, url, **values))
        assert response.status_code == 400 and marker in response.get_data(as_text=True), values
    session.expire_all()
    assert session.get(Meeting, meeting.id).act_number is None  # type: ignore[union-attr]
    response = client.post(
        url,
        data=form_data(
            client, url, act_number="А-17", act_date=today.isoformat(), note="Акт подписан"
        ),
    )
    assert response.status_code == 302
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "А-17" in page and "Акт подписан" in page and "Результат обследования записан" in page
    not_yet = client.post(
        f"/meetings/{future.id}/outcome",
        data=form_data(
            client, f"/meetings/{future.id}/outcome", act_number="1", act_date=today.isoformat()
        ),
    )
    assert not_yet.status_code == 400
    notes = session.scalars(select(Notification.body)).all()
    assert not any("Акт подписан" in body for body in notes)  # the note never leaves the portal


def test_bad_input_to_the_series_and_answer_pages_is_a_400_and_writes_nothing(
    client: FlaskClient, district: District, session: Session, settings: Settings
) -> None:
    meeting = council(session, settings, district)
    single = schedule(session, settings, district).meeting
    session.commit()

    def state() -> tuple[int, ...]:
        meeting_events = select(func.count()).where(AuditEvent.object_type == "meeting")
        return (
            count(session, Notification),
            count(session, Sitting),
            session.scalar(meeting_events) or 0,
        )

    before = state()
    login(client, district.pedagogue.email)
    series_url = f"/meetings/{meeting.id}/series"
    token = {"csrf_token": csrf_token(client.get(series_url).get_data(as_text=True))}
    battery = [
        ("/sittings/move", {"sitting": "s1", "s1-original": "nonsense"}),
        ("/sittings/move", {"sitting": "../x", "original": "2020-01-01T10:00:00+00:00"}),
        ("/sittings/move", {"sitting": "s1", "s1-original": "2020-01-01T10:00:00+00:00",
                            "s1-date": "2030-01-01", "s1-start_time": "10:00"}),
        ("/sittings/cancel", {"original": "2031-02-30T10:00:00"}),
        ("/sittings/cancel", {"original": "2031-01-01T10:00:00+00:00"}),  # not a sitting
        ("/series/end", {"date": "2020-01-01"}),
        ("/series/end", {"date": "not a date"}),
    ]  # fmt: skip
    for path, values in battery:
        response = client.post(f"/meetings/{meeting.id}{path}", data=token | values)
        assert response.status_code == 400, (path, values)
        assert "error" in response.get_data(as_text=True), (path, values)
    assert client.post(f"/meetings/{single.id}/sittings/cancel", data=token).status_code == 404
    logout(client)
    login(client, district.inspector.email)  # sees the series, may not change it
    token = {"csrf_token": csrf_token(client.get(series_url).get_data(as_text=True))}
    assert client.post(f"/meetings/{meeting.id}/series/end", data=token).status_code == 403
    page = client.get(series_url).get_data(as_text=True)
    assert "/sittings/move" not in page
    assert client.post(f"/meetings/{meeting.id}/answer/maybe", data=token).status_code == 404
    assert client.post(f"/meetings/{meeting.id}/answer/accepted", data={}).status_code == 400
    logout(client)
    client.get("/login")
    link = rsvp_links(settings, meeting, district.inspector)[Answer.ACCEPTED].split("birge.test")[1]
    assert client.post(link, data={}).status_code == 400  # no CSRF token: nothing recorded
    assert state() == before and count(session, MeetingResponse) == 0
