"""Task reminders, escalations and the daily digest, planned by the tick with a frozen clock
moved across a weekend and Nauryz (20-24 March 2027 are days off in Kazakhstan)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlmodel import Session, col

from models.core.settings import Settings
from models.outbox.claims import claim
from models.outbox.notifications import Notification, NotificationStatus
from models.people.tables import District as DistrictRow
from models.tasks.calendar_changes import add_override
from models.tasks.escalation.ladder import EscalationRecipient, EscalationStep
from models.tasks.escalation.planner import replan_task_alerts
from models.tasks.escalation.policy import save_policy
from models.tasks.operations import cancel_task, complete_task, create_task
from models.tasks.tables import Task
from models.tick import plan_due, why_not_send
from tests.conftest import load_settings_for
from tests.factories import District, make_user

#: What the emails of the tasks made here link to.
TASK_SETTINGS = load_settings_for("sqlite:///unused.sqlite3", BIRGE_BASE_URL="http://birge.test")

#: Wednesday 17 March 2027, 10:00 in Almaty: the task is created.
CREATED = datetime(2027, 3, 17, 5, 0, tzinfo=UTC)
#: Friday 19 March 2027, 18:00 in Almaty: the task is due, right before Nauryz.
DUE = datetime(2027, 3, 19, 13, 0, tzinfo=UTC)
THU_18 = datetime(2027, 3, 18, 13, 0, tzinfo=UTC)  # the reminder's moment: after hours
FRI_9 = datetime(2027, 3, 19, 4, 0, tzinfo=UTC)  # so it leaves at 09:00 next morning
AFTER_NAURYZ_9 = datetime(2027, 3, 25, 4, 0, tzinfo=UTC)  # Thursday 25 March, 09:00
NEXT_FRI_9 = datetime(2027, 3, 26, 4, 0, tzinfo=UTC)

POLICE_STAFF = {"inspector@police.test", "head@police.test"}  # the retired one gets nothing


def new_task(session: Session, district: District, **over: object) -> Task:
    values: dict[str, object] = {
        "title": "Провести обследование условий проживания",
        "agency_id": district.police.id,
        "due_at": DUE,
        "now": CREATED,
        "case": district.case,
    }
    values.update(over)
    task = create_task(session, district.coordinator, settings=TASK_SETTINGS, **values)  # type: ignore[arg-type]
    session.commit()
    return task


def tick_at(session: Session, settings: Settings, now: datetime) -> list[Notification]:
    """Run the planner at *now*; return what it wrote."""
    before = set(session.scalars(select(col(Notification.id))))
    plan_due(session, settings, now=now)
    session.commit()
    return [
        n
        for n in session.scalars(select(Notification).order_by(col(Notification.id)))
        if n.id not in before
    ]


def test_a_task_is_reminded_and_escalated_only_in_working_hours_across_nauryz(
    session: Session, settings: Settings, district: District
) -> None:
    task = new_task(session, district)
    assert task.escalation_due_at == FRI_9  # Thursday 18:00 is after hours
    assert tick_at(session, settings, THU_18) == []
    assert tick_at(session, settings, FRI_9 - timedelta(minutes=1)) == []

    reminders = tick_at(session, settings, FRI_9)
    assert {n.recipient for n in reminders} == POLICE_STAFF  # nobody assigned: the agency
    assert {n.kind for n in reminders} == {"task_reminder"}
    assert all(":due:20270319T130000Z:level:0:user:" in n.dedupe_key for n in reminders)
    assert tick_at(session, settings, FRI_9 + timedelta(minutes=5)) == []  # a repeated tick

    # Due at 18:00 on Friday: the weekend and Nauryz pass without an email.
    for day in range(0, 6):
        for hour in (3, 4, 8, 13, 20):  # 08:00, 09:00, 13:00, 18:00, 01:00 in Almaty
            moment = datetime(2027, 3, 19 + day, hour, 0, tzinfo=UTC)
            if moment >= DUE:
                assert tick_at(session, settings, moment) == [], moment

    level1 = tick_at(session, settings, AFTER_NAURYZ_9)
    escalations = [n for n in level1 if n.kind == "escalation"]
    assert [n.recipient for n in escalations] == ["head@police.test"]  # the agency's head
    assert ":level:1:agency:" in escalations[0].dedupe_key
    assert tick_at(session, settings, AFTER_NAURYZ_9 + timedelta(hours=8, minutes=59)) == []

    level2 = [n for n in tick_at(session, settings, NEXT_FRI_9) if n.kind == "escalation"]
    assert [n.recipient for n in level2] == ["chair@akimat.test"]
    assert session.get(Task, task.id).escalation_due_at is None  # type: ignore[union-attr]


def test_the_escalation_says_which_task_case_agency_how_late_and_who_was_told(
    session: Session, settings: Settings, district: District
) -> None:
    district.chair.locale = "kk"
    task = new_task(session, district)
    for moment in (FRI_9, AFTER_NAURYZ_9):
        tick_at(session, settings, moment)
    chair = next(
        n
        for n in tick_at(session, settings, NEXT_FRI_9)
        if n.recipient == "chair@akimat.test" and n.kind == "escalation"
    )
    assert chair.locale == "kk"
    assert chair.subject == "Мерзімі өткен тапсырма, 2-деңгей: D-2026-0042, 2 жұмыс күні өтті"
    for part in (chair.body, chair.html or ""):
        assert "D-2026-0042" in part
        assert "Провести обследование условий проживания" in part
        assert "Мекеме police" in part  # the agency, in Kazakh
        assert "2027 ж. 19 наурыз, 18:00" in part  # the due moment in Almaty time
        assert "head@police.test" in part and "inspector@police.test" in part  # told before
        assert f"http://birge.test/tasks/{task.id}" in part
    assert "<table" in (chair.html or "")


def test_a_completed_task_sends_nothing_more_even_when_already_planned(
    session: Session, settings: Settings, district: District
) -> None:
    task = new_task(session, district)
    planned = tick_at(session, settings, FRI_9) + tick_at(session, settings, AFTER_NAURYZ_9)
    escalation = next(n for n in planned if n.kind == "escalation")
    claimed = claim(session, escalation.id or 0, now=AFTER_NAURYZ_9, lease=timedelta(minutes=1))
    assert claimed is not None
    complete_task(session, district.chair, task, note="Выполнено", now=AFTER_NAURYZ_9)
    session.commit()
    # The worker holding the claim checks again before sending: the task is done.
    assert why_not_send(session, claimed, now=AFTER_NAURYZ_9) == "task done"
    # Everything else of the task that was waiting is voided, and nothing new is planned.
    waiting = [n for n in planned if n.task_id == task.id and n.id != claimed.id]
    assert {n.kind for n in waiting} == {"task_reminder"}  # not sent yet: no worker ran
    for n in waiting:
        session.refresh(n)
        assert n.status == NotificationStatus.VOIDED.value
        assert n.last_error == "task done"
    assert task.escalation_due_at is None
    later = tick_at(session, settings, NEXT_FRI_9)
    assert [n for n in later if n.task_id is not None] == []
    assert [n for n in later if n.kind == "digest"] == []  # nothing is overdue any more


def test_a_cancelled_task_is_not_escalated(
    session: Session, settings: Settings, district: District
) -> None:
    task = new_task(session, district)
    cancel_task(session, district.chair, task, reason="Дубликат", now=CREATED)
    session.commit()
    assert task.escalation_due_at is None
    for moment in (FRI_9, AFTER_NAURYZ_9, NEXT_FRI_9):
        assert [n for n in tick_at(session, settings, moment) if n.task_id] == []


def test_a_moved_due_moment_voids_the_old_plan_and_plans_anew(
    session: Session, settings: Settings, district: District
) -> None:
    task = new_task(session, district, due_at=datetime(2027, 3, 18, 13, 0, tzinfo=UTC))
    # The reminder's moment, Wednesday 18:00, is after hours: it leaves Thursday at 09:00.
    reminder = tick_at(session, settings, datetime(2027, 3, 18, 4, 0, tzinfo=UTC))
    assert {n.recipient for n in reminder} == POLICE_STAFF
    level1 = [n for n in tick_at(session, settings, FRI_9) if n.task_id]
    assert [n.recipient for n in level1] == ["head@police.test"]
    # The due moment moves to Friday 18:00 (the workers were down: nothing was sent).
    task.due_at = DUE
    replan_task_alerts(session, task)
    session.commit()
    for n in reminder + level1:
        session.refresh(n)
        assert n.status == NotificationStatus.VOIDED.value
        assert why_not_send(session, n, now=FRI_9) == "task due moment changed"
    # The new ladder: its reminder was overtaken by level 1, which goes out after Nauryz.
    again = [n for n in tick_at(session, settings, AFTER_NAURYZ_9) if n.task_id]
    assert [n.recipient for n in again] == ["head@police.test"]
    assert ":due:20270319T130000Z:level:1:" in again[0].dedupe_key


def test_a_decree_making_saturday_a_working_day_brings_the_escalation_forward(
    session: Session, settings: Settings, district: District
) -> None:
    task = new_task(session, district)
    tick_at(session, settings, FRI_9)
    assert task.escalation_due_at == AFTER_NAURYZ_9
    admin = make_user(session, district.akimat, "admin@akimat.test", "admin")
    add_override(
        session,
        admin,
        district_id=district.row.id or 0,
        day=date(2027, 3, 20),
        kind="working_day",
        note="Постановление о переносе",
        now=FRI_9,
    )
    session.commit()
    saturday_9 = datetime(2027, 3, 20, 4, 0, tzinfo=UTC)
    escalations = [n for n in tick_at(session, settings, saturday_9) if n.kind == "escalation"]
    assert [n.recipient for n in escalations] == ["head@police.test"]


def test_the_policy_decides_whom_each_level_reaches(
    session: Session, settings: Settings, district: District
) -> None:
    admin = make_user(session, district.akimat, "admin@akimat.test", "admin")
    save_policy(
        session,
        admin,
        [
            EscalationStep(0, -2, EscalationRecipient.ASSIGNEE),
            EscalationStep(1, 0, EscalationRecipient.CHAIR),
        ],
        now=CREATED,
    )
    session.commit()
    task = new_task(session, district, assignee_id=district.inspector.id)
    # 2 working days before: Wednesday 18:00, after hours, so Thursday 09:00.
    assert task.escalation_due_at == FRI_9 - timedelta(days=1)
    assert tick_at(session, settings, FRI_9 - timedelta(days=1, minutes=1)) == []
    assert [n.recipient for n in tick_at(session, settings, FRI_9 - timedelta(days=1))] == [
        "inspector@police.test"
    ]
    assert [
        n.recipient for n in tick_at(session, settings, AFTER_NAURYZ_9) if n.kind == "escalation"
    ] == ["chair@akimat.test"]


def test_the_daily_digest_lists_overdue_tasks_by_agency_on_working_days_only(
    session: Session, settings: Settings, district: District
) -> None:
    new_task(session, district)
    new_task(
        session,
        district,
        title="Подготовить заключение",
        agency_id=district.education.id,
        due_at=DUE - timedelta(hours=1),
    )
    # Friday morning: nothing is overdue yet, so nobody gets a digest that day.
    assert [n for n in tick_at(session, settings, FRI_9) if n.kind == "digest"] == []
    assert session.get(DistrictRow, district.row.id).digest_planned_on.isoformat() == "2027-03-19"  # type: ignore[union-attr]
    # Saturday, Sunday and Nauryz: no digest at all.
    for day in range(20, 25):
        moment = datetime(2027, 3, day, 4, 0, tzinfo=UTC)
        assert [n for n in tick_at(session, settings, moment) if n.kind == "digest"] == []
    digests = {
        n.recipient: n
        for n in tick_at(session, settings, AFTER_NAURYZ_9 - timedelta(hours=1))
        + tick_at(session, settings, AFTER_NAURYZ_9)
        if n.kind == "digest"
    }
    assert set(digests) == {"chair@akimat.test", "head@police.test", "head@education.test"}
    chair = digests["chair@akimat.test"]
    assert chair.subject == "2 просроченных поручения на 25 марта 2027"
    assert "Отдел образования" in chair.body and "Отдел полиции" in chair.body
    assert "D-2026-0042" in chair.body and "1 рабочий день просрочки" in chair.body
    police = digests["head@police.test"].body
    assert "Провести обследование" in police and "Подготовить заключение" not in police
    # once a day: a later tick that day writes nothing more
    assert [n for n in tick_at(session, settings, AFTER_NAURYZ_9 + timedelta(hours=3))] == []
    next_day = [n.recipient for n in tick_at(session, settings, NEXT_FRI_9) if n.kind == "digest"]
    assert sorted(next_day) == ["chair@akimat.test", "head@education.test", "head@police.test"]


def test_an_agency_head_is_written_to_in_the_heads_language_russian_by_default(
    session: Session, settings: Settings, district: District
) -> None:
    district.police.head_locale = "kk"
    session.add(district.police)
    new_task(session, district)
    new_task(session, district, title="Подготовить заключение", agency_id=district.education.id)
    tick_at(session, settings, FRI_9)
    to_heads = {
        (n.recipient, n.kind): n
        for n in tick_at(session, settings, AFTER_NAURYZ_9)
        if n.recipient.startswith("head@") and n.user_id is None
    }
    police = to_heads["head@police.test", "escalation"]
    assert police.locale == "kk"
    assert police.subject == "Мерзімі өткен тапсырма, 1-деңгей: D-2026-0042, 1 жұмыс күні өтті"
    assert "Мекеме police" in police.body  # the agency, in Kazakh
    digest = to_heads["head@police.test", "digest"]
    assert digest.locale == "kk" and "1 мерзімі өткен тапсырма" in digest.subject
    education = to_heads["head@education.test", "escalation"]
    assert education.locale == "ru"
    assert education.subject.startswith("Просроченное поручение, уровень 1: D-2026-0042")
    assert to_heads["head@education.test", "digest"].locale == "ru"
