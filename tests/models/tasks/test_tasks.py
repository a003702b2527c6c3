"""The task lifecycle, the lists, and the escalation ladder."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from calendars.workdays import WorkCalendar
from models.core.audit import AuditEvent
from models.overview.calendar import calendar_tasks
from models.people.tables import User
from models.tasks.escalation.ladder import (
    DEFAULT_POLICY,
    EscalationRecipient,
    EscalationStep,
    district_policy,
    escalation_state,
    step_recipients,
)
from models.tasks.escalation.policy import EscalationError, save_policy
from models.tasks.lists import TaskBucket, TaskScope, list_tasks
from models.tasks.operations import (
    TaskError,
    cancel_task,
    complete_task,
    create_task,
    may_see_task,
    reassign_task,
)
from models.tasks.tables import Task
from tests.conftest import load_settings_for
from tests.factories import REPORT_AT, District, make_user, open_test_case

#: What the emails of the tasks made here link to.
TASK_SETTINGS = load_settings_for("sqlite:///unused.sqlite3", BIRGE_BASE_URL="http://birge.test")

ALMATY = ZoneInfo("Asia/Almaty")
CALENDAR = WorkCalendar(zone=ALMATY)
NOW = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)  # Tue 11:00 in Almaty


def new_task(session: Session, district: District, **over: object) -> Task:
    values: dict[str, object] = {
        "title": "Посетить семью по случаю D-2026-0042",
        "agency_id": district.police.id,
        "due_at": NOW + timedelta(days=2),
        "now": NOW,
        "case": district.case,
    }
    values.update(over)
    user = over.pop("user", district.coordinator)
    return create_task(session, user, settings=TASK_SETTINGS, **values)  # type: ignore[arg-type]  # type: ignore[arg-type]


def count(session: Session, table: type) -> int:
    return session.scalar(select(func.count()).select_from(table)) or 0


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"agency_id": 9999}, "agency"),
        ({"due_at": NOW - timedelta(minutes=1)}, "due_at"),
        ({"title": "  "}, "title"),
        ({"title": "x" * 301}, "title"),
    ],
)
def test_bad_tasks_name_the_field_and_write_nothing(
    session: Session, district: District, over: dict[str, object], field: str
) -> None:
    with pytest.raises(TaskError) as caught:
        new_task(session, district, **over)
    session.rollback()
    assert caught.value.field == field
    assert count(session, Task) == 0 and count(session, AuditEvent) == 0


def test_a_member_completes_their_agencys_task_with_a_note(
    session: Session, district: District
) -> None:
    task = new_task(session, district)
    with pytest.raises(TaskError):
        complete_task(session, district.pedagogue, task, note="", now=NOW)  # another agency
    with pytest.raises(TaskError) as long_note:
        complete_task(session, district.inspector, task, note="x" * 1001, now=NOW)
    assert long_note.value.field == "note"
    complete_task(session, district.inspector, task, note="Семья посещена", now=NOW)
    session.commit()
    assert (task.status, task.note, task.completed_by_id) == (
        "done",
        "Семья посещена",
        district.inspector.id,
    )
    with pytest.raises(TaskError, match="no longer open"):
        complete_task(session, district.inspector, task, note="", now=NOW)


def test_cancelling_needs_a_coordinator_and_a_reason(session: Session, district: District) -> None:
    task = new_task(session, district)
    with pytest.raises(TaskError):
        cancel_task(session, district.inspector, task, reason="Не нужно", now=NOW)
    with pytest.raises(TaskError) as no_reason:
        cancel_task(session, district.police_head, task, reason=" ", now=NOW)
    assert no_reason.value.field == "reason"
    cancel_task(session, district.police_head, task, reason="Дублирует поручение", now=NOW)
    assert (task.status, task.cancel_reason) == ("cancelled", "Дублирует поручение")


def test_coordinators_reassign_within_their_agency_and_the_chair_across(
    session: Session, district: District
) -> None:
    task = new_task(session, district)
    reassign_task(
        session,
        district.police_head,
        task,
        agency_id=district.police.id,
        assignee_id=district.inspector.id,
        now=NOW,
    )
    assert task.assignee_id == district.inspector.id
    with pytest.raises(TaskError, match="Only the chair") as across:
        reassign_task(
            session,
            district.police_head,
            task,
            agency_id=district.school.id,
            assignee_id=None,
            now=NOW,
        )
    assert across.value.field == "agency"
    with pytest.raises(TaskError) as stranger:
        reassign_task(
            session,
            district.police_head,
            task,
            agency_id=district.police.id,
            assignee_id=district.pedagogue.id,
            now=NOW,
        )
    assert stranger.value.field == "assignee"
    with pytest.raises(TaskError):
        reassign_task(
            session,
            district.inspector,
            task,
            agency_id=district.police.id,
            assignee_id=None,
            now=NOW,
        )
    reassign_task(
        session,
        district.chair,
        task,
        agency_id=district.school.id,
        assignee_id=district.pedagogue.id,
        now=NOW,
    )
    session.commit()
    assert (task.responsible_agency_id, task.assignee_id) == (
        district.school.id,
        district.pedagogue.id,
    )


def test_lists_by_scope_bucket_agency_and_case(session: Session, district: District) -> None:
    end_of_today = datetime(2026, 11, 24, 13, 0, tzinfo=UTC)
    overdue = new_task(session, district, due_at=NOW + timedelta(hours=1))
    overdue.due_at = NOW - timedelta(days=3)  # as if created earlier
    today = new_task(session, district, due_at=NOW + timedelta(hours=5))
    soon = new_task(session, district, due_at=NOW + timedelta(days=3), agency_id=district.school.id)
    later = new_task(
        session, district, due_at=NOW + timedelta(days=30), assignee_id=district.inspector.id
    )
    session.commit()

    def ids(user: User, scope: TaskScope, bucket: TaskBucket, **kw: int) -> list[int | None]:
        page = list_tasks(
            session, user, scope=scope, bucket=bucket, now=NOW, end_of_today=end_of_today, **kw
        )
        return [t.id for t in page.tasks]

    assert ids(district.inspector, TaskScope.AGENCY, TaskBucket.OVERDUE) == [overdue.id]
    assert ids(district.inspector, TaskScope.AGENCY, TaskBucket.TODAY) == [today.id]
    assert ids(district.inspector, TaskScope.MINE, TaskBucket.OPEN) == [later.id]
    assert ids(district.inspector, TaskScope.DISTRICT, TaskBucket.SOON) == [today.id]
    assert ids(district.chair, TaskScope.DISTRICT, TaskBucket.SOON) == [today.id, soon.id]
    assert ids(
        district.chair, TaskScope.DISTRICT, TaskBucket.OPEN, agency_id=district.school.id
    ) == [soon.id]
    assert ids(district.chair, TaskScope.DISTRICT, TaskBucket.OPEN, case_id=district.case.id) == [
        overdue.id,
        today.id,
        soon.id,
        later.id,
    ]
    page = list_tasks(
        session,
        district.chair,
        scope=TaskScope.DISTRICT,
        bucket=TaskBucket.OPEN,
        now=NOW,
        end_of_today=end_of_today,
        page=2,
        page_size=3,
    )
    assert (page.page, page.pages, page.total, [t.id for t in page.tasks]) == (2, 2, 4, [later.id])


def test_the_default_ladder_reminds_then_escalates_in_working_days() -> None:
    due = datetime(2026, 3, 26, 13, 0, tzinfo=UTC)  # Thu 18:00 after Nauryz

    def state(now: datetime) -> tuple[int | None, int | None, datetime | None]:
        s = escalation_state(
            due_at=due, status="open", policy=DEFAULT_POLICY, calendar=CALENDAR, now=now
        )
        return s.level, s.next_step.level if s.next_step else None, s.next_at

    reminder_at = datetime(2026, 3, 20, 13, 0, tzinfo=UTC)  # the working day before: Fri 20
    assert state(reminder_at - timedelta(seconds=1)) == (None, 0, reminder_at)
    assert state(reminder_at) == (0, 1, due)
    level_2 = datetime(2026, 3, 27, 13, 0, tzinfo=UTC)
    assert state(due) == (1, 2, level_2)
    assert state(level_2 + timedelta(days=30)) == (2, None, None)
    done = escalation_state(
        due_at=due, status="done", policy=DEFAULT_POLICY, calendar=CALENDAR, now=level_2
    )
    assert done.level is None and done.next_step is None


def test_admins_edit_the_ladder_of_their_district(session: Session, district: District) -> None:
    admin = make_user(session, district.akimat, "admin@akimat.test", "admin")
    assert district_policy(session, district.row.id) == DEFAULT_POLICY  # type: ignore[arg-type]
    steps = [
        EscalationStep(0, -2, EscalationRecipient.ASSIGNEE),
        EscalationStep(1, 0, EscalationRecipient.AGENCY_HEAD),
    ]
    with pytest.raises(EscalationError):
        save_policy(session, district.chair, steps, now=NOW)
    with pytest.raises(EscalationError) as backwards:
        save_policy(
            session,
            admin,
            [steps[0], EscalationStep(1, -3, EscalationRecipient.CHAIR)],
            now=NOW,
        )
    assert backwards.value.field == "days_1"
    save_policy(session, admin, steps, now=NOW)
    session.commit()
    assert district_policy(session, district.row.id) == tuple(steps)  # type: ignore[arg-type]


def test_rule_tasks_start_with_the_report(session: Session, district: District) -> None:
    opened = open_test_case(session, district)
    assert all(t.counted_from == REPORT_AT for t in opened.tasks)


def test_each_step_names_its_recipients(session: Session, district: District) -> None:
    task = new_task(session, district)
    reminder, head, chair = DEFAULT_POLICY
    staff = [r.email for r in step_recipients(session, task, reminder)]
    assert staff == [district.inspector.email, district.police_head.email]  # not the retired
    assert [r.email for r in step_recipients(session, task, head)] == ["head@police.test"]
    assert [r.email for r in step_recipients(session, task, chair)] == [district.chair.email]
    task.assignee_id = district.inspector.id
    assert [r.user_id for r in step_recipients(session, task, reminder)] == [district.inspector.id]
    district.inspector.active = False
    session.add(district.inspector)
    session.flush()
    assert [r.email for r in step_recipients(session, task, reminder)] == [
        district.police_head.email
    ]


def test_the_units_secretary_sees_the_districts_tasks_like_the_chair(
    session: Session, district: District
) -> None:
    """The akimat's coordinator works for the chair: the district's tasks, not only the
    akimat's, in the lists, on each task's page and in the calendar view."""
    secretary = make_user(session, district.akimat, "secretary@akimat.test", "coordinator")
    police = new_task(session, district, due_at=NOW + timedelta(days=2))
    school = new_task(
        session, district, due_at=NOW + timedelta(days=3), agency_id=district.school.id
    )
    session.commit()
    page = list_tasks(
        session,
        secretary,
        scope=TaskScope.DISTRICT,
        bucket=TaskBucket.OPEN,
        now=NOW,
        end_of_today=NOW + timedelta(hours=8),
    )
    assert [t.id for t in page.tasks] == [police.id, school.id]
    assert may_see_task(session, secretary, school)
    window = calendar_tasks(session, secretary, start=NOW, end=NOW + timedelta(days=7), now=NOW)
    assert [t.id for t in window] == [police.id, school.id]
    # An ordinary coordinator still sees their own agency's only.
    assert not may_see_task(session, district.pedagogue, police)
