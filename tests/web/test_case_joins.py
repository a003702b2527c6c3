"""How an agency joins a case: only the lead agency's coordinators and the chair bring one in,
by any path (a task by hand, a meeting's decision, a reassignment), and every join is audited
as ``case.agency_added`` naming how it came."""

from __future__ import annotations

from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlmodel import Session, col

from models.cases.tables import CaseAgency
from models.core.audit import AuditEvent
from models.core.base import utcnow
from models.core.settings import Settings
from models.people.tables import Agency
from models.tasks.operations import TaskError, create_task, reassign_task
from models.tasks.tables import Task
from tests.conftest import load_settings_for
from tests.factories import (
    District,
    csrf_token,
    in_days,
    login,
    logout,
    make_agency,
    make_user,
    schedule_case_conference,
)

ALMATY = timedelta(hours=5)


def on_case(session: Session, district: District, agency: Agency) -> bool:
    session.expire_all()
    return session.get(CaseAgency, (district.case.id, agency.id)) is not None


def joins(session: Session) -> list[str]:
    session.expire_all()
    return [
        e.detail
        for e in session.scalars(
            select(AuditEvent)
            .where(col(AuditEvent.action) == "case.agency_added")
            .order_by(col(AuditEvent.id))
        )
    ]


def task_form(client: FlaskClient, agency: Agency) -> dict[str, str]:
    page = client.get("/tasks/new").get_data(as_text=True)
    return {
        "csrf_token": csrf_token(page),
        "title": "Посетить семью",
        "case_code": "D-2026-0042",
        "agency": str(agency.id),
        "due_date": (utcnow() + ALMATY + timedelta(days=2)).date().isoformat(),
        "due_time": "18:00",
    }


def test_a_coordinator_of_an_agency_on_the_case_but_not_its_lead_cannot_add_one_by_a_task(
    client: FlaskClient, district: District, session: Session
) -> None:
    ngo = make_agency(session, district.row, "ngo", "ngo")
    session.commit()
    login(client, district.pedagogue.email)  # the school works on the case; education leads
    refused = client.post("/tasks/new", data=task_form(client, ngo))
    assert refused.status_code == 400
    assert "lead agency or the chair" in refused.get_data(as_text=True)
    assert not on_case(session, district, ngo)
    assert session.scalars(select(Task)).all() == []
    # an agency already on the case takes the school's task
    given = client.post("/tasks/new", data=task_form(client, district.police))
    assert given.status_code == 302
    assert joins(session) == []


def test_the_lead_agency_adds_an_agency_by_a_task_audited_as_a_task(
    client: FlaskClient, district: District, session: Session
) -> None:
    ngo = make_agency(session, district.row, "ngo", "ngo")
    session.commit()
    login(client, district.coordinator.email)  # education leads the case
    assert client.post("/tasks/new", data=task_form(client, ngo)).status_code == 302
    assert on_case(session, district, ngo)
    assert joins(session) == ["case=D-2026-0042 agency=ngo how=task"]


def test_a_decision_in_the_minutes_cannot_bring_in_an_agency_for_a_non_lead_organizer(
    client: FlaskClient, district: District, session: Session, settings: Settings
) -> None:
    ngo = make_agency(session, district.row, "ngo", "ngo")
    meeting = schedule_case_conference(
        session,
        settings,
        district,
        organizer=district.pedagogue,
        starts_at=in_days(-1),
        ends_at=in_days(-1) + timedelta(hours=1),
        agency_ids=[district.police.id, district.education.id],
        now=in_days(-3),
    ).meeting
    session.commit()
    login(client, district.pedagogue.email)
    page = client.get(f"/meetings/{meeting.id}/minutes").get_data(as_text=True)
    form = {
        "csrf_token": csrf_token(page),
        "people": [str(district.pedagogue.id)],
        "text": "Заслушали школу.",
        "decisions-0-text": "Подключить НПО",
        "decisions-0-agency": str(ngo.id),
        "decisions-0-due_kind": "working_days",
        "decisions-0-due_days": "3",
    }
    refused = client.post(f"/meetings/{meeting.id}/minutes", data=form)
    assert refused.status_code == 400
    assert "lead agency or the chair" in refused.get_data(as_text=True)
    assert not on_case(session, district, ngo)
    assert session.scalars(select(Task)).all() == []

    logout(client)
    login(client, district.chair.email)  # the chair may: the decision brings the NGO in
    page = client.get(f"/meetings/{meeting.id}/minutes").get_data(as_text=True)
    form["csrf_token"] = csrf_token(page)
    assert client.post(f"/meetings/{meeting.id}/minutes", data=form).status_code == 302
    assert on_case(session, district, ngo)
    assert joins(session) == ["case=D-2026-0042 agency=ngo how=decision"]


def test_a_reassignment_brings_an_agency_in_only_for_the_chair_and_is_audited(
    district: District, session: Session
) -> None:
    ngo = make_agency(session, district.row, "ngo", "ngo")
    # an administrator of the police (on the case, not its lead) moves tasks across agencies,
    # but may not widen who knows of the case
    admin = make_user(session, district.police, "admin@police.test", "admin")
    now = utcnow()
    task = create_task(
        session,
        district.coordinator,
        settings=load_settings_for("sqlite:///unused.sqlite3"),
        title="Посетить семью",
        agency_id=district.police.id,  # type: ignore[arg-type]
        due_at=now + timedelta(days=3),
        now=now,
        case=district.case,
    )
    session.commit()
    for user in (district.police_head, admin):
        try:
            reassign_task(session, user, task, agency_id=ngo.id, assignee_id=None, now=now)  # type: ignore[arg-type]
        except TaskError as exc:
            assert exc.field == "agency"
        else:
            raise AssertionError(f"{user.email} moved the task to an agency off the case")
        session.rollback()
    assert not on_case(session, district, ngo)
    reassign_task(session, district.chair, task, agency_id=ngo.id, assignee_id=None, now=now)  # type: ignore[arg-type]
    session.commit()
    assert on_case(session, district, ngo)
    assert joins(session) == ["case=D-2026-0042 agency=ngo how=reassignment"]
