"""A task overdue by less than a working day is said so, never "0 working days overdue"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask.testing import FlaskClient
from sqlmodel import Session

from models.core.base import utcnow
from models.core.settings import Settings
from models.tasks.emails import TaskFacts, escalation_email
from models.tasks.operations import create_task
from tests.factories import District, in_days, login, schedule

ALMATY = ZoneInfo("Asia/Almaty")


def facts(days: int) -> TaskFacts:
    return TaskFacts(
        task_id=8,
        title="Провести обследование",
        case_code="D-2026-0042",
        agency_name="Отдел полиции",
        due_at=datetime(2027, 3, 19, 13, 0, tzinfo=UTC),
        working_days_overdue=days,
        url="http://birge.test/tasks/8",
    )


def test_an_escalation_at_the_due_moment_says_less_than_a_working_day() -> None:
    for locale, words in (
        ("ru", "меньше рабочего дня"),
        ("kk", "бір жұмыс күнінен аз"),
        ("en", "less than a working day overdue"),
    ):
        email = escalation_email(facts(0), level=1, locale=locale, zone=ALMATY)
        assert words in email.subject and words in email.text, locale
        assert " 0 " not in email.subject, email.subject
    later = escalation_email(facts(2), level=2, locale="ru", zone=ALMATY)
    assert "2 рабочих дня" in later.subject


def test_the_agenda_says_less_than_a_working_day_for_a_task_due_today(
    client: FlaskClient, session: Session, settings: Settings, district: District
) -> None:
    now = utcnow()
    create_task(
        session,
        district.chair,
        settings=settings,
        title="Передать материалы в суд",
        agency_id=district.police.id or 0,
        due_at=now - timedelta(minutes=1),
        now=now - timedelta(hours=2),
    )
    meeting = schedule(
        session,
        settings,
        district,
        organizer=district.chair,
        kind="coordination_meeting",
        title="Заседание комиссии",
        starts_at=in_days(1),
        ends_at=in_days(1) + timedelta(hours=2),
        agency_ids=[district.education.id, district.police.id, district.school.id],
    ).meeting
    session.commit()
    login(client, district.chair.email)
    page = client.get(f"/meetings/{meeting.id}").get_data(as_text=True)
    assert "Передать материалы в суд" in page
    assert "Просрочено рабочих дней: 0" not in page
    assert "меньше рабочего дня" in page
