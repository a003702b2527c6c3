"""Changing a password, resetting a forgotten one by email, deactivating an account: each
ends the sessions it must, through the outbox where it writes."""

from __future__ import annotations

import re
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlmodel import Session

from models.core.base import utcnow
from models.core.settings import Settings
from models.outbox.notifications import Notification
from models.people.passwords import PasswordReset, answer_reset_requests
from models.people.tables import User
from tests.factories import PASSWORD, District, csrf_token, login, make_user

NEW = "a much better passphrase"


def signed_in(client: FlaskClient) -> bool:
    return client.get("/").status_code == 200


def test_changing_the_password_signs_out_everywhere_else(
    app: Flask, client: FlaskClient, district: District, session: Session
) -> None:
    other = app.test_client()  # the same person on a second device
    login(other, district.inspector.email)
    login(client, district.inspector.email)
    page = client.get("/account").get_data(as_text=True)
    for bad, message in (
        ({"current": "not it"}, "Текущий пароль неверен."),
        ({"new": "short", "repeat": "short"}, "Пароль должен содержать не меньше 10 символов."),
        ({"repeat": "something else entirely"}, "Пароли не совпадают."),
        (
            {"new": district.inspector.email, "repeat": district.inspector.email},
            "Пароль не должен совпадать с адресом почты.",
        ),
    ):
        data = {"csrf_token": csrf_token(page), "current": PASSWORD, "new": NEW, "repeat": NEW}
        response = client.post("/account/password", data=data | bad)
        assert response.status_code == 400, bad
        assert message in response.get_data(as_text=True), bad
    session.expire_all()
    assert session.get(User, district.inspector.id).check_password(PASSWORD)  # type: ignore[union-attr]
    assert signed_in(other)

    response = client.post(
        "/account/password",
        data={"csrf_token": csrf_token(page), "current": PASSWORD, "new": NEW, "repeat": NEW},
    )
    assert response.status_code == 302
    assert signed_in(client)  # this browser stays
    assert not signed_in(other)  # the other device is signed out
    session.expire_all()
    assert session.get(User, district.inspector.id).check_password(NEW)  # type: ignore[union-attr]


def reset_link(session: Session, email: str) -> str:
    session.expire_all()
    mail = session.scalars(select(Notification).where(Notification.recipient == email)).one()
    match = re.search(r"http://birge\.test(/password/reset/\S+)", mail.body)
    assert match, mail.body
    return match.group(1)


def test_a_forgotten_password_is_reset_once_through_the_emailed_link(
    app: Flask, client: FlaskClient, district: District, session: Session, settings: Settings
) -> None:
    elsewhere = app.test_client()
    login(elsewhere, district.police_head.email)
    page = client.get("/password/forgot").get_data(as_text=True)
    client.post(
        "/password/forgot",
        data={"email": district.police_head.email.upper(), "csrf_token": csrf_token(page)},
    )
    answer_reset_requests(session, settings, now=utcnow())  # what the worker does
    session.commit()
    mail = session.scalars(select(Notification)).one()
    assert mail.locale == "kk" and mail.subject == "Birge құпиясөзін қалпына келтіру"
    path = reset_link(session, district.police_head.email)
    form = client.get(path)
    assert form.status_code == 200
    short = client.post(
        path,
        data={"csrf_token": csrf_token(form.get_data(as_text=True)), "new": "x", "repeat": "x"},
    )
    assert short.status_code == 400
    done = client.post(
        path,
        data={"csrf_token": csrf_token(form.get_data(as_text=True)), "new": NEW, "repeat": NEW},
    )
    assert done.status_code == 302 and done.location == "/login"
    assert not signed_in(elsewhere)
    again = client.get(path)
    assert again.status_code == 404 and "Запросите новую" in again.get_data(as_text=True)
    assert login(client, district.police_head.email, NEW).status_code == 302


def test_an_expired_or_tampered_link_is_a_clear_page(
    client: FlaskClient, district: District, session: Session, settings: Settings
) -> None:
    page = client.get("/password/forgot").get_data(as_text=True)
    client.post(
        "/password/forgot", data={"email": district.inspector.email, "csrf_token": csrf_token(page)}
    )
    answer_reset_requests(session, settings, now=utcnow())
    session.commit()
    path = reset_link(session, district.inspector.email)
    assert client.get(path + "x").status_code == 404
    assert client.get("/password/reset/" + "a" * 500).status_code == 404
    reset = session.scalars(select(PasswordReset)).one()
    reset.expires_at = utcnow() - timedelta(minutes=1)
    session.add(reset)
    session.commit()
    expired = client.get(path)
    assert expired.status_code == 404 and "истёк" in expired.get_data(as_text=True)


def test_deactivating_an_account_signs_it_out_at_once(
    app: Flask, client: FlaskClient, district: District, session: Session
) -> None:
    admin = make_user(session, district.akimat, "admin@akimat.test", "admin")
    session.commit()
    inspector = app.test_client()
    login(inspector, district.inspector.email)
    assert signed_in(inspector)
    login(client, admin.email)
    form = client.get(f"/admin/users/{district.inspector.id}").get_data(as_text=True)
    response = client.post(
        f"/admin/users/{district.inspector.id}",
        data={
            "csrf_token": csrf_token(form),
            "full_name": district.inspector.full_name,
            "email": district.inspector.email,
            "agency_id": str(district.police.id),
            "role": "member",
            "locale": "ru",
        },  # "active" unticked
    )
    assert response.status_code == 302
    assert not signed_in(inspector)
    assert login(inspector, district.inspector.email).status_code == 400
    # Nobody locks themselves out.
    own = client.get(f"/admin/users/{admin.id}").get_data(as_text=True)
    refused = client.post(
        f"/admin/users/{admin.id}",
        data={
            "csrf_token": csrf_token(own),
            "full_name": "Admin",
            "email": admin.email,
            "agency_id": str(district.akimat.id),
            "role": "admin",
            "locale": "ru",
        },
    )
    assert refused.status_code == 400 and "Нельзя отключить себя" in refused.get_data(as_text=True)
