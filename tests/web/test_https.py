"""Served over https, the portal tells browsers to come back only over https (HSTS)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from sqlmodel import Session

from models.core.settings import Settings
from models.feeds.tokens import feed_token
from tests.factories import District, login

HSTS = "Strict-Transport-Security"


@pytest.fixture(params=["https://birge.district.kz", "http://127.0.0.1:5000"])
def settings(
    request: pytest.FixtureRequest, make_settings: Callable[..., Settings], database_url: str
) -> Settings:
    return make_settings(database_url, BIRGE_BASE_URL=request.param)


def test_strict_transport_security_is_sent_when_served_over_https(
    client: FlaskClient, settings: Settings, district: District, session: Session
) -> None:
    token = feed_token(session, district.police, settings.secret_key)
    session.commit()
    responses = {
        "sign-in page": client.get("/login"),
        "not found": client.get("/no-such-page"),
        "feed": client.get(f"/calendars/{token}.ics"),
    }
    login(client, district.coordinator.email)
    responses["home"] = client.get("/")
    for where, response in responses.items():
        assert response.status_code in (200, 404), where
        if settings.base_url.startswith("https:"):
            assert response.headers.get(HSTS) == "max-age=31536000", where
        else:  # over plain http the header means nothing, and would pin a test host
            assert HSTS not in response.headers, where
