"""Migration 0009: the open tasks that exist start their escalation ladder at the next tick;
the downgrade keeps the tasks, the districts and the emails."""

from __future__ import annotations

from sqlalchemy import text

import migrations
from models.core.db import make_engine
from tests.migrations.conftest import add_district


def test_open_tasks_get_their_next_moment_and_the_downgrade_keeps_everything(
    empty_database: str,
) -> None:
    migrations.upgrade(empty_database, "0010")
    engine = make_engine(empty_database)
    with engine.begin() as conn:
        add_district(conn, slug="police", name="П")
        for task_id, status in ((1, "open"), (2, "done")):
            conn.execute(
                text(
                    "INSERT INTO task (id, district_id, origin, title, responsible_agency_id, "
                    "due_at, status, note, cancel_reason, created_at) VALUES (:id, 1, "
                    "'manual', 'Т', 7, '2026-11-20 13:00:00+00', :status, '', '', "
                    "'2026-11-18 05:00:00+00')"
                ),
                {"id": task_id, "status": status},
            )
    migrations.upgrade(empty_database)
    with engine.connect() as conn:
        moments = dict(
            conn.execute(text("SELECT id, escalation_due_at FROM task ORDER BY id")).all()
        )
    assert str(moments[1]).startswith("2026-11-18 05:00:00")  # due at once: the tick catches up
    assert moments[2] is None
    migrations.downgrade(empty_database, "0010")
    with engine.connect() as conn:
        tasks = conn.execute(text("SELECT id FROM task ORDER BY id")).scalars().all()
        districts = conn.execute(text("SELECT count(*) FROM district")).scalar_one()
    engine.dispose()
    assert tasks == [1, 2] and districts == 1
