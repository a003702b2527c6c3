"""What the tick's task planner reads of the districts is read once for its whole batch: the
same tasks due cost the same statements whether they are in one district or spread over
several (a national deployment's tasks due at 09:00 are spread over two hundred)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, event
from sqlalchemy.engine import Engine
from sqlmodel import Session

from models.core.settings import Settings
from models.tasks.escalation.planner import plan_task_alerts
from models.tasks.tables import Task
from tests.factories import District, make_district

#: Wednesday 17 March 2027, 10:00 in Almaty; the tasks were due a week before.
NOW = datetime(2027, 3, 17, 5, 0, tzinfo=UTC)


def _due(session: Session, d: District, n: int) -> None:
    for i in range(n):
        session.add(
            Task(
                district_id=d.row.id,  # type: ignore[arg-type]
                case_id=d.case.id,
                title=f"Поручение {i}",
                responsible_agency_id=d.police.id,  # type: ignore[arg-type]
                due_at=NOW - timedelta(days=7),
                created_at=NOW - timedelta(days=10),
                escalation_due_at=NOW - timedelta(minutes=1),
            )
        )
    session.commit()


def _statements(engine: Engine, session: Session, settings: Settings) -> tuple[int, int]:
    seen: list[str] = []

    def count(*args: object) -> None:
        seen.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    try:
        written = plan_task_alerts(session, settings, now=NOW)
        session.rollback()  # the same tasks are planned again by the other arrangement
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return written, len(seen)


def test_tasks_spread_over_districts_cost_the_tick_what_they_cost_in_one(
    engine: Engine, session: Session, settings: Settings, district: District
) -> None:
    others = [make_district(session, f"-{n}", f"B{n}") for n in range(2, 5)]
    _due(session, district, 3)
    in_one = _statements(engine, session, settings)
    session.execute(delete(Task))
    session.commit()
    for d in others:
        _due(session, d, 1)
    spread = _statements(engine, session, settings)
    assert in_one[0] == spread[0] > 0  # the same emails written
    assert spread[1] == in_one[1], (in_one, spread)
