"""Defects 9 and 11 of issue 10: case codes only for those on the case; a database outage."""

from __future__ import annotations

from collections.abc import Callable

import psycopg
import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlmodel import Session, col

import migrations
from models.cases.access import CaseAccessError, add_agency_to_case
from models.core.audit import AuditEvent
from models.core.db import make_engine
from models.core.settings import Settings
from models.outbox.notifications import Notification
from models.overview.feed import agency_feed
from tests import services
from tests.factories import (
    PASSWORD,
    District,
    csrf_token,
    login,
    logout,
    make_agency,
    make_district,
    make_user,
    schedule,
)
from web import create_app
from workers.runtime import build_runtime


def test_an_agency_invited_but_not_on_the_case_never_sees_its_code(
    client: FlaskClient, district: District, session: Session, settings: Settings
) -> None:
    ngo = make_agency(session, district.row, "ngo", "ngo", name_ru="НПО Шанс")
    ngo_staff = make_user(session, ngo, "staff@ngo.test", "coordinator")
    # a joint inspection of the case, with an agency that does not work on it
    scheduled = schedule(
        session, settings, district, organizer=district.pedagogue, agency_ids=[ngo.id]
    )
    session.commit()
    mail = {n.recipient: n for n in session.scalars(select(Notification))}
    assert "D-2026-0042" in mail[district.pedagogue.email].body
    ngo_mail = mail[ngo_staff.email]
    assert "D-2026-0042" not in ngo_mail.subject + ngo_mail.body + (ngo_mail.ics or "")
    assert "D-2026-0042" not in agency_feed(session, settings, ngo).decode()
    assert "D-2026-0042" in agency_feed(session, settings, district.school).decode()

    login(client, ngo_staff.email)
    page = client.get(f"/meetings/{scheduled.meeting.id}")
    assert page.status_code == 200 and "D-2026-0042" not in page.get_data(as_text=True)
    logout(client)
    login(client, district.chair.email)
    assert "D-2026-0042" in client.get(f"/meetings/{scheduled.meeting.id}").get_data(as_text=True)


def test_only_the_lead_agency_or_the_chair_adds_an_agency_to_a_case(
    district: District, session: Session
) -> None:
    ngo = make_agency(session, district.row, "ngo", "ngo")
    center = make_agency(session, district.row, "center", "center")
    with pytest.raises(CaseAccessError):
        add_agency_to_case(session, district.pedagogue, district.case, ngo)  # on it, not lead
    with pytest.raises(CaseAccessError):
        add_agency_to_case(session, district.inspector, district.case, ngo)
    assert add_agency_to_case(session, district.coordinator, district.case, ngo)  # the lead
    assert add_agency_to_case(session, district.chair, district.case, center)
    assert not add_agency_to_case(session, district.chair, district.case, center)
    session.commit()
    events = session.scalars(
        select(AuditEvent).where(col(AuditEvent.action) == "case.agency_added")
    ).all()
    assert [(e.user_id, e.detail) for e in events] == [
        (district.coordinator.id, "case=D-2026-0042 agency=ngo how=manual"),
        (district.chair.id, "case=D-2026-0042 agency=center how=manual"),
    ]


def test_a_database_outage_is_a_503_page_that_needs_no_database(
    postgres_server: Callable[[str], str], make_settings: Callable[..., Settings]
) -> None:
    url = postgres_server("outage")
    settings = make_settings(url)
    migrations.upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        district = make_district(session)
        session.commit()
        email = district.coordinator.email
    rt = build_runtime(settings, engine)
    app = create_app(settings, runtime=rt)
    signed_in, anonymous = app.test_client(), app.test_client()
    login(signed_in, email)
    assert signed_in.get("/").status_code == 200
    login_page = anonymous.get("/login").get_data(as_text=True)

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(services.TEST_DATABASE_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')

    response = signed_in.get("/")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "временно недоступен" in response.get_data(as_text=True)
    response = anonymous.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": csrf_token(login_page)}
    )
    assert response.status_code == 503
    text = response.get_data(as_text=True)
    assert "ничего не потеряно" not in text.lower() and "временно недоступен" in text
    rt.broker.close()
    engine.dispose()
