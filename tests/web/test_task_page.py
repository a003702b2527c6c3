"""The task page says a task is overdue, even by less than a working day, and offers no
choice of one agency."""

from __future__ import annotations

from datetime import timedelta

from flask.testing import FlaskClient
from sqlmodel import Session

from models.core.base import utcnow
from models.core.settings import Settings
from models.tasks.operations import create_task
from models.tasks.tables import Task
from tests.factories import District, csrf_token, in_days, login


def police_task(session: Session, settings: Settings, district: District, **over: object) -> Task:
    values: dict[str, object] = {
        "title": "Провести обследование",
        "agency_id": district.police.id,
        "due_at": in_days(3),
        "now": utcnow(),
    }
    values.update(over)
    task = create_task(session, district.chair, settings=settings, **values)  # type: ignore[arg-type]
    session.commit()
    return task


def test_an_overdue_task_says_so_at_the_top_of_its_page(
    client: FlaskClient, session: Session, settings: Settings, district: District
) -> None:
    now = utcnow()
    late = police_task(
        session, settings, district, due_at=now - timedelta(minutes=1), now=now - timedelta(hours=2)
    )
    in_time = police_task(session, settings, district)
    district.police_head.locale = "ru"
    session.commit()
    login(client, district.police_head.email)
    page = client.get(f"/tasks/{late.id}").get_data(as_text=True)
    notice = page.split("<h1>", 1)[1].split("</dl>", 1)[0]
    assert 'class="flash warning overdue"' in notice
    assert "Поручение просрочено" in notice
    assert "просрочено меньше рабочего дня" in notice
    assert "Поручение просрочено" not in client.get(f"/tasks/{in_time.id}").get_data(as_text=True)


def test_a_coordinator_is_not_offered_a_choice_of_one_agency(
    client: FlaskClient, session: Session, settings: Settings, district: District
) -> None:
    task = police_task(session, settings, district)
    district.police_head.locale = "ru"
    session.commit()
    login(client, district.police_head.email)
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert '<select id="reassign-agency"' not in page
    assert "Отдел полиции" in page.split('action="/tasks/', 2)[2]  # said, not offered
    response = client.post(
        f"/tasks/{task.id}/reassign",
        data={
            "csrf_token": csrf_token(page),
            "reassign-agency": str(district.police.id),
            "reassign-assignee": str(district.inspector.id),
        },
    )
    assert response.status_code == 302
    session.refresh(task)
    assert task.assignee_id == district.inspector.id

    chair = client.application.test_client()
    login(chair, district.chair.email)
    assert '<select id="reassign-agency"' in chair.get(f"/tasks/{task.id}").get_data(as_text=True)
