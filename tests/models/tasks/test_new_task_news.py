"""An agency learns of a new task at once: by hand or from a meeting's decision, one email per
person of the agency, in their language, with the case code only, sent by the workers."""

from __future__ import annotations

import email
from email.message import Message

from sqlalchemy import select
from sqlmodel import Session, col

from models.core.base import utcnow
from models.core.settings import Settings
from models.minutes.recording import DecisionDraft, record_minutes
from models.outbox.keys import parse_task_created_key
from models.outbox.notifications import Notification
from models.tasks.operations import cancel_task, create_task
from tests.factories import (
    CHILD,
    District,
    held_case_conference,
    in_days,
    make_user,
)
from tests.queues import run_until_idle
from workers.runtime import Runtime


def news(session: Session) -> list[Notification]:
    session.expire_all()
    return [
        n
        for n in session.scalars(select(Notification).order_by(col(Notification.id)))
        if parse_task_created_key(n.dedupe_key) is not None
    ]


def delivered(runtime: Runtime, ids: list[int]) -> list[Message]:
    """Send *ids* through the workers and read back the ``.eml`` files they wrote."""
    runtime.actors.send_notifications.send(ids)
    run_until_idle(runtime, threads=1)
    folder = runtime.settings.smtp.directory
    assert folder is not None
    return [email.message_from_bytes(p.read_bytes()) for p in sorted(folder.glob("*.eml"))]


def text_of(message: Message) -> str:
    parts = [p for p in message.walk() if p.get_content_type() == "text/plain"]
    payload = parts[0].get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode("utf-8")


def test_a_task_given_by_hand_is_emailed_at_once_to_its_agency_in_each_language(
    session: Session, settings: Settings, district: District, runtime: Runtime
) -> None:
    now = utcnow()
    task = create_task(
        session,
        district.chair,
        settings=settings,
        title="Посетить семью по случаю D-2026-0042",
        agency_id=district.police.id or 0,
        due_at=in_days(5, hour=13),
        now=now,
        case=district.case,
    )
    session.commit()
    written = news(session)
    # The police's active people (nobody assigned): not the retired one, not the chair.
    assert {n.recipient for n in written} == {"inspector@police.test", "head@police.test"}
    assert all(n.task_id == task.id for n in written)
    by_user = {n.recipient: n for n in written}
    assert by_user["head@police.test"].locale == "kk"  # the head reads Kazakh
    assert by_user["head@police.test"].subject.startswith(
        "Ведомствоңызға жаңа тапсырма: D-2026-0042"
    )
    assert by_user["inspector@police.test"].subject.startswith(
        "Новое поручение вашему ведомству: D-2026-0042"
    )

    mails = delivered(runtime, [n.id or 0 for n in written])
    assert {m["To"] for m in mails} == {"inspector@police.test", "head@police.test"}
    for message in mails:
        body = text_of(message)
        assert "D-2026-0042" in body and "Посетить семью по случаю D-2026-0042" in body
        assert f"http://birge.test/tasks/{task.id}" in body
        assert CHILD.child_name not in body and CHILD.child_name not in str(message["Subject"])

    # A retried creation writes nothing twice; the one who gave the task is not told.
    assert len(news(session)) == 2


def test_each_decision_of_the_minutes_tells_its_agency_and_its_assignee(
    session: Session, settings: Settings, district: District
) -> None:
    meeting = held_case_conference(session, settings, district)
    make_user(session, district.school, "teacher@school.test")
    session.commit()
    recorded = record_minutes(
        session,
        district.coordinator,
        meeting,
        settings=settings,
        text="Заслушали инспектора.",
        present_user_ids=[district.inspector.id or 0],
        present_agency_ids=[],
        decisions=[
            DecisionDraft(
                text="Посетить семью",
                agency_id=district.police.id,
                due_kind="working_days",
                due_days=3,
                assignee_id=district.inspector.id,
            ),
            DecisionDraft(
                text="Составить план работы",
                agency_id=district.school.id,
                due_kind="working_days",
                due_days=5,
            ),
        ],
        now=utcnow(),
    )
    session.commit()
    police, school = recorded.tasks
    told = {(n.task_id, n.recipient) for n in news(session)}
    assert (police.id, "inspector@police.test") in told  # the assignee alone
    assert (police.id, "head@police.test") not in told
    assert {r for t, r in told if t == school.id} >= {
        "pedagogue@school.test",
        "teacher@school.test",
    }


def test_the_news_of_a_task_closed_before_it_was_sent_is_not_sent(
    session: Session, settings: Settings, district: District
) -> None:
    now = utcnow()
    task = create_task(
        session,
        district.chair,
        settings=settings,
        title="Запросить характеристику",
        agency_id=district.police.id or 0,
        due_at=in_days(5, hour=13),
        now=now,
    )
    session.commit()
    assert {n.status for n in news(session)} == {"pending"}
    cancel_task(session, district.chair, task, reason="Дублирует другое поручение", now=now)
    session.commit()
    assert {(n.status, n.last_error) for n in news(session)} == {("voided", "task cancelled")}
