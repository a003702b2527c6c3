"""The case, task and rule pages: need to know per role, bad input at the field, never a 500."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlmodel import Session, col

from models.cases.tables import Case
from models.core.audit import AuditEvent
from models.core.base import utcnow
from models.tasks.tables import StatutoryRule, Task
from tests.factories import CHILD, District, csrf_token, logout, make_user, open_test_case
from tests.factories import login as first_login

ALMATY = timedelta(hours=5)


def case_form(client: FlaskClient, district: District, **over: object) -> dict[str, object]:
    page = client.get("/cases/new").get_data(as_text=True)
    received = utcnow() + ALMATY - timedelta(minutes=30)  # in time: nothing overdue yet
    data: dict[str, object] = {
        "csrf_token": csrf_token(page),
        "received_date": received.date().isoformat(),
        "received_time": received.strftime("%H:%M"),
        "source": "school",
        "category": "neglect",
        "receiving_agency": str(district.school.id),
        "lead_agency": str(district.education.id),
        "agencies": [str(district.police.id)],
        "child_name": CHILD.child_name,
        "birth_date": "2015-04-02",
        "address": CHILD.address,
        "school_class": CHILD.school_class,
        "notes": CHILD.notes,
    }
    data.update(over)
    return data


def login(client: FlaskClient, email: str) -> None:
    """Sign in as *email*, signing out whoever was signed in."""
    if client.get("/").status_code == 200:
        logout(client)
    first_login(client, email)


def count(session: Session, table: type) -> int:
    return session.scalar(select(func.count()).select_from(table)) or 0


def test_opening_a_case_in_the_portal(
    client: FlaskClient, district: District, session: Session
) -> None:
    login(client, district.coordinator.email)
    response = client.post("/cases/new", data=case_form(client, district))
    assert response.status_code == 302
    code = response.location.rsplit("/", 1)[1]
    assert code.startswith("D-20") and code != "D-2026-0042"
    page = client.get(f"/cases/{code}").get_data(as_text=True)
    assert CHILD.child_name in page and "Сформировать первичную информацию" in page
    assert "Школа № 1" in page  # the receiving school is responsible for the first tasks
    assert "Уровень" in page or "эскалац" in page.lower()
    listing = client.get("/cases").get_data(as_text=True)
    assert code in listing and CHILD.child_name not in listing


@pytest.mark.parametrize(
    ("over", "field", "message"),
    [
        ({"lead_agency": "9999"}, "lead_agency", ""),
        ({"source": "rumour"}, "source", ""),
        ({"category": "x"}, "category", ""),
        ({"received_date": "2099-01-01"}, "received_date", "не может быть получено в будущем"),
        ({"notes": "x" * 2001}, "notes", ""),
        ({"received_date": "not a date"}, "received_date", ""),
    ],
)
def test_bad_case_input_is_shown_at_the_field_and_nothing_is_written(
    client: FlaskClient,
    district: District,
    session: Session,
    over: dict[str, object],
    field: str,
    message: str,
) -> None:
    login(client, district.coordinator.email)
    response = client.post("/cases/new", data=case_form(client, district, **over))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    invalid = page.split('class="field invalid"', 1)[1]
    assert f'name="{field}"' in invalid.split("</div>", 1)[0] or f'id="{field}"' in invalid
    assert message in page
    assert count(session, Case) == 1 and count(session, Task) == 0


def test_the_restricted_part_by_role_and_by_url(
    client: FlaskClient, district: District, session: Session
) -> None:
    case = open_test_case(session, district, agency_ids=[district.police.id]).case
    session.commit()
    login(client, district.inspector.email)  # police: on the case, not the lead
    page = client.get(f"/cases/{case.code}").get_data(as_text=True)
    assert case.code in page and CHILD.child_name not in page and CHILD.address not in page
    assert client.get(f"/cases/{case.code}/restricted").status_code == 404
    login(client, district.pedagogue.email)  # school: on the case through the factory
    assert CHILD.child_name not in client.get(f"/cases/{case.code}").get_data(as_text=True)
    login(client, district.chair.email)
    assert CHILD.child_name in client.get(f"/cases/{case.code}").get_data(as_text=True)
    viewed = session.scalars(
        select(AuditEvent).where(col(AuditEvent.action) == "case.restricted_viewed")
    ).all()
    assert [e.user_id for e in viewed] == [district.chair.id]


def test_a_case_the_agency_is_not_on_does_not_exist_for_it(
    client: FlaskClient, district: District, session: Session
) -> None:
    case = open_test_case(session, district, agency_ids=[]).case
    session.commit()
    login(client, district.inspector.email)
    assert client.get(f"/cases/{case.code}").status_code == 404
    assert client.get("/cases/D-2026-9999").status_code == 404
    assert client.get("/cases/robert'); DROP TABLE").status_code == 404
    assert case.code not in client.get("/cases").get_data(as_text=True)


def test_changing_the_childs_details(
    client: FlaskClient, district: District, session: Session
) -> None:
    case = open_test_case(session, district).case
    session.commit()
    login(client, district.coordinator.email)
    form = client.get(f"/cases/{case.code}/restricted").get_data(as_text=True)
    assert CHILD.address in form
    data = {
        "csrf_token": csrf_token(form),
        "child_name": CHILD.child_name,
        "address": "ул. Жамбыла 3",
        "birth_date": "2030-01-01",
    }
    refused = client.post(f"/cases/{case.code}/restricted", data=data)
    assert refused.status_code == 400
    data["birth_date"] = "2015-04-02"
    assert client.post(f"/cases/{case.code}/restricted", data=data).status_code == 302
    assert "ул. Жамбыла 3" in client.get(f"/cases/{case.code}").get_data(as_text=True)


def test_completing_and_reassigning_tasks_in_the_portal(
    client: FlaskClient, district: District, session: Session
) -> None:
    opened = open_test_case(session, district)
    session.commit()
    task = opened.tasks[0]
    login(client, district.inspector.email)  # police may not see education's task
    assert client.get(f"/tasks/{task.id}").status_code == 404
    login(client, district.coordinator.email)
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    too_long = client.post(
        f"/tasks/{task.id}/complete",
        data={"csrf_token": csrf_token(page), "complete-note": "x" * 1001},
    )
    assert too_long.status_code == 400 and 'class="field invalid"' in too_long.get_data(
        as_text=True
    )
    across = client.post(
        f"/tasks/{task.id}/reassign",
        data={
            "csrf_token": csrf_token(page),
            "reassign-agency": str(district.police.id),
            "reassign-assignee": "-1",
        },
    )
    assert across.status_code == 400
    done = client.post(
        f"/tasks/{task.id}/complete",
        data={"csrf_token": csrf_token(page), "complete-note": "Информация сформирована"},
    )
    assert done.status_code == 302
    session.refresh(task)
    assert (task.status, task.note) == ("done", "Информация сформирована")
    overdue = client.get("/tasks?scope=agency&bucket=overdue").get_data(as_text=True)
    assert "рабоч" in overdue  # the March tasks are long overdue, in working days
    assert client.get("/tasks?scope=nonsense&bucket=nonsense&page=x&agency=y").status_code == 200


def test_a_refused_change_of_a_task_says_why_where_its_form_is_not_shown(
    client: FlaskClient, district: District, session: Session
) -> None:
    task = open_test_case(session, district).tasks[0]
    member = make_user(session, district.education, "member@education.test")
    session.commit()
    login(client, member.email)  # a member completes tasks, but is not shown the cancel form
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    refused = client.post(
        f"/tasks/{task.id}/cancel", data={"csrf_token": csrf_token(page), "cancel-reason": "Нет"}
    )
    assert refused.status_code == 400
    assert "Вы не можете изменять это поручение." in refused.get_data(as_text=True)
    login(client, district.coordinator.email)
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    done = {"csrf_token": csrf_token(page), "complete-note": "Информация сформирована"}
    assert client.post(f"/tasks/{task.id}/complete", data=done).status_code == 302
    again = client.post(f"/tasks/{task.id}/complete", data=done)
    assert again.status_code == 400  # a second tab: the task is closed, its forms are gone
    assert "Это поручение уже закрыто." in again.get_data(as_text=True)
    cancel = {"csrf_token": csrf_token(page), "cancel-reason": "Ошибка"}
    assert "Это поручение уже закрыто." in client.post(
        f"/tasks/{task.id}/cancel", data=cancel
    ).get_data(as_text=True)


def test_adding_a_task_by_hand(client: FlaskClient, district: District, session: Session) -> None:
    login(client, district.coordinator.email)
    page = client.get("/tasks/new").get_data(as_text=True)
    tomorrow = (utcnow() + ALMATY + timedelta(days=1)).date().isoformat()
    data = {
        "csrf_token": csrf_token(page),
        "title": "Посетить семью",
        "case_code": "D-2026-0042",
        "agency": str(district.police.id),
        "due_date": "2020-01-01",
        "due_time": "18:00",
    }
    past = client.post("/tasks/new", data=data)
    assert past.status_code == 400 and "до того" in past.get_data(as_text=True)
    assert client.post("/tasks/new", data=data | {"agency": "9999"}).status_code == 400
    assert count(session, Task) == 0
    assert client.post("/tasks/new", data=data | {"due_date": tomorrow}).status_code == 302
    login(client, district.inspector.email)
    assert "Посетить семью" in client.get("/tasks?scope=agency").get_data(as_text=True)
    assert client.get("/tasks/new").status_code == 403


def test_only_admins_edit_rules_and_the_escalation_policy(
    client: FlaskClient, district: District, session: Session
) -> None:
    admin = make_user(session, district.akimat, "admin@akimat.test", "admin")
    session.commit()
    rule = session.scalars(select(StatutoryRule).order_by(col(StatutoryRule.id))).first()
    assert rule is not None
    login(client, district.chair.email)
    assert client.get("/admin/rules").status_code == 403
    assert client.get("/admin/escalation").status_code == 403
    login(client, admin.email)
    assert "Руководство" in client.get("/admin/rules").get_data(as_text=True)
    page = client.get(f"/admin/rules/{rule.id}").get_data(as_text=True)
    data = {
        "csrf_token": csrf_token(page),
        "responsible": "lead",
        "period_kind": "working_days",
        "period_days": "400",
        "legal_source": "Руководство, п. 4",
        "active": "y",
    }
    assert client.post(f"/admin/rules/{rule.id}", data=data).status_code == 400
    assert (
        client.post(f"/admin/rules/{rule.id}", data=data | {"period_days": "3"}).status_code == 302
    )
    session.refresh(rule)
    assert (rule.responsible, rule.period_days) == ("lead", 3)
    page = client.get("/admin/escalation").get_data(as_text=True)
    steps = {
        "csrf_token": csrf_token(page),
        "steps-0-working_days": "-2",
        "steps-0-recipient": "assignee",
        "steps-1-working_days": "-3",
        "steps-1-recipient": "chair",
    }
    backwards = client.post("/admin/escalation", data=steps)
    assert backwards.status_code == 400  # the refusal stands at the row of the later step
    assert 'id="steps-1-working_days-error"' in backwards.get_data(as_text=True)
    assert 'id="steps-0-working_days-error"' not in backwards.get_data(as_text=True)
    steps["steps-1-working_days"] = "1"
    assert client.post("/admin/escalation", data=steps).status_code == 302
    assert 'value="-2"' in client.get("/admin/escalation").get_data(as_text=True)


def test_closing_a_case_explains_what_is_missing_at_the_field(
    client: FlaskClient, district: District, session: Session
) -> None:
    opened = open_test_case(session, district)
    session.commit()
    login(client, district.coordinator.email)
    page = client.get(f"/cases/{opened.case.code}").get_data(as_text=True)
    empty = client.post(
        f"/cases/{opened.case.code}/close", data={"csrf_token": csrf_token(page), "reason": ""}
    )
    assert empty.status_code == 400
    assert "Укажите причину закрытия" in empty.get_data(as_text=True)
    busy = client.post(
        f"/cases/{opened.case.code}/close",
        data={"csrf_token": csrf_token(page), "reason": "Причины устранены"},
    )
    assert busy.status_code == 400 and "только когда все его поручения" in busy.get_data(
        as_text=True
    )
    session.refresh(opened.case)
    assert opened.case.status == "open"


def test_the_units_secretary_finds_every_agencys_task_in_the_list_and_opens_it(
    client: FlaskClient, district: District, session: Session
) -> None:
    opened = open_test_case(session, district)  # education's tasks; the akimat is not on it
    make_user(session, district.akimat, "secretary@akimat.test", "coordinator")
    session.commit()
    task = opened.tasks[0]
    first_login(client, "secretary@akimat.test")
    listed = client.get("/tasks").get_data(as_text=True)
    assert f'href="/tasks/{task.id}"' in listed
    assert client.get(f"/tasks/{task.id}").status_code == 200
