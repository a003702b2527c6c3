"""Opening a case whose report is already overdue asks first, naming what is overdue."""

from __future__ import annotations

from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlmodel import Session

from models.cases.tables import Case
from models.core.base import utcnow
from tests.factories import District
from tests.web.test_cases_pages import ALMATY, case_form, login


def cases(session: Session) -> int:
    session.rollback()
    return session.scalar(select(func.count()).select_from(Case)) or 0


def test_a_late_report_is_named_overdue_before_saving_and_saved_once_confirmed(
    client: FlaskClient, district: District, session: Session
) -> None:
    login(client, district.coordinator.email)
    before = cases(session)
    received = utcnow() + ALMATY - timedelta(hours=2, minutes=30)
    late = {
        "received_date": received.date().isoformat(),
        "received_time": received.strftime("%H:%M"),
    }
    asked = client.post("/cases/new", data=case_form(client, district, **late))
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200
    assert "Это сообщение уже просрочено по срокам" in page
    assert "Продублировать информацию в орган опеки и попечительства" in page
    assert 'name="confirm_late"' in page
    assert cases(session) == before  # nothing saved yet

    saved = client.post("/cases/new", data=case_form(client, district, **late, confirm_late="y"))
    assert saved.status_code == 302
    assert cases(session) == before + 1


def test_a_report_in_time_is_saved_at_once(
    client: FlaskClient, district: District, session: Session
) -> None:
    login(client, district.coordinator.email)
    received = utcnow() + ALMATY - timedelta(minutes=20)
    fresh = {
        "received_date": received.date().isoformat(),
        "received_time": received.strftime("%H:%M"),
    }
    response = client.post("/cases/new", data=case_form(client, district, **fresh))
    assert response.status_code == 302


def test_the_source_and_the_category_are_chosen_not_assumed(
    client: FlaskClient, district: District, session: Session
) -> None:
    login(client, district.coordinator.email)
    page = client.get("/cases/new").get_data(as_text=True)
    for name in ("source", "category"):
        select_html = page.split(f'name="{name}"', 1)[1].split("</select>", 1)[0]
        first = select_html.split("<option", 2)[1]
        assert first.startswith(' value="">— выберите —'), name  # an empty first option
        assert "selected" not in select_html, name  # nothing chosen for the person
    before = cases(session)
    response = client.post("/cases/new", data=case_form(client, district, source="", category=""))
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Выберите, как поступило обращение." in body
    assert 'id="source-error"' in body and 'id="category-error"' in body
    assert cases(session) == before
