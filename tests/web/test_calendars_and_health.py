from __future__ import annotations

import re
from collections.abc import Callable

from flask.testing import FlaskClient
from icalendar import Calendar
from sqlalchemy import select
from sqlmodel import Session
from werkzeug.test import TestResponse

from models.core.settings import Settings
from models.feeds.tokens import feed_token, rotate_feed_token
from models.outbox.notifications import Notification
from tests import services
from tests.factories import District, csrf_token, login, schedule
from web import create_app
from web.context import runtime


def healthz(settings: Settings) -> TestResponse:
    app = create_app(settings)
    try:
        return app.test_client().get("/healthz")
    finally:
        runtime(app).close()
        runtime(app).engine.dispose()


def test_feed_serves_the_agency_calendar_with_etag_and_304(
    client: FlaskClient, district: District, session: Session, settings: Settings
) -> None:
    meeting = schedule(session, settings, district).meeting
    token = feed_token(session, district.police, settings.secret_key)
    session.commit()

    response = client.get(f"/calendars/{token}.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    (event,) = Calendar.from_ical(response.data).walk("VEVENT")
    assert str(event["UID"]) == meeting.uid
    again = client.get(f"/calendars/{token}.ics")
    assert again.data == response.data and again.headers["ETag"] == response.headers["ETag"]
    cached = client.get(
        f"/calendars/{token}.ics", headers={"If-None-Match": response.headers["ETag"]}
    )
    assert cached.status_code == 304 and cached.data == b""


def test_unknown_and_revoked_tokens_get_404(
    client: FlaskClient, district: District, session: Session, settings: Settings
) -> None:
    assert client.get("/calendars/not-a-token.ics").status_code == 404
    old = feed_token(session, district.police, settings.secret_key)
    rotate_feed_token(session, district.police, settings.secret_key)
    session.commit()
    assert client.get(f"/calendars/{old}.ics").status_code == 404


def test_healthz_reports_a_healthy_embedded_deployment(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"database": "ok", "broker": "ok", "status": "ok"}


def test_healthz_reports_reachable_rabbitmq_and_postgres(
    make_settings: Callable[..., Settings], postgres_only_url: str, amqp_url: str
) -> None:
    response = healthz(make_settings(postgres_only_url, BIRGE_BROKER_URL=amqp_url))
    assert response.status_code == 200 and response.json["broker"] == "ok"


def test_healthz_says_503_when_the_broker_is_unreachable(
    make_settings: Callable[..., Settings], database_url: str
) -> None:
    closed = services.free_port()
    response = healthz(make_settings(database_url, BIRGE_BROKER_URL=f"amqp://127.0.0.1:{closed}/"))
    assert response.status_code == 503
    assert response.json == {"database": "ok", "broker": "unreachable", "status": "degraded"}


def test_staff_find_their_agency_feed_address_in_the_portal(
    client: FlaskClient, district: District
) -> None:
    login(client, district.inspector.email)
    page = client.get("/calendar").get_data(as_text=True)
    url = re.search(r'id="feed-url"[^>]*value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    assert url.startswith("http://birge.test/calendars/")
    path = url.removeprefix("http://birge.test")
    assert client.get(path).status_code == 200
    assert client.get("/calendar").get_data(as_text=True).count(url) == 1  # same address again
    assert "Выдать новый адрес" not in page  # members cannot rotate
    assert client.post("/calendar/rotate", data={"csrf_token": csrf_token(page)}).status_code == 403


def test_a_coordinator_rotates_the_address_and_the_old_one_stops_working(
    client: FlaskClient, district: District, session: Session
) -> None:
    login(client, district.police_head.email)  # reads Kazakh
    page = client.get("/calendar").get_data(as_text=True)
    assert "Күнтізбеге жазылу" in page
    old = re.search(r'id="feed-url"[^>]*value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    # Not the main action: a secondary link inside a collapsed section, leading to a question.
    assert 'class="button secondary" href="/calendar/rotate"' in page
    confirm = client.get("/calendar/rotate").get_data(as_text=True)
    assert 'name="confirm" value="yes"' in confirm
    # A click that skips the question changes nothing.
    unconfirmed = client.post("/calendar/rotate", data={"csrf_token": csrf_token(confirm)})
    assert unconfirmed.status_code == 400
    assert old in client.get("/calendar").get_data(as_text=True)
    response = client.post(
        "/calendar/rotate", data={"csrf_token": csrf_token(confirm), "confirm": "yes"}
    )
    assert response.status_code == 302
    page = client.get("/calendar").get_data(as_text=True)
    new = re.search(r'id="feed-url"[^>]*value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    assert new != old
    assert client.get(old.removeprefix("http://birge.test")).status_code == 404
    assert client.get(new.removeprefix("http://birge.test")).status_code == 200
    # Every active member of the police hears of the new address, in their own language.
    mails = {n.recipient: n for n in session.scalars(select(Notification))}
    assert set(mails) == {district.police_head.email, district.inspector.email}
    assert new in mails[district.inspector.email].body
    assert mails[district.inspector.email].subject == "Новый адрес подписки на календарь"
    assert mails[district.police_head.email].subject == "Күнтізбеге жазылудың жаңа мекенжайы"
