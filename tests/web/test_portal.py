from __future__ import annotations

import json

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlmodel import Session

from models.core.settings import Settings
from models.meetings.tables import Meeting
from models.outbox.notifications import Notification
from models.people.tables import User
from tests.factories import PASSWORD, District, csrf_token, in_days, login, logout, schedule
from web.context import runtime


def meeting_form(client: FlaskClient, district: District, **over: object) -> dict[str, object]:
    page = client.get("/meetings/new").get_data(as_text=True)
    day = in_days(5).date()
    data: dict[str, object] = {
        "csrf_token": csrf_token(page),
        "kind": "case_conference",
        "title": "Индивидуальный план работы",
        "date": day.isoformat(),
        "start_time": "10:00",
        "end_time": "11:30",
        "location": "Отдел образования, зал заседаний",
        "case_code": "D-2026-0042",
        "agencies": [str(district.police.id), str(district.school.id)],
    }
    data.update(over)
    return data


def test_login_page_speaks_russian_by_default(client: FlaskClient, district: District) -> None:
    page = client.get("/login").get_data(as_text=True)
    assert 'lang="ru"' in page and "Войти" in page


def test_signing_in_and_out(client: FlaskClient, district: District) -> None:
    assert client.get("/").status_code == 302
    assert "Войдите, чтобы открыть" in client.get("/login").get_data(as_text=True)
    response = login(client, district.coordinator.email)
    assert response.status_code == 302 and response.location == "/"
    assert "Предстоящие" in client.get("/").get_data(as_text=True)
    logout(client)
    assert client.get("/").status_code == 302


def test_wrong_password_and_inactive_users_are_refused(
    client: FlaskClient, district: District
) -> None:
    response = login(client, district.coordinator.email, "not the password")
    assert response.status_code == 400
    assert "Неверная" in response.get_data(as_text=True)
    assert login(client, district.retired.email).status_code == 400


def test_forms_without_csrf_token_are_rejected(client: FlaskClient, district: District) -> None:
    """The right password signs in with the page's token and is refused without it: the refusal
    is the token's doing, not the password's."""
    right = {"email": district.coordinator.email, "password": PASSWORD}
    assert client.post("/login", data=right).status_code == 400
    assert client.post("/login", data=right | {"csrf_token": "forged"}).status_code == 400
    assert client.get("/").status_code == 302  # still signed out
    page = client.get("/login").get_data(as_text=True)
    response = client.post("/login", data=right | {"csrf_token": csrf_token(page)})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_login_does_not_redirect_off_site(client: FlaskClient, district: District) -> None:
    page = client.get("/login").get_data(as_text=True)
    response = client.post(
        "/login?next=//evil.example/",
        data={
            "email": district.coordinator.email,
            "password": "correct horse battery",
            "csrf_token": csrf_token(page),
        },
    )
    assert response.location == "/"


def test_scheduling_through_the_form_invites_and_nudges_the_workers(
    app: Flask, client: FlaskClient, district: District, session: Session
) -> None:
    login(client, district.coordinator.email)
    response = client.post("/meetings/new", data=meeting_form(client, district))
    assert response.status_code == 302
    meeting = session.scalars(select(Meeting)).one()
    assert response.location == f"/meetings/{meeting.id}"
    assert meeting.starts_at.hour == 5  # 10:00 in Almaty is 05:00 UTC
    notifications = session.scalar(select(func.count()).select_from(Notification))
    assert notifications == 4
    queue = runtime(app).broker.queues[runtime(app).settings.queue_name]  # type: ignore[attr-defined]
    (nudge,) = [json.loads(body)["args"][0] for body in list(queue.queue)]  # one message
    assert sorted(nudge) == sorted(session.scalars(select(Notification.id)))  # for all four
    page = client.get(response.location).get_data(as_text=True)
    assert "D-2026-0042" in page and "Кейс-конференция" in page


def test_bad_input_is_answered_with_a_clear_message_and_nothing_is_saved(
    client: FlaskClient, district: District, session: Session
) -> None:
    login(client, district.coordinator.email)
    cases = [
        ({"end_time": "09:00"}, "Время окончания встречи должно быть позже"),
        ({"case_code": "42"}, "D-2026-0042"),
        ({"case_code": ""}, "код"),
        ({"title": ""}, "Обязательное поле"),
        ({"date": "2020-01-01"}, "прошедшее время"),
        ({"date": "31.02.2026"}, "Неверное значение даты"),
    ]
    for over, message in cases:
        response = client.post("/meetings/new", data=meeting_form(client, district, **over))
        assert response.status_code == 400, over
        assert message in response.get_data(as_text=True), over
    assert session.scalars(select(Meeting)).first() is None


def test_members_cannot_schedule(client: FlaskClient, district: District) -> None:
    login(client, district.inspector.email)
    assert client.get("/meetings/new").status_code == 403
    assert "Запланировать" not in client.get("/").get_data(as_text=True)


def test_agencies_see_only_their_meetings(
    client: FlaskClient, district: District, session: Session, settings: Settings
) -> None:
    scheduled = schedule(session, settings, district)
    session.commit()
    login(client, district.pedagogue.email)  # the school is not invited
    assert "Обследование" not in client.get("/").get_data(as_text=True)
    assert client.get(f"/meetings/{scheduled.meeting.id}").status_code == 404
    logout(client)
    login(client, district.chair.email)  # the chair sees the district
    assert client.get(f"/meetings/{scheduled.meeting.id}").status_code == 200


def test_language_switch_changes_the_page_but_not_the_users_email_language(
    client: FlaskClient, district: District, session: Session
) -> None:
    login(client, district.coordinator.email)
    page = client.get("/").get_data(as_text=True)
    client.post("/locale", data={"locale": "kk", "next": "/", "csrf_token": csrf_token(page)})
    page = client.get("/").get_data(as_text=True)
    assert 'lang="kk"' in page and "Алдағы" in page
    session.expire_all()
    # The email language is a profile setting of its own (new-user defect 6).
    assert session.get(User, district.coordinator.id).locale == "ru"  # type: ignore[union-attr]
    client.post("/locale", data={"locale": "en", "next": "/", "csrf_token": csrf_token(page)})
    assert "Upcoming meetings" in client.get("/").get_data(as_text=True)


def test_times_are_shown_in_almaty(
    client: FlaskClient, district: District, session: Session, settings: Settings
) -> None:
    schedule(session, settings, district, starts_at=in_days(2, hour=4), ends_at=in_days(2, hour=5))
    session.commit()
    login(client, district.coordinator.email)
    assert "09:00–10:00" in client.get("/").get_data(as_text=True)
