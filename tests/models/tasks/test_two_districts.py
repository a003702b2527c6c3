"""Two districts on one deployment, with the same agency slugs (akimat, education, police,
school-1): each district's task reminders, escalations and daily digests reach its own people
only, carry its id, follow its own ladder and leave in its own working hours and days.

The clock is that of :mod:`tests.models.tasks.test_escalations`: a task due on Friday
19 March 2027 at 18:00, right before Nauryz (20-24 March 2027 are days off)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlmodel import Session, col

from models.core.settings import Settings
from models.outbox.notifications import Notification
from models.tasks.calendar_changes import add_override
from models.tasks.escalation.ladder import EscalationRecipient, EscalationStep
from models.tasks.escalation.policy import save_policy
from models.tasks.tables import Task
from tests.factories import District, make_district, make_user
from tests.models.tasks.test_escalations import (
    AFTER_NAURYZ_9,
    CREATED,
    FRI_9,
    NEXT_FRI_9,
    new_task,
    tick_at,
)


def addresses(district: District) -> set[str]:
    """Every address of *district*: its people's and its agencies' heads'."""
    people = (d := district).chair, d.coordinator, d.inspector, d.police_head, d.pedagogue
    agencies = d.akimat, d.education, d.police, d.school
    return {u.email for u in (*people, d.retired)} | {
        a.head_email for a in agencies if a.head_email
    }


def sent(rows: list[Notification], kind: str, task: Task | None = None) -> list[str]:
    """The recipients of the rows of *kind* (about *task*), in the order written."""
    return [n.recipient for n in rows if n.kind == kind and (task is None or n.task_id == task.id)]


def test_an_overdue_task_escalates_to_its_own_districts_people_only(
    session: Session, settings: Settings, district: District
) -> None:
    """The police of district 1 miss a deadline: the reminder, level 1 and level 2 go to
    district 1's police, its head and its chair; district 2's police (same slug), its head
    and its chair hear nothing, and every email is district 1's."""
    other = make_district(session, "-2")
    session.commit()
    assert addresses(district).isdisjoint(addresses(other))
    task = new_task(session, district)  # the police's, nobody assigned
    written = [
        *tick_at(session, settings, FRI_9),
        *tick_at(session, settings, AFTER_NAURYZ_9),
        *tick_at(session, settings, NEXT_FRI_9),
    ]
    assert sorted(sent(written, "task_reminder", task)) == [
        "head@police.test",
        "inspector@police.test",
    ]
    escalations = [n for n in written if n.kind == "escalation"]
    assert [(n.recipient, n.dedupe_key.split(":level:")[1][0]) for n in escalations] == [
        ("head@police.test", "1"),  # the agency's head, at the due moment
        ("chair@akimat.test", "2"),  # the chair, a working day later
    ]
    assert sent(written, "digest") == ["chair@akimat.test", "head@police.test"] * 2  # 2 days
    everything = session.scalars(select(Notification).order_by(col(Notification.id))).all()
    assert {n.recipient for n in everything} <= addresses(district)  # the news too
    assert {n.district_id for n in everything} == {district.row.id}


def test_each_district_escalates_by_its_own_ladder_and_writes_its_own_rows(
    session: Session, settings: Settings, district: District
) -> None:
    """District 2 saves a ladder whose level 1 is its chair at the due moment; district 1
    keeps the default. Both police miss the same deadline: each task climbs its own
    district's ladder, to its own district's people, in rows bearing its district's id."""
    other = make_district(session, "-2")
    admin = make_user(session, other.akimat, "admin-2@akimat.test", "admin")
    save_policy(
        session,
        admin,
        [
            EscalationStep(0, -1, EscalationRecipient.ASSIGNEE),
            EscalationStep(1, 0, EscalationRecipient.CHAIR),
        ],
        now=CREATED,
    )
    session.commit()
    first = new_task(session, district)
    second = new_task(session, other, assignee_id=other.inspector.id)
    reminders = tick_at(session, settings, FRI_9)
    assert sorted(sent(reminders, "task_reminder", first)) == [
        "head@police.test",
        "inspector@police.test",
    ]
    assert sent(reminders, "task_reminder", second) == ["inspector-2@police.test"]
    level1 = tick_at(session, settings, AFTER_NAURYZ_9)
    assert sent(level1, "escalation", first) == ["head@police.test"]
    assert sent(level1, "escalation", second) == ["chair-2@akimat.test"]
    level2 = tick_at(session, settings, NEXT_FRI_9)
    assert sent(level2, "escalation", first) == ["chair@akimat.test"]
    assert sent(level2, "escalation", second) == []  # district 2's ladder ended at level 1
    mine = {district.row.id: addresses(district), other.row.id: addresses(other)}
    tasks = {first.id: district.row.id, second.id: other.row.id}
    everything = session.scalars(select(Notification).order_by(col(Notification.id))).all()
    assert {n.district_id for n in everything} == set(mine)
    for n in everything:
        assert n.recipient in mine[n.district_id], (n.recipient, n.dedupe_key)
        if n.task_id is not None:
            assert n.district_id == tasks[n.task_id], (n.recipient, n.dedupe_key)


def test_each_district_gets_its_own_overdue_tasks_in_its_own_morning(
    session: Session, settings: Settings, district: District
) -> None:
    """District 2 works 11:00-19:00 and makes Friday 26 March 2027 a day off by decree. Its
    chair and heads get a digest of its own overdue tasks at 11:00, district 1's at 09:00 of
    theirs; on district 2's decree day district 1 still gets its digest."""
    other = make_district(session, "-2")
    other.row.day_starts, other.row.day_ends = time(11, 0), time(19, 0)
    session.add(other.row)
    session.commit()
    new_task(session, district, title="Альфа: обследовать семью")  # district 1's police
    new_task(
        session,
        other,
        title="Бета: подготовить заключение",
        agency_id=other.education.id,
        due_at=datetime(2027, 3, 19, 14, 0, tzinfo=UTC),  # 19:00, district 2's day's end
    )
    admin = make_user(session, other.akimat, "admin-2@akimat.test", "admin")
    add_override(
        session,
        admin,
        district_id=other.row.id or 0,
        day=date(2027, 3, 26),
        kind="day_off",
        note="Постановление акимата",
        now=CREATED,
    )
    session.commit()
    nine = AFTER_NAURYZ_9  # Thursday 25 March, 09:00 in Almaty
    eleven = nine + timedelta(hours=2)

    def digests(now: datetime) -> dict[str, Notification]:
        return {n.recipient: n for n in tick_at(session, settings, now) if n.kind == "digest"}

    at_nine = digests(nine)
    assert set(at_nine) == {"chair@akimat.test", "head@police.test"}
    assert digests(eleven - timedelta(minutes=1)) == {}  # district 2's day has not begun
    at_eleven = digests(eleven)
    assert set(at_eleven) == {"chair-2@akimat.test", "head-2@education.test"}
    for mail in at_nine.values():
        assert mail.district_id == district.row.id
        assert "Альфа" in mail.body and "D-2026-0042" in mail.body
        assert "Бета" not in mail.body and "B-2026-0042" not in mail.body
    for mail in at_eleven.values():
        assert mail.district_id == other.row.id
        assert "Бета" in mail.body and "B-2026-0042" in mail.body
        assert "Альфа" not in mail.body and "D-2026-0042" not in mail.body
    assert digests(eleven + timedelta(hours=3)) == {}  # once a day each
    # Friday 26 March: district 2's day off by its decree, district 1's working day.
    friday = NEXT_FRI_9
    assert set(digests(friday)) == {"chair@akimat.test", "head@police.test"}
    assert digests(friday + timedelta(hours=2)) == {}
