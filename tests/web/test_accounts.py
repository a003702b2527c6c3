"""A person's own account: the interface language, the email language, the password."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlmodel import Session

from models.core.audit import AuditEvent
from models.core.settings import Settings
from models.outbox.notifications import Notification
from models.people.tables import User
from tests.factories import PASSWORD, District, csrf_token, login, schedule


def test_the_language_chosen_on_the_sign_in_page_survives_signing_in(
    client: FlaskClient, district: District
) -> None:
    page = client.get("/login").get_data(as_text=True)
    client.post("/locale", data={"locale": "kk", "next": "/login", "csrf_token": csrf_token(page)})
    assert 'lang="kk"' in client.get("/login").get_data(as_text=True)
    login(client, district.coordinator.email)  # a Russian speaker by profile
    home = client.get("/").get_data(as_text=True)
    assert 'lang="kk"' in home and "Алдағы кездесулер" in home


def test_the_email_language_is_a_profile_setting_of_its_own(
    client: FlaskClient, district: District, session: Session, settings: Settings
) -> None:
    login(client, district.coordinator.email)
    page = client.get("/account").get_data(as_text=True)
    assert "Язык моих писем" in page and '<option selected value="ru">' in page
    client.post("/locale", data={"locale": "en", "next": "/", "csrf_token": csrf_token(page)})
    response = client.post("/account", data={"email_locale": "kk", "csrf_token": csrf_token(page)})
    assert response.status_code == 302
    assert 'lang="en"' in client.get("/account").get_data(as_text=True)  # the page stays English
    session.expire_all()
    assert session.get(User, district.coordinator.id).locale == "kk"  # type: ignore[union-attr]
    # ... and the next invitation to this person is written in Kazakh.
    scheduled = schedule(session, settings, district)
    mail = next(n for n in scheduled.notifications if n.recipient == district.coordinator.email)
    assert mail.locale == "kk" and mail.subject.startswith("Шақыру")
    assert session.scalars(
        select(AuditEvent).where(AuditEvent.action == "user.email_language")
    ).one()


def test_an_unknown_email_language_is_refused_and_nothing_changes(
    client: FlaskClient, district: District, session: Session
) -> None:
    login(client, district.coordinator.email)
    page = client.get("/account").get_data(as_text=True)
    response = client.post("/account", data={"email_locale": "de", "csrf_token": csrf_token(page)})
    assert response.status_code == 400 and 'role="alert"' in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(User, district.coordinator.id).locale == "ru"  # type: ignore[union-attr]


def test_the_forgotten_password_form_says_the_same_for_unknown_addresses(
    client: FlaskClient, district: District, session: Session
) -> None:
    page = client.get("/password/forgot").get_data(as_text=True)
    for email in ("nobody@nowhere.test", district.retired.email):
        response = client.post(
            "/password/forgot", data={"email": email, "csrf_token": csrf_token(page)}
        )
        assert response.status_code == 302 and response.location == "/login"
    assert "Если с этим адресом связана учётная запись" in client.get("/login").get_data(
        as_text=True
    )

    assert session.scalars(select(Notification)).all() == []  # nobody to write to
    assert PASSWORD  # the factories' password stays the one to sign in with
