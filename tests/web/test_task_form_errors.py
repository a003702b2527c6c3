"""/tasks/new shows every problem of the form at once, each at its field, and writes nothing."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlmodel import Session

from models.core.settings import Settings
from models.tasks.tables import Task
from tests.factories import District, csrf_token, in_days, login


def test_every_problem_of_a_new_task_comes_at_once(
    client: FlaskClient, session: Session, settings: Settings, district: District
) -> None:
    login(client, district.coordinator.email)
    page = client.get("/tasks/new").get_data(as_text=True)
    response = client.post(
        "/tasks/new",
        data={
            "csrf_token": csrf_token(page),
            "title": "",
            "case_code": "D-2026-9999",  # no such case
            "agency": str(district.police.id),
            "due_date": in_days(-2).date().isoformat(),  # already passed
            "due_time": "18:00",
        },
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="title-error"' in body
    assert "Случая с таким кодом нет." in body
    assert "Срок поручения не может наступить до того, как оно создано." in body
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Task)) == 0
