"""The intake API as a helpline's system uses it: a report in, a case with its statutory tasks
out, counted from the moment of receipt; idempotent, token-scoped, rate-limited, problem
details for every bad input, nothing restricted in any answer."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlmodel import Session, col

from models.cases.tables import Case, CaseRestricted
from models.core.audit import AuditEvent
from models.core.settings import Settings
from models.integrations.tokens import Scope, create_integration, revoke_integration
from models.outbox.notifications import Notification
from models.tasks.operations import complete_task
from models.tasks.tables import Task
from models.tick import plan_due
from models.workdays.calendar import CalendarOverride, district_calendar
from tests import services
from tests.factories import District, login, make_district
from web import create_app

#: The API's clock in these tests: Tuesday 1 December 2026, 10:00 in Almaty.
NOW = datetime(2026, 12, 1, 5, 0, tzinfo=UTC)
CHILD_NAME = "Айдана Сериковна Ким"


@pytest.fixture(autouse=True)
def api_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("web.api.routes.utcnow", lambda: NOW)


@pytest.fixture
def token(session: Session, district: District) -> str:
    issued = create_integration(session, name="helpline-111", district_id=district.row.id or 0)
    session.commit()
    return issued.token


def report(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "source": "helpline_111",
        "reference": "111-2026-004512",
        "received_at": "2026-11-27T17:00:00+05:00",  # a Friday, after the working day
        "category": "violence",
        "receiving_agency": "education",
        "signs_of_offence": True,
        "child": {"name": CHILD_NAME, "birth_date": "2015-03-01", "address": "ул. Абая 1"},
        "notes": "Соседи слышат крики по ночам",
    }
    body.update(changes)
    return body


def post(client: FlaskClient, token: str, body: Any, **headers: str) -> Any:
    return client.post(
        "/api/v1/reports",
        data=json.dumps(body),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json", **headers},
    )


def cases(session: Session) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(Case)) or 0)


def test_a_report_becomes_a_case_with_its_statutory_tasks_counted_from_receipt(
    client: FlaskClient, session: Session, district: District, token: str, settings: Settings
) -> None:
    response = post(client, token, report())
    assert response.status_code == 201, response.get_json()
    assert response.headers["Cache-Control"] == "no-store"
    answer = response.get_json()
    code = answer["case_code"]
    assert answer["url"] == f"http://birge.test/cases/{code}"
    assert response.headers["Location"] == f"/api/v1/reports/{code}"
    tasks = {task["rule"]: task for task in answer["tasks"]}
    # Received on Friday at 17:00: one working day is Monday's close, past the weekend.
    assert tasks["primary-information"] == {
        "rule": "primary-information",
        "agency": "education",
        "due_at": "2026-11-30T18:00:00+05:00",
    }
    assert tasks["inform-police"]["due_at"] == "2026-11-27T18:00:00+05:00"  # "immediately"
    assert {t["agency"] for t in answer["tasks"]} == {"education"}  # it leads until chosen
    text = response.get_data(as_text=True)
    assert CHILD_NAME not in text and "Абая" not in text and "крики" not in text

    case = session.scalars(select(Case).where(col(Case.code) == code)).one()
    assert case.received_at == datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    assert case.lead_agency_id == district.education.id and case.opened_by_id is None
    assert session.get(CaseRestricted, case.id).child_name == CHILD_NAME  # type: ignore[union-attr]
    opened = session.scalars(
        select(AuditEvent).where(col(AuditEvent.action) == "case.opened")
    ).one()
    received = session.scalars(
        select(AuditEvent).where(col(AuditEvent.action) == "api.report_received")
    ).one()
    assert opened.user_id is None and opened.integration_id == received.integration_id
    assert "helpline-111" in received.detail and CHILD_NAME not in received.detail

    # In the portal it is a case like any other, opened under the integration's name ...
    login(client, district.chair.email)
    page = client.get(f"/cases/{code}").get_data(as_text=True)
    assert "helpline-111 (API)" in page
    # ... and its escalation follows when a deadline passes.
    plan_due(session, settings, now=NOW + timedelta(hours=1))
    session.commit()
    escalations = session.scalars(
        select(Notification)
        .join(Task, col(Task.id) == col(Notification.task_id))
        .where(col(Task.case_id) == case.id, col(Notification.kind) == "escalation")
    ).all()
    assert escalations and all(CHILD_NAME not in n.body for n in escalations)


def test_a_decree_and_nauryz_move_the_deadlines(
    client: FlaskClient,
    session: Session,
    district: District,
    token: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    session.add(
        CalendarOverride(district_id=district.row.id or 0, day=date(2026, 11, 30), kind="day_off")
    )
    session.commit()
    answer = post(client, token, report()).get_json()
    due = {t["rule"]: t["due_at"] for t in answer["tasks"]}
    assert due["primary-information"] == "2026-12-01T18:00:00+05:00"  # Monday made a day off

    monkeypatch.setattr("web.api.routes.utcnow", lambda: datetime(2026, 3, 27, 5, tzinfo=UTC))
    spring = post(
        client, token, report(reference="111-2026-000931", received_at="2026-03-20T17:00:00+05:00")
    )
    due_at = datetime.fromisoformat(
        next(t["due_at"] for t in spring.get_json()["tasks"] if t["rule"] == "primary-information")
    )
    calendar = district_calendar(session, district.row.id or 0)
    first_working = date(2026, 3, 21)
    while not calendar.is_working_day(first_working):
        first_working += timedelta(days=1)
    assert first_working > date(2026, 3, 23)  # Nauryz, 21 to 23 March, and its carried days
    assert due_at.date() == first_working and due_at.hour == 18


def test_the_same_report_twice_is_one_case_and_a_reused_key_with_another_body_is_409(
    client: FlaskClient, session: Session, token: str
) -> None:
    first = post(client, token, report(), **{"Idempotency-Key": "k-1"})
    again = post(client, token, report(), **{"Idempotency-Key": "k-1"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json() == first.get_json()
    resent = post(client, token, report())  # no key: the source's reference finds it
    assert (
        resent.status_code == 200
        and resent.get_json()["case_code"] == first.get_json()["case_code"]
    )
    other = post(client, token, report(reference="111-2026-9"), **{"Idempotency-Key": "k-1"})
    assert other.status_code == 409
    assert other.content_type == "application/problem+json"
    assert cases(session) == 2  # the factory's case and this one


@pytest.mark.postgresql_only  # concurrent writers, as in production
def test_the_same_report_sent_at_once_makes_one_case_on_postgresql(
    app: Flask, session: Session, token: str
) -> None:
    barrier = threading.Barrier(6)
    statuses: list[int] = []
    codes: set[str] = set()

    def send(n: int) -> None:
        client = app.test_client()
        barrier.wait()
        headers = {"Idempotency-Key": "same"} if n % 2 else {}
        response = post(client, token, report(), **headers)
        statuses.append(response.status_code)
        codes.add(response.get_json()["case_code"])

    threads = [threading.Thread(target=send, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] * 5 + [201]
    assert len(codes) == 1 and cases(session) == 2


def test_tokens_scopes_and_the_rate_limit(
    client: FlaskClient, session: Session, district: District, token: str, settings: Settings
) -> None:
    assert client.post("/api/v1/reports", json=report()).status_code == 401
    assert post(client, "birge_not-a-token", report()).status_code == 401
    reader = create_integration(
        session, name="reader", district_id=district.row.id or 0, scopes=[Scope.REPORTS_READ]
    )
    session.commit()
    refused = post(client, reader.token, report())
    assert refused.status_code == 403 and refused.content_type == "application/problem+json"
    code = post(client, token, report()).get_json()["case_code"]
    assert (
        client.get(
            f"/api/v1/reports/{code}", headers={"Authorization": f"Bearer {reader.token}"}
        ).status_code
        == 200
    )
    revoke_integration(session, "helpline-111")
    session.commit()
    assert post(client, token, report()).status_code == 401
    assert cases(session) == 2  # nothing a refused request sent was written


def test_a_token_is_limited_per_minute(
    make_settings: Callable[..., Settings], database_url: str, district: District, session: Session
) -> None:
    settings = make_settings(database_url, BIRGE_API_REQUESTS_PER_MINUTE="3")
    client = create_app(settings).test_client()
    issued = create_integration(session, name="busy", district_id=district.row.id or 0)
    session.commit()
    statuses = [
        post(client, issued.token, report(reference=f"r-{n}")).status_code for n in range(4)
    ]
    assert statuses[:3] == [201, 201, 201] and statuses[3] == 429
    late = post(client, issued.token, report(reference="r-late"))
    assert 0 < int(late.headers["Retry-After"]) <= 60


def test_a_case_is_read_back_with_its_tasks_states_and_only_by_its_district(
    client: FlaskClient, session: Session, district: District, token: str
) -> None:
    code = post(client, token, report()).get_json()["case_code"]
    task = session.scalars(
        select(Task).join(Case, col(Case.id) == col(Task.case_id)).where(col(Case.code) == code)
    ).first()
    assert task is not None
    complete_task(session, district.coordinator, task, note="Информация передана", now=NOW)
    session.commit()
    answer = client.get(f"/api/v1/reports/{code}", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    body = answer.get_json()
    assert body["case_code"] == code and body["status"] == "open"
    states = {t["state"] for t in body["tasks"]}
    assert "done" in states and "overdue" in states  # "immediately" was a week ago
    done = next(t for t in body["tasks"] if t["state"] == "done")
    assert done["completed_at"] == "2026-12-01T10:00:00+05:00"
    assert session.scalars(
        select(AuditEvent).where(col(AuditEvent.action) == "api.report_read")
    ).all()

    other = make_district(session, tag="-b")
    stranger = create_integration(session, name="elsewhere", district_id=other.row.id or 0)
    session.commit()
    missing = client.get(
        f"/api/v1/reports/{code}", headers={"Authorization": f"Bearer {stranger.token}"}
    )
    assert missing.status_code == 404 and missing.content_type == "application/problem+json"


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ("not json", 400, None),
        ([1, 2], 400, None),
        (report(received_at="2026-12-02T10:00:00+05:00"), 422, "received_at"),
        (report(received_at="2026-10-01T10:00:00+05:00"), 422, "received_at"),
        (report(received_at="2026-11-27T17:00:00"), 422, "received_at"),
        (report(receiving_agency="no-such-agency"), 422, "receiving_agency"),
        (report(signs_of_offence="yes"), 422, "signs_of_offence"),
        (report(category="unknown"), 422, "category"),
        (report(child={"name": CHILD_NAME * 20}), 422, "child.name"),
        (report(child={"name": "a\x00b"}), 422, "child_name"),
        # Looked up before the case is opened: PostgreSQL answered a NUL with an error (a 500).
        (report(reference="111-\x00"), 422, "reference"),
        (report(receiving_agency="educ\x00ation"), 422, "receiving_agency"),
        (report(reference="111-\x1b[2J"), 422, "reference"),
        # The schema says strings: a number is no moment, though pydantic could read it as one.
        (report(received_at=int(NOW.timestamp()) - 3600), 422, "received_at"),
        (report(child={"birth_date": 1425168000}), 422, "child.birth_date"),
        (report(notes=CHILD_NAME, extra="x"), 422, "extra"),
        ({k: v for k, v in report().items() if k != "source"}, 422, "source"),
    ],
)
def test_bad_reports_are_clear_problems_that_write_nothing_and_echo_nothing(
    client: FlaskClient, session: Session, token: str, body: Any, status: int, field: str | None
) -> None:
    data = body if isinstance(body, str) else json.dumps(body)
    response = client.post(
        "/api/v1/reports",
        data=data,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    assert response.status_code == status, response.get_json()
    assert response.content_type == "application/problem+json"
    problem = response.get_json()
    assert problem["status"] == status and problem["title"]
    if field is not None:
        assert field in {e["field"] for e in problem["errors"]}, problem
    assert CHILD_NAME not in response.get_data(as_text=True)
    assert cases(session) == 1


def test_a_case_code_with_a_nul_is_not_found_rather_than_an_error(
    client: FlaskClient, token: str
) -> None:
    response = client.get(
        "/api/v1/reports/D-2026%000042", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 404
    assert response.content_type == "application/problem+json"


@pytest.mark.postgresql_only  # routing, the same on any database
def test_a_method_the_api_does_not_offer_is_405_naming_those_it_does(client: FlaskClient) -> None:
    for method, path, allowed in (
        ("TRACE", "/api/v1/reports", {"POST", "OPTIONS"}),
        ("PUT", "/api/v1/reports", {"POST", "OPTIONS"}),
        ("DELETE", "/api/v1/reports/D-2026-0042", {"GET", "HEAD", "OPTIONS"}),
    ):
        response = client.open(path, method=method)
        assert response.status_code == 405
        assert response.content_type == "application/problem+json"
        assert {m.strip() for m in response.headers["Allow"].split(",")} == allowed


def test_a_database_outage_is_a_503_problem_saying_when_to_try_again(
    make_settings: Callable[..., Settings],
) -> None:
    nowhere = f"postgresql://postgres@127.0.0.1:{services.free_port()}/birge"  # nothing listens
    client = create_app(make_settings(nowhere)).test_client()
    response = post(client, "birge_any-token", report())
    assert response.status_code == 503
    assert response.content_type == "application/problem+json"
    assert int(response.headers["Retry-After"]) > 0


def test_a_body_past_a_megabyte_is_refused_unread(
    client: FlaskClient, session: Session, token: str
) -> None:
    response = post(client, token, report(notes="x" * (2 * 1024 * 1024)))
    assert response.status_code == 413
    assert response.content_type == "application/problem+json"
    assert cases(session) == 1


def test_the_contract_is_published_and_readable_without_a_cdn(client: FlaskClient) -> None:
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"] == "3.1.0"
    assert {"/reports", "/reports/{case_code}"} <= set(document["paths"])
    assert "ReportIn" in document["components"]["schemas"]
    for path, method in (("/reports", "post"), ("/reports/{case_code}", "get")):
        # Every answer a client can meet is declared, the outage's 503 too.
        assert {"401", "403", "429", "503"} <= set(document["paths"][path][method]["responses"])
    page = client.get("/api/v1/docs")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "POST /reports" in html and "receiving_agency" in html
    assert "<script" not in html and "https://" not in html
    assert client.get("/api/v1/nothing").content_type == "application/problem+json"
