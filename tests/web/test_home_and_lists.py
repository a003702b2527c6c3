"""The home page per role, the paginated meeting list, the calendar view's JSON, the layout."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from flask.testing import FlaskClient
from sqlmodel import Session

from models.core.base import utcnow
from models.core.settings import Settings
from models.meetings.sittings import next_sitting
from models.tasks.tables import Task
from models.tick import plan_due
from tests.factories import (
    CHILD,
    District,
    add_meetings,
    csrf_token,
    in_days,
    login,
    logout,
    make_user,
    open_test_case,
    schedule,
)
from tests.models.meetings.test_series import running_council


def test_the_chair_and_the_secretary_see_the_district_not_their_agency(
    client: FlaskClient, district: District, session: Session, settings: Settings
) -> None:
    schedule(session, settings, district)  # education with the police; the akimat is not in it
    secretary = make_user(session, district.akimat, "secretary@akimat.test", "coordinator")
    session.commit()
    for email in (district.chair.email, secretary.email):
        login(client, email)
        page = client.get("/").get_data(as_text=True)
        assert "Обзор района" in page
        assert "Обследование условий проживания" in page  # a meeting the akimat is not in
        # Per agency: the police and education have one meeting, the school none.
        assert re.search(r"Отдел полиции</span><span class=\"count\">1<", page)
        assert "Не запланировано ни одной встречи с: " in page and "Школа № 1" in page
        client.post("/logout", data={"csrf_token": csrf_token(page)})
    login(client, district.inspector.email)
    page = client.get("/").get_data(as_text=True)
    assert "Обзор района" not in page and "Обследование условий проживания" in page


def test_the_meeting_list_pages_and_never_loads_everything(
    client: FlaskClient, district: District, session: Session
) -> None:
    add_meetings(session, district, 45)
    login(client, district.inspector.email)
    first = client.get("/meetings").get_data(as_text=True)
    assert first.count('<li>\n    <span class="when">') == 20
    assert "Обследование 000" in first and "Обследование 020" not in first
    assert 'rel="next" href="/meetings?page=2"' in first and 'rel="prev"' not in first
    third = client.get("/meetings?page=3").get_data(as_text=True)
    assert third.count('<span class="when">') == 5 and 'rel="next"' not in third
    assert "Обследование 044" in third
    # Nonsense page numbers are the first page, not an error.
    assert client.get("/meetings?page=0").status_code == 200
    assert client.get("/meetings?page=-4").status_code == 200
    assert client.get("/meetings?page=99999999999").status_code == 200
    assert "Встреч нет." in client.get("/meetings?when=past").get_data(as_text=True)
    assert "Встреч нет." in client.get("/meetings?kind=prevention_council").get_data(as_text=True)


def test_the_school_sees_only_its_own_meetings_in_the_list(
    client: FlaskClient, district: District, session: Session
) -> None:
    add_meetings(session, district, 3)
    login(client, district.pedagogue.email)
    assert "Обследование 000" not in client.get("/meetings").get_data(as_text=True)


def test_calendar_events_are_the_visible_meetings_in_district_time(
    client: FlaskClient, district: District, session: Session, settings: Settings
) -> None:
    meeting = schedule(
        session, settings, district, starts_at=in_days(2, hour=4), ends_at=in_days(2, hour=5)
    ).meeting
    session.commit()
    day = in_days(2).date()
    window = f"start={day - timedelta(days=3)}T00:00:00Z&end={day + timedelta(days=3)}T00:00:00Z"
    login(client, district.inspector.email)
    page = client.get("/calendar/view").get_data(as_text=True)
    assert "fullcalendar.global.min.js" in page and 'data-locale="ru"' in page
    events = client.get(f"/calendar/events?{window}").get_json()
    assert [e["id"] for e in events] == [meeting.id]
    assert events[0]["start"] == f"{day}T09:00" and events[0]["end"] == f"{day}T10:00"  # Almaty
    assert (events[0]["type"], events[0]["kind"]) == ("meeting", "joint_inspection")
    assert events[0]["status"] == "scheduled"
    assert 'data-meeting-url="/meetings/"' in page and "Совместное обследование" in page
    # Filters: by kind and by agency.
    assert client.get(f"/calendar/events?{window}&kind=prevention_council").get_json() == []
    school = district.school.id
    assert client.get(f"/calendar/events?{window}&agency={school}").get_json() == []
    assert len(client.get(f"/calendar/events?{window}&agency={district.police.id}").get_json()) == 1
    # Bad ranges are a clear 400, never a 500.
    for bad in (
        "start=yesterday&end=tomorrow",
        "start=2026-01-01&end=2026-12-31",
        "",
        f"{window}&agency=x",
        f"{window}&agency=99999999999999999999999",
        "start=0001-01-01T00:00:00&end=0001-01-20T00:00:00",
        "start=9999-12-20T00:00:00&end=9999-12-31T23:00:00",
    ):
        response = client.get(f"/calendar/events?{bad}")
        assert response.status_code == 400 and "100" in response.get_json()["error"]
    client.post("/logout", data={"csrf_token": csrf_token(page)})
    login(client, district.pedagogue.email)  # the school is not invited
    assert client.get(f"/calendar/events?{window}").get_json() == []


def test_calendar_events_carry_the_task_deadlines_the_user_may_see(
    client: FlaskClient, district: District, session: Session
) -> None:
    # A case of education alone: the school and the police may not know of it.
    hidden = open_test_case(session, district, agency_ids=[]).case

    def task(title: str, agency: int | None, due: datetime, **over: object) -> Task:
        row = Task(
            district_id=district.row.id,  # type: ignore[arg-type]
            title=title,
            responsible_agency_id=agency,  # type: ignore[arg-type]
            due_at=due,
            **over,  # type: ignore[arg-type]
        )
        session.add(row)
        return row

    visit = task("Посетить семью", district.police.id, in_days(2, hour=6), case_id=district.case.id)
    late = task("Запросить характеристику", district.police.id, in_days(-1))
    done = task("Проверить условия", district.police.id, in_days(1), status="done")
    task("Отменено", district.police.id, in_days(1), status="cancelled")
    task("Вне окна", district.police.id, in_days(9))
    plan = task("Составить план", district.education.id, in_days(3), case_id=hidden.id)
    secret = task("Беседа с классом", district.school.id, in_days(1), case_id=hidden.id)
    session.commit()
    day = in_days(2).date()
    window = f"start={day - timedelta(days=4)}T00:00:00Z&end={day + timedelta(days=4)}T00:00:00Z"

    def deadlines(query: str = "") -> dict[int, dict[str, object]]:
        response = client.get(f"/calendar/events?{window}{query}")
        assert response.status_code == 200
        assert CHILD.child_name not in response.get_data(as_text=True)
        return {e["id"]: e for e in response.get_json() if e["type"] == "task"}

    login(client, district.inspector.email)  # police: its agency's deadlines, not education's
    page = client.get("/calendar/view").get_data(as_text=True)
    assert 'data-task-url="/tasks/"' in page
    assert '<option value="task_deadline">Срок поручения</option>' in page
    seen = deadlines()
    assert set(seen) == {visit.id, late.id, done.id}
    assert seen[visit.id] == {
        "type": "task",
        "id": visit.id,
        "title": "Посетить семью",
        "start": f"{day}T11:00",  # 06:00 UTC is 11:00 in Almaty
        "allDay": False,
        "kind": "task_deadline",
        "status": "open",
        "overdue": False,
        "case": "D-2026-0042",
        "agency": district.police.id,
    }
    assert (seen[late.id]["overdue"], seen[late.id]["case"]) == (True, None)
    assert (seen[done.id]["status"], seen[done.id]["overdue"]) == ("done", False)
    # The kind filter: task deadlines alone, or meetings alone; the agency filter.
    only = client.get(f"/calendar/events?{window}&kind=task_deadline").get_json()
    assert {e["id"] for e in only} == set(seen) and {e["type"] for e in only} == {"task"}
    assert deadlines("&kind=joint_inspection") == {}
    assert set(deadlines(f"&agency={district.police.id}")) == set(seen)
    assert deadlines(f"&agency={district.education.id}") == {}
    logout(client)

    login(client, district.chair.email)  # the chair: the district's
    assert set(deadlines()) == {visit.id, late.id, done.id, plan.id, secret.id}
    assert deadlines()[secret.id]["case"] == hidden.code
    assert set(deadlines(f"&agency={district.school.id}")) == {secret.id}
    logout(client)

    login(client, district.pedagogue.email)  # the school's task, but of a case it may not see
    assert deadlines() == {}


def test_the_calendar_page_allows_the_bundles_styles_by_nonce_only(
    client: FlaskClient, district: District
) -> None:
    login(client, district.inspector.email)
    response = client.get("/calendar/view")
    nonce = re.search(r'<meta name="csp-nonce" content="([^"]+)">', response.get_data(as_text=True))
    assert nonce is not None
    policy = response.headers["Content-Security-Policy"]
    assert f"style-src 'self' 'nonce-{nonce.group(1)}'" in policy
    assert "unsafe-inline" not in policy


def test_kazakh_dates_are_in_kazakh_order(
    client: FlaskClient, district: District, session: Session, settings: Settings
) -> None:
    schedule(session, settings, district)
    session.commit()
    login(client, district.police_head.email)  # reads Kazakh
    page = client.get("/").get_data(as_text=True)
    assert re.search(r"\d{4}\s?ж\.\s\d{1,2} [а-яәіңғүұқөһ]+, 10:00", page)


def test_the_403_page_speaks_the_chosen_language(client: FlaskClient, district: District) -> None:
    login(client, district.police_head.email)  # a Kazakh speaker who switches to English
    page = client.get("/").get_data(as_text=True)
    client.post("/locale", data={"locale": "en", "next": "/", "csrf_token": csrf_token(page)})
    response = client.get("/admin/agencies")  # agencies are for administrators only
    assert response.status_code == 403
    text = response.get_data(as_text=True)
    assert "You may not open this page." in text and 'lang="en"' in text


def test_the_header_offers_every_language_and_a_skip_link(
    client: FlaskClient, district: District
) -> None:
    page = client.get("/login").get_data(as_text=True)
    assert page.index('class="skip" href="#content"') < page.index("<header")
    for name in ("Русский", "Қазақша", "English"):
        assert name in page


def test_task_panels_my_agencys_tasks_and_the_districts_record(
    client: FlaskClient, district: District, session: Session
) -> None:
    open_test_case(session, district)  # March 2026: its statutory tasks are long overdue
    now = datetime.now(UTC)
    for due_days_ago, done in ((10, True), (5, False)):
        session.add(
            Task(
                district_id=district.row.id,  # type: ignore[arg-type]
                title="Посещение семьи",
                responsible_agency_id=district.police.id,  # type: ignore[arg-type]
                due_at=now - timedelta(days=due_days_ago),
                status="done" if done else "open",
                completed_at=now - timedelta(days=due_days_ago + 1) if done else None,
            )
        )
    session.commit()
    login(client, district.coordinator.email)  # education leads the case
    page = client.get("/").get_data(as_text=True)
    assert "Поручения моего ведомства" in page
    assert re.search(r'bucket=overdue">[1-9]\d*</a>', page)
    assert "D-2026-" in page  # the pressing tasks show their case code, never a child
    assert "Тестов" not in page
    client.post("/logout", data={"csrf_token": csrf_token(page)})
    login(client, district.chair.email)
    page = client.get("/").get_data(as_text=True)
    assert "Просроченные поручения по ведомствам" in page
    assert re.search(r"Отдел образования</a><span class=\"count\">[1-9]", page)
    assert re.search(r"Отдел полиции</a><span class=\"count\">1<", page)
    # Police: of two tasks due in the last 90 days one was done in time.
    assert re.search(r"Отдел полиции</span><span class=\"count\">50%<", page)


def test_the_council_shows_on_the_home_page_in_april_with_the_april_date(
    client: FlaskClient, district: District, session: Session, settings: Settings
) -> None:
    """A monthly council whose first sitting was two months ago: the home page and the meeting
    list show it by its next sitting, in its place among the other meetings."""
    meeting = running_council(session, settings, district)
    sitting = next_sitting(session, meeting, settings.zone, now=utcnow())
    assert sitting is not None
    before = schedule(
        session,
        settings,
        district,
        title="Раньше совета",
        starts_at=sitting.starts_at - timedelta(hours=3),
        ends_at=sitting.starts_at - timedelta(hours=2),
    ).meeting
    after = schedule(
        session,
        settings,
        district,
        title="Позже совета",
        starts_at=sitting.starts_at + timedelta(days=1),
        ends_at=sitting.starts_at + timedelta(days=1, hours=1),
    ).meeting
    session.commit()
    plan_due(session, settings, now=utcnow())  # the scheduler's tick
    session.commit()
    local = sitting.starts_at.astimezone(settings.zone)
    months = (
        "января",
        "февраля",
        "марта",
        "апреля",
        "мая",
        "июня",
        "июля",
        "августа",
        "сентября",
        "октября",
        "ноября",
        "декабря",
    )
    when = f"{local.day} {months[local.month - 1]} {local.year}, 15:00"
    login(client, district.inspector.email)
    home = client.get("/").get_data(as_text=True)
    assert "Совет профилактики школы № 1" in home and when in home
    listing = client.get("/meetings").get_data(as_text=True)
    titles = re.findall(r'class="title" href="/meetings/(\d+)"', listing)
    assert titles == [str(before.id), str(meeting.id), str(after.id)]
    assert when in listing
    council_only = client.get("/meetings?kind=prevention_council").get_data(as_text=True)
    assert when in council_only
