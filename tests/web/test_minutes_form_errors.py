"""The minutes form drops nothing and shows every problem at once, each at its field."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlmodel import Session

from models.core.settings import Settings
from models.minutes.tables import MeetingMinutes
from models.tasks.tables import Task
from tests.factories import District, held_case_conference, login
from tests.web.test_minutes_pages import minutes_form


def count(session: Session, table: type) -> int:
    session.rollback()
    return session.scalar(select(func.count()).select_from(table)) or 0


def test_a_decision_row_without_text_is_refused_not_dropped(
    client: FlaskClient, session: Session, settings: Settings, district: District
) -> None:
    meeting = held_case_conference(session, settings, district)
    login(client, district.coordinator.email)
    form = minutes_form(client, meeting, district)
    form["decisions-1-text"] = ""  # an agency and a date, but no text
    response = client.post(f"/meetings/{meeting.id}/minutes", data=form)
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Напишите решение." in body
    assert count(session, MeetingMinutes) == 0 and count(session, Task) == 0


def test_every_problem_of_the_form_comes_at_once(
    client: FlaskClient, session: Session, settings: Settings, district: District
) -> None:
    meeting = held_case_conference(session, settings, district)
    login(client, district.coordinator.email)
    form = minutes_form(client, meeting, district)
    form |= {"text": "", "decisions-0-agency": "", "decisions-1-due_date": "2026-01-05"}
    response = client.post(f"/meetings/{meeting.id}/minutes", data=form)
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    for message in ("Выберите ответственное ведомство.", "Этот срок уже прошёл."):
        assert message in body, message
    assert 'id="text-error"' in body  # the minutes' own field too, in the same answer
    assert count(session, MeetingMinutes) == 0
