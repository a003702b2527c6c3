"""The district's administrators make and revoke integration tokens on a page of their own."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlmodel import Session

from models.people.tables import User
from tests.factories import District, csrf_token, login, make_user


def admin(session: Session, district: District) -> User:
    user = make_user(session, district.akimat, "admin@akimat.test", "admin", locale="en")
    session.commit()
    return user


def test_an_administrator_makes_a_token_that_works_then_revokes_it(
    client: FlaskClient, session: Session, district: District
) -> None:
    login(client, admin(session, district).email)
    page = client.get("/admin/integrations").get_data(as_text=True)
    assert "No integration yet." in page
    made = client.post(
        "/admin/integrations",
        data={
            "name": "helpline-111",
            "scopes": ["reports:read"],
            "csrf_token": csrf_token(page),
        },
    )
    html = made.get_data(as_text=True)
    assert made.status_code == 200 and "shown only now" in html
    token = re.search(r"birge_[\w-]{40,}", html)
    assert token is not None
    with client.session_transaction() as cookie:
        assert token.group(0) not in str(dict(cookie))  # never kept in the session cookie
    api = {"Authorization": f"Bearer {token.group(0)}"}
    assert client.get("/api/v1/reports/D-2026-0042", headers=api).status_code == 200
    assert client.post("/api/v1/reports", json={}, headers=api).status_code == 403  # read only
    listed = client.get("/admin/integrations").get_data(as_text=True)
    assert "helpline-111" in listed and "reports:read" in listed and "never" not in listed

    revoked = client.post(
        "/admin/integrations/helpline-111/revoke", data={"csrf_token": csrf_token(listed)}
    )
    assert revoked.status_code == 302
    assert client.get("/api/v1/reports/D-2026-0042", headers=api).status_code == 401
    assert "revoked" in client.get("/admin/integrations").get_data(as_text=True)


def test_a_taken_name_is_a_clear_error_and_only_administrators_enter(
    client: FlaskClient, session: Session, district: District
) -> None:
    coordinator = client.application.test_client()
    login(coordinator, district.coordinator.email)
    assert coordinator.get("/admin/integrations").status_code == 403
    login(client, admin(session, district).email)
    page = client.get("/admin/integrations").get_data(as_text=True)
    form = {"name": "helpline-111", "scopes": ["reports:write"], "csrf_token": csrf_token(page)}
    assert client.post("/admin/integrations", data=form).status_code == 200
    again = client.post("/admin/integrations", data=form)
    assert again.status_code == 400
    assert "An integration with this name exists already." in again.get_data(as_text=True)
    bad = client.post("/admin/integrations", data={**form, "name": "Имя с пробелом"})
    assert bad.status_code == 400
    assert (
        client.post(
            "/admin/integrations/nobody/revoke", data={"csrf_token": csrf_token(page)}
        ).status_code
        == 404
    )
