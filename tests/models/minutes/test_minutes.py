"""Recording a held meeting: attendance, minutes, decisions that become tasks, and the
coordination meeting's agenda frozen into its minutes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from models.cases.access import may_see_case
from models.core.audit import AuditEvent
from models.core.settings import Settings
from models.meetings.tables import Meeting, MeetingStatus
from models.minutes.agenda import coordination_agenda
from models.minutes.recording import DecisionDraft, MinutesError, record_minutes
from models.minutes.tables import AgendaItem, Attendance, Decision, MeetingMinutes
from models.people.tables import User
from models.tasks.lists import TaskBucket, TaskScope, list_tasks
from models.tasks.operations import complete_task, create_task
from models.tasks.tables import Task, TaskOrigin, TaskStatus
from tests.conftest import load_settings_for
from tests.factories import District, make_agency, make_user, schedule, schedule_case_conference

#: What the emails of the tasks made here link to.
TASK_SETTINGS = load_settings_for("sqlite:///unused.sqlite3", BIRGE_BASE_URL="http://birge.test")

#: Friday 20 November 2026, 10:00 in Almaty.
HELD_AT = datetime(2026, 11, 20, 5, 0, tzinfo=UTC)
SCHEDULED_AT = HELD_AT - timedelta(days=4)
RECORDED_AT = HELD_AT + timedelta(hours=3)


def held_conference(session: Session, settings: Settings, district: District) -> Meeting:
    return schedule_case_conference(
        session,
        settings,
        district,
        starts_at=HELD_AT,
        ends_at=HELD_AT + timedelta(hours=1),
        agency_ids=[district.police.id, district.school.id],
        now=SCHEDULED_AT,
    ).meeting


def record(session: Session, district: District, meeting: Meeting, **over: Any) -> Any:
    values: dict[str, Any] = {
        "text": "Заслушали классного руководителя. Решили: см. поручения.",
        "present_user_ids": [district.coordinator.id, district.inspector.id],
        "present_agency_ids": [],
        "decisions": [
            DecisionDraft(
                text="Посетить семью по случаю D-2026-0042",
                agency_id=district.police.id,
                assignee_id=district.inspector.id,
                due_kind="working_days",
                due_days=3,
            ),
            DecisionDraft(
                text="Составить индивидуальный план работы",
                agency_id=district.school.id,
                due_kind="date",
                due_date=date(2026, 12, 1),
            ),
        ],
        "now": RECORDED_AT,
    }
    values.update(over)
    user = values.pop("user", district.coordinator)
    return record_minutes(session, user, meeting, settings=TASK_SETTINGS, **values)


def count(session: Session, table: type) -> int:
    return session.scalar(select(func.count()).select_from(table)) or 0


def test_decisions_of_a_case_conference_become_tasks_of_their_agencies(
    session: Session, settings: Settings, district: District
) -> None:
    meeting = held_conference(session, settings, district)
    recorded = record(session, district, meeting)
    session.commit()

    visit, plan = recorded.tasks
    # Three working days from Friday: Mon, Tue, Wed 25 November, at 18:00 in Almaty.
    assert visit.due_at == datetime(2026, 11, 25, 13, 0, tzinfo=UTC)
    assert visit.responsible_agency_id == district.police.id
    assert visit.assignee_id == district.inspector.id
    assert visit.case_id == district.case.id
    assert visit.origin == TaskOrigin.DECISION
    # A date means the end of the working day on it.
    assert plan.due_at == datetime(2026, 12, 1, 13, 0, tzinfo=UTC)
    assert plan.assignee_id is None

    police_tasks = list_tasks(
        session,
        district.police_head,
        scope=TaskScope.AGENCY,
        bucket=TaskBucket.OPEN,
        now=RECORDED_AT,
        end_of_today=RECORDED_AT,
    )
    assert [t.title for t in police_tasks.tasks] == ["Посетить семью по случаю D-2026-0042"]
    decisions = session.scalars(select(Decision).order_by(Decision.position)).all()
    assert [(d.due_kind, d.due_days, d.due_date) for d in decisions] == [
        ("working_days", 3, None),
        ("date", None, date(2026, 12, 1)),
    ]
    assert [d.task_id for d in decisions] == [visit.id, plan.id]


def test_attendance_is_kept_per_person_and_per_agency(
    session: Session, settings: Settings, district: District
) -> None:
    meeting = held_conference(session, settings, district)
    record(session, district, meeting)
    session.commit()
    rows = session.scalars(select(Attendance)).all()
    agencies = {r.agency_id: r.present for r in rows if r.user_id is None}
    # Everyone invited has a row; the school sent nobody.
    assert agencies == {
        district.education.id: True,
        district.police.id: True,
        district.school.id: False,
    }
    assert {r.user_id for r in rows if r.user_id is not None} == {
        district.coordinator.id,
        district.inspector.id,
    }
    event = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "meeting.minutes_recorded")
    ).one()
    assert event.user_id == district.coordinator.id and "decisions=2" in event.detail


def test_a_represented_agency_counts_without_an_account(
    session: Session, settings: Settings, district: District
) -> None:
    meeting = held_conference(session, settings, district)
    record(
        session,
        district,
        meeting,
        present_user_ids=[],
        present_agency_ids=[district.school.id],
        decisions=[],
    )
    rows = session.scalars(select(Attendance).where(Attendance.present)).all()
    assert [(r.agency_id, r.user_id) for r in rows] == [(district.school.id, None)]


def test_working_days_skip_a_public_holiday(
    session: Session, settings: Settings, district: District
) -> None:
    # Tuesday 15 December 2026; the 16th is Independence Day.
    held = datetime(2026, 12, 15, 5, 0, tzinfo=UTC)
    meeting = schedule_case_conference(
        session,
        settings,
        district,
        starts_at=held,
        ends_at=held + timedelta(hours=1),
        now=held - timedelta(days=2),
    ).meeting
    drafts = [DecisionDraft("Передать материалы", district.police.id, "working_days", due_days=2)]
    recorded = record(session, district, meeting, decisions=drafts, now=held + timedelta(hours=2))
    assert recorded.tasks[0].due_at == datetime(2026, 12, 18, 13, 0, tzinfo=UTC)


def test_bad_input_is_reported_at_every_field_at_once_and_nothing_is_written(
    session: Session, settings: Settings, district: District
) -> None:
    meeting = held_conference(session, settings, district)
    session.commit()
    tasks_before = count(session, Task)
    drafts = [
        DecisionDraft("", district.police.id, "working_days", due_days=0),
        DecisionDraft("Сделать", 9999, "date", due_date=date(2026, 11, 19)),
        DecisionDraft("Сделать", district.police.id, "date", assignee_id=district.pedagogue.id),
        DecisionDraft("x" * 301, district.police.id, "someday"),
    ]
    with pytest.raises(MinutesError) as refusal:
        record(
            session,
            district,
            meeting,
            text="   ",
            present_user_ids=[district.retired.id],
            present_agency_ids=[district.akimat.id],
            decisions=drafts,
        )
    session.rollback()
    assert refusal.value.errors == {
        "text": "Write the minutes.",
        "people": "Choose people of the participating agencies.",
        "agencies": "Choose among the participating agencies.",
        "decisions-0-text": "Write the decision.",
        "decisions-0-due_days": "Give a number of working days from 1 to 250.",
        "decisions-1-agency": "Choose the responsible agency.",
        "decisions-1-due_date": "This deadline has already passed.",
        "decisions-2-assignee": "Choose a person of the responsible agency.",
        "decisions-2-due_date": "Give the date the decision is due.",
        "decisions-3-text": "This text is too long.",
        "decisions-3-due_kind": "Say how the deadline is given.",
    }
    assert count(session, MeetingMinutes) == 0
    assert count(session, Task) == tasks_before


def test_who_may_record_and_when(session: Session, settings: Settings, district: District) -> None:
    meeting = held_conference(session, settings, district)
    for user, now in [
        (district.inspector, RECORDED_AT),  # a member
        (district.police_head, RECORDED_AT),  # a coordinator of an invited agency
        (district.coordinator, HELD_AT - timedelta(minutes=1)),  # not begun yet
    ]:
        with pytest.raises(MinutesError):
            record(session, district, meeting, user=user, now=now)
    # The unit's secretary (the akimat's coordinator) records for the chair.
    secretary = make_user(session, district.akimat, "secretary@akimat.test", "coordinator")
    record(session, district, meeting, user=secretary)
    with pytest.raises(MinutesError) as twice:
        record(session, district, meeting)
    assert twice.value.errors == {None: "The minutes of this meeting are already recorded."}


def test_a_cancelled_meeting_has_no_minutes(
    session: Session, settings: Settings, district: District
) -> None:
    meeting = held_conference(session, settings, district)
    meeting.status = MeetingStatus.CANCELLED.value
    with pytest.raises(MinutesError) as refusal:
        record(session, district, meeting)
    assert refusal.value.errors == {None: "A cancelled meeting has no minutes."}


def overdue_task(session: Session, district: District, user: User, agency_id: int) -> Task:
    return create_task(
        session,
        user,
        settings=TASK_SETTINGS,
        title="Провести обследование по случаю D-2026-0042",
        agency_id=agency_id,
        due_at=HELD_AT - timedelta(days=5),
        now=HELD_AT - timedelta(days=9),
        case=district.case,
    )


def test_the_coordination_agenda_is_frozen_when_the_meeting_is_held(
    session: Session, settings: Settings, district: District
) -> None:
    late_police = overdue_task(session, district, district.chair, district.police.id)
    late_school = overdue_task(session, district, district.chair, district.school.id)
    create_task(  # due after the meeting: not on its agenda
        session,
        district.chair,
        settings=settings,
        title="Отчёт за квартал",
        agency_id=district.police.id,
        due_at=HELD_AT + timedelta(days=5),
        now=HELD_AT - timedelta(days=9),
    )
    meeting = schedule(
        session,
        settings,
        district,
        organizer=district.chair,
        kind="coordination_meeting",
        title="Заседание межведомственной комиссии",
        starts_at=HELD_AT,
        ends_at=HELD_AT + timedelta(hours=2),
        agency_ids=[district.education.id, district.police.id, district.school.id],
        now=SCHEDULED_AT,
    ).meeting

    before = coordination_agenda(session, meeting, now=HELD_AT - timedelta(days=1))
    assert before is not None
    assert [(g.agency.slug, [line.task_id for line in g.lines]) for g in before] == [
        ("police", [late_police.id]),
        ("school-1", [late_school.id]),
    ]
    assert before[0].lines[0].case_code == "D-2026-0042"
    assert before[0].lines[0].working_days_overdue == 4  # Mon 16 to Thu 19 November

    # The police report the task done during the meeting; it was overdue when it began.
    complete_task(
        session, district.police_head, late_police, note="", now=HELD_AT + timedelta(minutes=30)
    )
    record(
        session,
        district,
        meeting,
        user=district.chair,
        present_user_ids=[district.chair.id, district.police_head.id],
        decisions=[],
    )
    session.commit()
    assert count(session, AgendaItem) == 2
    # Later changes do not touch the frozen agenda.
    complete_task(session, district.pedagogue, late_school, note="", now=RECORDED_AT)
    late_school.title = "Переименовано"
    session.commit()
    frozen = coordination_agenda(session, meeting, now=RECORDED_AT + timedelta(days=30))
    assert frozen is not None
    assert [(g.agency.slug, [line.title for line in g.lines]) for g in frozen] == [
        ("police", ["Провести обследование по случаю D-2026-0042"]),
        ("school-1", ["Провести обследование по случаю D-2026-0042"]),
    ]
    assert late_school.status == TaskStatus.DONE


def test_other_kinds_have_no_agenda(
    session: Session, settings: Settings, district: District
) -> None:
    assert (
        coordination_agenda(session, held_conference(session, settings, district), now=HELD_AT)
        is None
    )


def test_a_decision_for_an_agency_new_to_the_case_lets_it_see_the_case(
    session: Session, settings: Settings, district: District
) -> None:
    health = make_agency(session, district.row, "health", "health")
    doctor = make_user(session, health, "doctor@health.test", "coordinator")
    meeting = held_conference(session, settings, district)
    assert not may_see_case(session, doctor, district.case)
    drafts = [DecisionDraft("Провести осмотр", health.id, "working_days", due_days=1)]
    record(session, district, meeting, decisions=drafts)
    assert may_see_case(session, doctor, district.case)
