"""Defects 1-5 and 10 of issue 10: bad input is refused with a message, never a 500."""

from __future__ import annotations

from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlmodel import Session

from models.core.audit import AuditEvent
from models.core.settings import Settings
from models.meetings.tables import Meeting
from models.outbox.notifications import Notification
from models.overview.feed import agency_feed
from models.people.tables import User
from tests.factories import PASSWORD, District, csrf_token, in_days, login, schedule
from tests.web.test_portal import meeting_form


def test_an_oversize_body_is_a_413_with_the_security_headers(
    client: FlaskClient, district: District
) -> None:
    login(client, district.coordinator.email)
    data = meeting_form(client, district, title="x" * (2 * 1024 * 1024))
    response = client.post("/meetings/new", data=data)
    assert response.status_code == 413
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "слишком" in response.get_data(as_text=True)


def test_dates_outside_2000_2100_are_refused_at_the_field(
    client: FlaskClient, district: District, session: Session
) -> None:
    login(client, district.coordinator.email)
    for day in ("9999-12-30", "0001-01-01", "2101-01-01"):
        data = meeting_form(client, district, date=day, start_time="00:00", end_time="01:00")
        response = client.post("/meetings/new", data=data)
        assert response.status_code == 400, day
        assert "между 2000 и 2100" in response.get_data(as_text=True), day
    assert session.scalars(select(Meeting)).first() is None


def test_ids_beyond_the_database_integer_are_not_found(
    client: FlaskClient, district: District
) -> None:
    login(client, district.chair.email)
    for meeting_id in ("9223372036854775808", "99999999999999999999999", "0"):
        response = client.get(f"/meetings/{meeting_id}")
        assert response.status_code == 404, meeting_id
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_next_with_control_characters_falls_back_before_anything_happens(
    client: FlaskClient, district: District, session: Session
) -> None:
    page = client.get("/login").get_data(as_text=True)
    response = client.post(
        "/login?next=/%0d%0aX:1",
        data={
            "email": district.coordinator.email,
            "password": PASSWORD,
            "csrf_token": csrf_token(page),
        },
    )
    assert response.status_code == 302 and response.location == "/"
    assert "X" not in response.headers
    page = client.get("/").get_data(as_text=True)
    response = client.post(
        "/locale", data={"locale": "kk", "next": "/\r\nX: 1", "csrf_token": csrf_token(page)}
    )
    assert response.status_code == 302 and response.location == "/"
    assert 'lang="kk"' in client.get("/").get_data(as_text=True)  # the switch took effect


def test_control_characters_are_refused_and_bidi_overrides_kept_out_of_mail_and_feeds(
    client: FlaskClient,
    district: District,
    session: Session,
    settings: Settings,
) -> None:
    login(client, district.coordinator.email)
    for over in ({"title": "План\x00работы"}, {"location": "Зал\x1b[31m"}, {"title": "a\x85b"}):
        response = client.post("/meetings/new", data=meeting_form(client, district, **over))
        assert response.status_code == 400, over
        assert "недопустимые символы" in response.get_data(as_text=True), over
    assert session.scalars(select(Meeting)).first() is None

    scheduled = schedule(
        session,
        settings,
        district,
        title="Обследование \u202eвоскресенье\u202c",
        location="Зал\u2066 2\u2069",
        starts_at=in_days(4),
        ends_at=in_days(4) + timedelta(hours=1),
    )
    session.commit()
    notification = session.get(Notification, scheduled.notification_ids[0])
    assert notification is not None
    outgoing = notification.subject + notification.body + (notification.ics or "")
    for mark in ("\u202e", "\u202c", "\u2066", "\u2069"):
        assert mark not in outgoing
    assert "Обследование воскресенье" in notification.body

    feed = agency_feed(session, settings, district.police).decode().replace("\r\n ", "")
    assert "Обследование воскресенье" in feed and "\u202e" not in feed


def test_form_messages_speak_the_page_language_and_unknown_locales_are_refused(
    client: FlaskClient, district: District, session: Session
) -> None:
    login(client, district.coordinator.email)
    bad_choices = {"kind": "10", "agencies": ["999"]}
    response = client.post("/meetings/new", data=meeting_form(client, district, **bad_choices))
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "Неверный вариант" in text and "недопустимый вариант для этого поля" in text
    assert "not a valid choice" not in text
    page = client.get("/").get_data(as_text=True)
    client.post("/locale", data={"locale": "kk", "next": "/", "csrf_token": csrf_token(page)})
    response = client.post("/meetings/new", data=meeting_form(client, district, **bad_choices))
    assert "бұл өріс үшін жарамды таңдау емес" in response.get_data(as_text=True)
    page = client.get("/").get_data(as_text=True)
    audits = session.scalars(select(AuditEvent)).all()
    response = client.post(
        "/locale", data={"locale": "xx", "next": "/", "csrf_token": csrf_token(page)}
    )
    assert response.status_code == 400
    assert "Бұл тіл қолжетімсіз" in response.get_data(as_text=True)
    # The refused switch changed nothing: the page stays Kazakh, the email language Russian.
    assert 'lang="kk"' in client.get("/").get_data(as_text=True)
    session.expire_all()
    assert session.get(User, district.coordinator.id).locale == "ru"  # type: ignore[union-attr]
    assert len(session.scalars(select(AuditEvent)).all()) == len(audits)
