"""A person's own account: the interface language, the email language, the password."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy import event, select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col
from werkzeug.test import TestResponse

from models.core.audit import AuditEvent
from models.core.base import utcnow
from models.core.settings import Settings
from models.outbox.notifications import Notification
from models.people.passwords import PasswordResetRequest, answer_reset_requests
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
    client: FlaskClient,
    district: District,
    session: Session,
    settings: Settings,
    engine: Engine,
) -> None:
    """An active account, an unknown address, a deactivated account: the same answer, from
    the same statements (nothing on the request path looks the address up, so its time
    cannot tell either); only the worker that answers the requests writes a link, to the
    active account alone."""
    page = client.get("/password/forgot").get_data(as_text=True)

    def ask(email: str) -> tuple[int, str | None, str, list[str]]:
        statements: list[str] = []

        def seen(*args: object) -> None:
            statements.append(str(args[2]))

        event.listen(engine, "before_cursor_execute", seen)
        try:
            response = client.post(
                "/password/forgot", data={"email": email, "csrf_token": csrf_token(page)}
            )
        finally:
            event.remove(engine, "before_cursor_execute", seen)
        answer = re.sub(  # the per-response nonce and token aside
            r'(nonce|content|value)="[\w.-]{16,}"', "", client.get("/login").get_data(as_text=True)
        )
        return response.status_code, response.location, answer, statements

    ask("warm-up@nowhere.test")  # the client's own counter is written once
    known, unknown, retired = (
        ask(email)
        for email in (district.police_head.email, "nobody@nowhere.test", district.retired.email)
    )
    assert known[:2] == (302, "/login")
    assert "Если с этим адресом связана учётная запись" in known[2]
    assert known == unknown == retired
    assert "user_account" not in " ".join(known[3])  # nobody was looked up
    assert session.scalars(select(Notification)).all() == []  # nothing written yet

    emails = answer_reset_requests(session, settings, now=utcnow())
    session.commit()
    assert [n.recipient for n in emails] == [district.police_head.email]
    assert session.scalars(select(PasswordResetRequest)).all() == []
    assert PASSWORD  # the factories' password stays the one to sign in with


def test_reset_requests_are_throttled_per_address_and_per_client(
    client: FlaskClient, district: District, session: Session, settings: Settings
) -> None:
    page = client.get("/password/forgot").get_data(as_text=True)

    def ask(email: str, client_address: str) -> TestResponse:
        return client.post(
            "/password/forgot",
            data={"email": email, "csrf_token": csrf_token(page)},
            environ_base={"REMOTE_ADDR": client_address},
        )

    # One address, asked for again and again from different clients: three links an hour.
    statuses = [ask(district.inspector.email, f"10.0.1.{n}").status_code for n in range(5)]
    assert statuses == [302, 302, 302, 429, 429]
    refused = ask(district.inspector.email, "10.0.1.9")
    assert "Слишком много запросов нового пароля" in refused.get_data(as_text=True)
    assert 14 * 60 <= int(refused.headers["Retry-After"]) <= 15 * 60
    # An unknown address is throttled the same: being throttled tells nothing either.
    statuses = [ask("nobody@nowhere.test", f"10.0.2.{n}").status_code for n in range(4)]
    assert statuses == [302, 302, 302, 429]
    # One client asking for many addresses: ten requests an hour, then a pause.
    statuses = [ask(f"guess{n}@nowhere.test", "10.0.3.1").status_code for n in range(11)]
    assert statuses == [302] * 10 + [429]
    assert ask(district.coordinator.email, "10.0.3.2").status_code == 302  # another client

    emails = answer_reset_requests(session, settings, now=utcnow())
    assert sorted(n.recipient for n in emails) == sorted(
        {district.inspector.email, district.coordinator.email}
    )  # one link per address however often it asked
    locked = session.scalars(
        select(AuditEvent).where(col(AuditEvent.action) == "password_reset.throttled")
    ).all()
    assert locked and all(e.detail and "email" not in e.detail for e in locked)
