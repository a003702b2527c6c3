"""Defects 6-8 of issue 10: revocable server-side sessions, throttling, same hash work."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update
from sqlmodel import Session, col

import models.people.tables
from models.core.audit import AuditEvent
from models.core.base import utcnow
from models.core.settings import Settings
from models.people.accounts import AccountError, change_password
from models.people.sessions import UserSession
from models.people.throttle import SIGN_IN, locked_until, record_attempt
from tests.factories import PASSWORD, District, csrf_token, login, logout, make_user
from web import create_app
from workers.runtime import Runtime, build_runtime


def saved_cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def restore(client: FlaskClient, value: str) -> None:
    client.set_cookie("session", value)


def test_a_cookie_saved_before_sign_out_opens_nothing_afterwards(
    client: FlaskClient, district: District, session: Session
) -> None:
    login(client, district.coordinator.email)
    saved = saved_cookie(client)
    assert client.get("/").status_code == 200
    logout(client)
    restore(client, saved)
    assert client.get("/").status_code == 302
    assert client.get("/meetings/new").status_code == 302
    ended = session.scalars(select(UserSession)).one()
    assert ended.end_reason == "sign_out" and ended.ended_at is not None
    assert len(ended.token_hash) == 64 and ended.token_hash not in saved


def test_a_password_change_ends_the_other_sessions_only(
    app: Flask, district: District, session: Session
) -> None:
    phone, laptop = app.test_client(), app.test_client()
    login(phone, district.coordinator.email)
    login(laptop, district.coordinator.email)
    with laptop.session_transaction() as flask_session:
        laptop_token = flask_session["birge_session"]
    user = district.coordinator
    with pytest.raises(AccountError):
        change_password(session, user, current_password="wrong", new_password="x" * 12)
    ended = change_password(
        session,
        user,
        current_password=PASSWORD,
        new_password="a new long passphrase",
        keep_session=laptop_token,
    )
    session.commit()
    assert ended == 1
    assert phone.get("/").status_code == 302
    assert laptop.get("/").status_code == 200


def test_deactivation_and_sign_out_everywhere_end_sessions(
    app: Flask, district: District, session: Session
) -> None:
    inspector, admin = app.test_client(), app.test_client()
    login(inspector, district.inspector.email)
    assert inspector.get("/").status_code == 200

    make_user(session, district.akimat, "admin@akimat.test", "admin")
    session.commit()
    login(admin, "admin@akimat.test")
    page = admin.get("/").get_data(as_text=True)
    url = f"/users/{district.inspector.id}/sign-out-everywhere"
    assert inspector.post(url, data={"csrf_token": csrf_token(page)}).status_code in (400, 403)
    response = admin.post(url, data={"csrf_token": csrf_token(page), "next": "/"})
    assert response.status_code == 302
    assert inspector.get("/").status_code == 302
    event = session.scalars(
        select(AuditEvent).where(col(AuditEvent.action) == "user.sessions_ended")
    ).one()
    assert event.object_id == district.inspector.id and "signed_out_everywhere" in event.detail

    login(inspector, district.inspector.email)
    assert inspector.get("/").status_code == 200
    district.inspector.active = False
    session.add(district.inspector)
    session.commit()
    assert inspector.get("/").status_code == 302


def test_idle_sessions_expire_after_the_configured_time(
    make_settings: Callable[..., Settings], database_url: str, district: District, session: Session
) -> None:
    settings = make_settings(database_url, BIRGE_SESSION_IDLE_MINUTES="30")
    rt = build_runtime(settings)
    app = create_app(settings, runtime=rt)
    client = app.test_client()
    login(client, district.coordinator.email)
    assert client.get("/").status_code == 200
    session.execute(update(UserSession).values(last_seen_at=utcnow() - timedelta(minutes=29)))
    session.commit()
    assert client.get("/").status_code == 200
    session.execute(update(UserSession).values(last_seen_at=utcnow() - timedelta(minutes=31)))
    session.commit()
    assert client.get("/").status_code == 302
    assert session.scalars(select(UserSession)).one().end_reason == "idle"
    rt.broker.close()
    rt.engine.dispose()


def test_the_cookie_is_secure_when_the_portal_is_served_over_https(
    make_settings: Callable[..., Settings], database_url: str, district: District
) -> None:
    settings = make_settings(database_url, BIRGE_BASE_URL="https://birge.example.kz")
    rt: Runtime = build_runtime(settings)
    client = create_app(settings, runtime=rt).test_client()
    response = login(client, district.coordinator.email)
    assert (
        "Secure" in response.headers["Set-Cookie"] and "HttpOnly" in response.headers["Set-Cookie"]
    )
    rt.broker.close()
    rt.engine.dispose()


def test_wrong_passwords_lock_the_account_with_a_message_saying_until_when(
    client: FlaskClient, district: District, session: Session
) -> None:
    statuses = [login(client, district.coordinator.email, "wrong").status_code for _ in range(5)]
    assert statuses == [400, 400, 400, 400, 429]
    response = login(client, district.coordinator.email)  # the right password, but locked
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 30
    assert "Попробуйте снова после" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302
    lockouts = session.scalars(
        select(AuditEvent).where(col(AuditEvent.action) == "sign_in.locked")
    ).all()
    assert [e.object_id for e in lockouts] == [district.coordinator.id]


def test_the_lockout_grows_and_also_counts_per_client_address(
    client: FlaskClient, district: District, session: Session
) -> None:
    now = utcnow()
    locks = []
    for n in range(8):
        until = record_attempt(
            session, SIGN_IN, email="x@y.test", address="10.0.0.9", now=now + timedelta(seconds=n)
        )
        locks.append(until - (now + timedelta(seconds=n)) if until else None)
    assert locks[:4] == [None] * 4
    assert [lock.total_seconds() for lock in locks[4:] if lock] == [30, 60, 120, 240]
    for n in range(20):  # 20 different accounts from one address
        record_attempt(session, SIGN_IN, email=f"guess{n}@y.test", address="10.0.0.7", now=now)

    assert locked_until(session, SIGN_IN, email="new@y.test", address="10.0.0.7", now=now)
    assert locked_until(session, SIGN_IN, email="new@y.test", address="10.0.0.8", now=now) is None


def test_unknown_accounts_cost_the_same_password_hash_as_known_ones(
    client: FlaskClient, district: District, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    for user in (district.coordinator, district.retired):  # hashed as the portal hashes
        user.set_password(PASSWORD)  # (the factories' users have a cheaper hash)
        session.add(user)
    session.commit()
    calls: list[str] = []
    real = models.people.tables.check_password_hash

    def counting(stored: str, password: str) -> Any:
        calls.append(stored.split("$", 1)[0])
        return real(stored, password)

    monkeypatch.setattr(models.people.tables, "check_password_hash", counting)
    login(client, "nobody@nowhere.test", "wrong")
    login(client, district.coordinator.email, "wrong")
    login(client, district.retired.email, "wrong")
    assert len(calls) == 3
    assert len(set(calls)) == 1  # the same method and cost each time


def test_behind_a_proxy_the_forwarded_address_is_throttled(
    make_settings: Callable[..., Settings], database_url: str, district: District
) -> None:
    settings = make_settings(database_url, BIRGE_PROXY_COUNT="1")
    rt = build_runtime(settings)
    client = create_app(settings, runtime=rt).test_client()
    page = client.get("/login").get_data(as_text=True)

    def attempt(email: str, address: str) -> int:
        return client.post(
            "/login",
            data={"email": email, "password": "wrong", "csrf_token": csrf_token(page)},
            headers={"X-Forwarded-For": address},
        ).status_code

    statuses = [attempt(f"guess{n}@birge.test", "203.0.113.5") for n in range(21)]
    assert statuses[:19] == [400] * 19 and statuses[-1] == 429
    assert attempt("someone@birge.test", "203.0.113.6") == 400  # another client is not locked
    rt.broker.close()
    rt.engine.dispose()


@pytest.mark.parametrize(
    ("clock", "named"),
    [
        ("07:04:10", "12:05"),  # locked until 12:04:40: the message never names 12:04
        ("07:04:30", "12:05"),  # locked until 12:05:00 exactly
        ("07:04:31", "12:06"),  # locked until 12:05:01
    ],
)
def test_the_lockout_message_names_a_minute_still_to_come(
    client: FlaskClient,
    district: District,
    monkeypatch: pytest.MonkeyPatch,
    clock: str,
    named: str,
) -> None:
    now = datetime.fromisoformat(f"2026-12-07T{clock}+00:00")  # Almaty is UTC+5
    monkeypatch.setattr("web.auth.routes.utcnow", lambda: now)
    for _ in range(5):
        response = login(client, district.coordinator.email, "wrong")
    page = response.get_data(as_text=True)
    assert response.status_code == 429
    assert f"Попробуйте снова после 7 декабря 2026, {named}." in page
