"""The minutes pages: record a held meeting, see its decisions as tasks, download the DOCX
protocol; bad input answers 400 at its field and writes nothing."""

from __future__ import annotations

import re
from datetime import timedelta
from io import BytesIO

import docx
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlmodel import Session, SQLModel

from models.cases.tables import Case, CaseRestricted
from models.core.base import utcnow
from models.core.settings import Settings
from models.meetings.sittings import sitting_key, sitting_times
from models.meetings.tables import Meeting
from models.minutes.tables import MeetingMinutes
from models.tasks.operations import create_task
from models.tasks.tables import Task, TaskOrigin
from tests.factories import (
    CHILD,
    District,
    csrf_token,
    held_case_conference,
    in_days,
    login,
    schedule,
    schedule_case_conference,
)
from tests.models.meetings.test_series import running_council


def minutes_form(client: FlaskClient, meeting: Meeting, district: District) -> dict[str, object]:
    page = client.get(f"/meetings/{meeting.id}/minutes")
    assert page.status_code == 200
    return {
        "csrf_token": csrf_token(page.get_data(as_text=True)),
        "people": [str(district.coordinator.id), str(district.inspector.id)],
        "text": "Заслушали инспектора.\nРешили поручить посещение семьи.",
        "decisions-0-text": "Посетить семью по случаю D-2026-0042",
        "decisions-0-agency": str(district.police.id),
        "decisions-0-assignee": str(district.inspector.id),
        "decisions-0-due_kind": "working_days",
        "decisions-0-due_days": "3",
        "decisions-1-text": "Составить индивидуальный план работы",
        "decisions-1-agency": str(district.school.id),
        "decisions-1-due_kind": "date",
        "decisions-1-due_date": in_days(20).date().isoformat(),
    }


def rows(session: Session) -> tuple[int, ...]:
    session.rollback()
    return tuple(
        session.scalar(select(func.count()).select_from(t)) or 0
        for t in SQLModel.metadata.sorted_tables
        if t.name not in ("user_session", "sign_in_throttle")
    )


def test_the_organizer_records_minutes_and_the_decisions_are_tasks(
    client: FlaskClient, session: Session, settings: Settings, district: District
) -> None:
    meeting = held_case_conference(session, settings, district)
    login(client, district.coordinator.email)
    show = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "Записать протокол" in show

    response = client.post(
        f"/meetings/{meeting.id}/minutes", data=minutes_form(client, meeting, district)
    )
    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    assert "Посетить семью по случаю D-2026-0042" in page
    assert "Протокол № 1: Индивидуальный план работы" in page  # numbered when recorded
    assert "Отдел полиции" in page and "Inspector" in page
    tasks = session.scalars(select(Task).where(Task.origin == TaskOrigin.DECISION)).all()
    assert {t.responsible_agency_id for t in tasks} == {district.police.id, district.school.id}

    # The police see the decision in their task list.
    police = client.application.test_client()
    login(police, district.police_head.email)
    listing = police.get("/tasks?scope=agency").get_data(as_text=True)
    assert "Посетить семью по случаю D-2026-0042" in listing
    # Recorded once: a second submission is refused.
    again = client.post(
        f"/meetings/{meeting.id}/minutes", data={"text": "x", "csrf_token": csrf_token(page)}
    )
    assert again.status_code == 409


def test_bad_input_is_shown_at_its_field_with_400_and_nothing_written(
    client: FlaskClient, session: Session, settings: Settings, district: District
) -> None:
    meeting = held_case_conference(session, settings, district)
    login(client, district.coordinator.email)
    form = minutes_form(client, meeting, district)
    before = rows(session)
    cases = [
        ({"text": "  "}, "Напишите протокол."),
        ({"people": []}, "Отметьте, кто присутствовал."),
        ({"decisions-0-agency": ""}, "Выберите ответственное ведомство."),
        ({"decisions-0-due_days": "0"}, "1"),
        ({"decisions-1-due_date": "2026-01-05"}, "Этот срок уже прошёл."),
        ({"decisions-0-assignee": str(district.pedagogue.id)}, "Выберите сотрудника"),
        ({"decisions-0-agency": "999999"}, "Неверный вариант."),
        ({"decisions-1-due_date": "9999-12-31"}, "Укажите дату"),
        ({"decisions-0-text": "a\x00b"}, "недопустимые"),
        ({"text": "x" * 20_001}, "20000"),
    ]
    for change, message in cases:
        response = client.post(f"/meetings/{meeting.id}/minutes", data=form | change)
        body = response.get_data(as_text=True)
        assert response.status_code == 400, change
        assert 'class="error"' in body and message in body, (change, message)
        assert rows(session) == before, change


def test_only_the_organizer_secretary_or_chair_records_and_not_before_the_meeting(
    client: FlaskClient, session: Session, settings: Settings, district: District
) -> None:
    meeting = held_case_conference(session, settings, district)
    future = schedule_case_conference(session, settings, district).meeting
    session.commit()
    login(client, district.police_head.email)  # invited, but not the organizer
    page = client.get(f"/meetings/{meeting.id}/minutes")
    assert page.status_code == 200 and "<textarea" not in page.get_data(as_text=True)
    token = csrf_token(page.get_data(as_text=True))
    assert (
        client.post(f"/meetings/{meeting.id}/minutes", data={"csrf_token": token}).status_code
        == 403
    )
    other = client.application.test_client()
    login(other, district.coordinator.email)
    early = other.get(f"/meetings/{future.id}/minutes").get_data(as_text=True)
    assert "после начала встречи" in early and "<textarea" not in early


def test_the_protocol_is_a_docx_in_russian_or_kazakh_with_codes_only(
    client: FlaskClient, session: Session, settings: Settings, district: District
) -> None:
    session.add(
        CaseRestricted(
            case_id=district.case.id,
            child_name=CHILD.child_name,
            address=CHILD.address,
            school_class=CHILD.school_class,
            notes=CHILD.notes,
        )
    )
    session.commit()
    meeting = held_case_conference(session, settings, district)
    login(client, district.coordinator.email)
    client.post(f"/meetings/{meeting.id}/minutes", data=minutes_form(client, meeting, district))

    response = client.get(f"/meetings/{meeting.id}/protocol.docx")
    assert response.status_code == 200
    assert response.mimetype.endswith("wordprocessingml.document")
    assert f"protocol-{meeting.id}-ru.docx" in response.headers["Content-Disposition"]
    text = docx_text(response.data)
    assert "ПРОТОКОЛ".lower() in text.lower()
    for expected in [
        "D-2026-0042",
        "Отдел полиции",
        "Inspector",
        "Посетить семью по случаю D-2026-0042",
        "Составить индивидуальный план работы",
        "Председатель",
        "Секретарь",
        "отсутствовал",  # the school sent nobody
    ]:
        assert expected in text, expected
    for secret in (CHILD.child_name, CHILD.address, CHILD.school_class, CHILD.notes):
        assert secret not in text
    assert str(in_days(20).year) in text  # the due dates, written out

    kazakh = docx_text(client.get(f"/meetings/{meeting.id}/protocol.docx?lang=kk").data)
    assert "Хаттама" in kazakh and "Мекеме police" in kazakh and "Төраға" in kazakh
    assert client.get(f"/meetings/{meeting.id}/protocol.docx?lang=xx").status_code == 400


def test_no_protocol_before_the_minutes_and_none_for_outsiders(
    client: FlaskClient, session: Session, settings: Settings, district: District
) -> None:
    meeting = held_case_conference(session, settings, district)
    login(client, district.coordinator.email)
    assert client.get(f"/meetings/{meeting.id}/protocol.docx").status_code == 404
    outsider = schedule(session, settings, district).meeting  # education and police only
    session.commit()
    pedagogue = client.application.test_client()
    login(pedagogue, district.pedagogue.email)
    assert pedagogue.get(f"/meetings/{outsider.id}/minutes").status_code == 404


def test_the_coordination_meeting_page_shows_the_overdue_tasks_then_freezes_them(
    client: FlaskClient, session: Session, settings: Settings, district: District
) -> None:
    task = create_task(
        session,
        district.chair,
        settings=settings,
        title="Передать материалы в суд по случаю D-2026-0042",
        agency_id=district.police.id,
        due_at=in_days(-4),
        now=in_days(-6),
        case=district.case,
    )
    meeting = schedule(
        session,
        settings,
        district,
        organizer=district.chair,
        kind="coordination_meeting",
        title="Заседание комиссии",
        starts_at=in_days(-1),
        ends_at=in_days(-1) + timedelta(hours=2),
        agency_ids=[district.education.id, district.police.id, district.school.id],
        now=in_days(-2),
    ).meeting
    session.commit()
    login(client, district.chair.email)
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "Повестка: просроченные поручения по ведомствам" in page
    assert "Передать материалы в суд по случаю D-2026-0042" in page

    form = minutes_form(client, meeting, district)
    form["people"] = [str(district.chair.id), str(district.police_head.id)]
    assert client.post(f"/meetings/{meeting.id}/minutes", data=form).status_code == 302
    task.title = "Изменено после заседания"
    session.commit()
    minutes = client.get(f"/meetings/{meeting.id}/minutes").get_data(as_text=True)
    assert "Передать материалы в суд по случаю D-2026-0042" in minutes
    assert "Изменено после заседания" not in minutes
    text = docx_text(client.get(f"/meetings/{meeting.id}/protocol.docx").data)
    assert "Передать материалы в суд по случаю D-2026-0042" in text
    assert session.scalar(select(func.count()).select_from(MeetingMinutes)) == 1


def docx_text(data: bytes) -> str:
    document = docx.Document(BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


def test_each_sitting_of_a_council_has_its_own_minutes_and_protocol(
    client: FlaskClient, session: Session, settings: Settings, district: District
) -> None:
    """The school's monthly council: the minutes of the later sitting do not overwrite the
    earlier one's; the meeting page lists the held sittings, each with its record."""
    meeting = running_council(session, settings, district)
    held = sitting_times(meeting, [], settings.zone, after=meeting.starts_at, before=utcnow())
    earlier, later = held[-2], held[-1]
    login(client, district.pedagogue.email)  # the school's coordinator, reads English
    show = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    links = re.findall(r'href="/meetings/\d+/minutes\?sitting=(\w+)">Record the minutes<', show)
    assert links[:2] == [sitting_key(later.original_start), sitting_key(earlier.original_start)]

    for sitting, text in ((later, "Second sitting: one pupil."), (earlier, "First: three.")):
        url = f"/meetings/{meeting.id}/minutes?sitting={sitting_key(sitting.original_start)}"
        page = client.get(url).get_data(as_text=True)
        local = sitting.starts_at.astimezone(settings.zone)
        assert f"{local.day} {local:%B} {local.year}" in page  # the sitting's own date
        form = {
            "csrf_token": csrf_token(page),
            "people": [str(district.pedagogue.id)],
            "text": text,
        }
        response = client.post(url, data=form)
        assert response.status_code == 302 and response.location.endswith(url)
    recorded = session.scalars(select(MeetingMinutes)).all()
    assert {(m.sitting_start, m.text) for m in recorded} == {
        (later.original_start, "Second sitting: one pupil."),
        (earlier.original_start, "First: three."),
    }
    key = sitting_key(earlier.original_start)
    page = client.get(f"/meetings/{meeting.id}/minutes?sitting={key}").get_data(as_text=True)
    assert "First: three." in page and "Second sitting" not in page
    show = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert show.count(">Minutes and decisions<") == 2
    protocol = client.get(f"/meetings/{meeting.id}/protocol.docx?sitting={key}")
    local = earlier.starts_at.astimezone(settings.zone)
    assert (
        f"protocol-{meeting.id}-{local.date().isoformat()}-ru.docx"
        in (protocol.headers["Content-Disposition"])
    )
    assert "First: three." in docx_text(protocol.data)
    # a series' minutes always name their sitting; a time that is no sitting is not found
    assert client.get(f"/meetings/{meeting.id}/minutes").status_code == 302
    assert client.get(f"/meetings/{meeting.id}/minutes?sitting=20200101T000000Z").status_code == 404
    assert client.get(f"/meetings/{meeting.id}/minutes?sitting=nonsense").status_code == 404
    assert client.get(f"/meetings/{meeting.id}/protocol.docx").status_code == 404


def test_the_minutes_name_only_the_cases_the_reader_is_on(
    client: FlaskClient, session: Session, settings: Settings, district: District
) -> None:
    """Issue 18, point 7: the police are at the coordination meeting, but a school's case
    they are not on is named by its code only to those on it, on the page and in the DOCX:
    in the agenda's code column and wherever staff wrote the code into a title, the minutes
    or a decision."""
    other = Case(district_id=district.row.id, code="D-2026-0077", lead_agency_id=district.school.id)
    session.add(other)
    session.flush()
    for on_case, title in (
        (district.case, "Передать материалы"),
        (other, "Посетить семью по случаю D-2026-0077"),
    ):
        create_task(
            session,
            district.chair,
            settings=settings,
            title=title,
            agency_id=district.school.id,
            due_at=in_days(-4),
            now=in_days(-6),
            case=on_case,
        )
    meeting = schedule(
        session,
        settings,
        district,
        organizer=district.chair,
        kind="coordination_meeting",
        title="Заседание комиссии",
        starts_at=in_days(-1),
        ends_at=in_days(-1) + timedelta(hours=2),
        agency_ids=[district.education.id, district.police.id, district.school.id],
        now=in_days(-2),
    ).meeting
    session.commit()
    login(client, district.chair.email)
    form = minutes_form(client, meeting, district)
    form["people"] = [str(district.chair.id), str(district.inspector.id)]
    form["text"] = "Заслушали школу по случаям D-2026-0077 и D-2026-0042."
    form["decisions-1-text"] = "Составить план по случаю D-2026-0077"
    assert client.post(f"/meetings/{meeting.id}/minutes", data=form).status_code == 302
    chair_page = client.get(f"/meetings/{meeting.id}/minutes").get_data(as_text=True)
    assert "D-2026-0077" in chair_page and "D-2026-0042" in chair_page

    police = client.application.test_client()
    login(police, district.inspector.email)
    page = police.get(f"/meetings/{meeting.id}/minutes")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "D-2026-0042" in body  # the police are on that case: its code
    assert "Посетить семью по случаю D-…" in body and "Составить план по случаю D-…" in body
    assert "по случаям D-… и D-2026-0042" in body
    assert "D-2026-0077" not in body
    for lang in ("ru", "kk"):
        protocol = police.get(f"/meetings/{meeting.id}/protocol.docx?lang={lang}")
        assert protocol.status_code == 200
        text = docx_text(protocol.data)
        assert "Посетить семью по случаю D-…" in text and "D-2026-0042" in text
        assert "Составить план по случаю D-…" in text
        assert "D-2026-0077" not in text, lang
    show = police.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "D-2026-0077" not in show
