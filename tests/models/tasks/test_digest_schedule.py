"""The tick reads only the districts whose daily digest is due: with many districts, a tick
between their working days costs one query, not a calendar per district; a district whose
calendar changes is looked at again on the next tick."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session

from models.core.settings import Settings
from models.people.tables import District as DistrictRow
from models.tasks.calendar_changes import add_override
from models.tasks.digests import plan_digests
from tests.factories import District

FRI_9 = datetime(2027, 3, 19, 4, 0, tzinfo=UTC)  # Friday 19 March 2027, 09:00 in Almaty
SAT_10 = datetime(2027, 3, 20, 5, 0, tzinfo=UTC)
NAURYZ_10 = datetime(2027, 3, 22, 5, 0, tzinfo=UTC)  # Monday, a public holiday
THU_9 = datetime(2027, 3, 25, 4, 0, tzinfo=UTC)  # the first working day after Nauryz


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_a_tick_reads_only_the_districts_whose_digest_is_due(
    engine: Engine, session: Session, settings: Settings, district: District
) -> None:
    others = [
        DistrictRow(name_ru=f"Район {n}", name_kk=f"Аудан {n}", case_prefix=f"R{n}")
        for n in range(30)
    ]
    session.add_all(others)
    session.commit()

    plan_digests(session, settings, now=FRI_9)  # every district's working day has begun
    session.commit()
    for row in [district.row, *others]:
        session.refresh(row)
        assert row.digest_planned_on == date(2027, 3, 19)
        assert row.digest_due_at == THU_9  # the next working day's start, after Nauryz

    for moment in (SAT_10, NAURYZ_10):
        with statements(engine) as seen:
            assert plan_digests(session, settings, now=moment) == 0
        assert len(seen) == 1, seen  # which districts are due: none

    # A decree makes Monday 22 March a working day in one district: the next tick looks at
    # that district alone, and plans its digest that day.
    add_override(
        session,
        None,
        district_id=others[3].id,  # type: ignore[arg-type]
        day=date(2027, 3, 22),
        kind="working_day",
        note="Постановление о переносе",
        now=SAT_10,
    )
    session.commit()
    session.refresh(others[3])
    assert others[3].digest_due_at is None
    plan_digests(session, settings, now=NAURYZ_10)
    session.commit()
    for row in [district.row, *others]:
        session.refresh(row)
    assert others[3].digest_planned_on == date(2027, 3, 22)
    assert others[4].digest_planned_on == date(2027, 3, 19)
    assert district.row.digest_due_at == THU_9
