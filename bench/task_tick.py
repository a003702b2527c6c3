"""The tick's cost with tasks: the same number of tasks due among 10,000 and 1,000,000.

Part 3 of ``bench/notifications.py`` (run there, or alone):

    .venv/bin/python bench/task_tick.py [--tick-sizes 10000 1000000] [--due 100] [--repeat 5]

Fills a PostgreSQL database with --tick-sizes tasks (half done, half open and due in the
coming weeks) and as many sent emails, then times one tick (planning and nudging) at a moment
inside working hours when --due further tasks have just passed their due moment: each writes
level 1 of its escalation, to the agency's head. The daily digest is left out (planned once a
day, and its cost is the overdue list's, see bench/tasks_index.py). Prints figures, asserts
nothing but that the tick wrote what was due.
"""

from __future__ import annotations

import argparse
import statistics
from datetime import datetime, timedelta

from scaffold import (
    add_people,
    print_plan,
    print_ratio,
    throwaway_runtime,
    timed_tick,
)
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from models.core.base import utcnow
from models.people.tables import District
from models.workdays.calendar import district_calendar


def fill_tasks(engine: Engine, district_id: int, agency_id: int, tasks: int, now: datetime) -> None:
    """Add *tasks* tasks, half done, half open and not yet due, and one sent email each."""
    with engine.begin() as conn:
        conn.execute(
            text(
                """
                INSERT INTO task (district_id, origin, title, responsible_agency_id, due_at,
                    status, note, cancel_reason, created_at, escalation_due_at)
                SELECT :district, 'manual', 'Поручение ' || g, :agency,
                    :now + interval '3 days' + (g % 40000) * interval '1 minute',
                    CASE WHEN g % 2 = 0 THEN 'done' ELSE 'open' END, '', '', :now,
                    CASE WHEN g % 2 = 0 THEN NULL
                         ELSE :now + interval '2 days' + (g % 40000) * interval '1 minute' END
                FROM generate_series(1, :n) AS g
                """
            ),
            {"district": district_id, "agency": agency_id, "n": tasks, "now": now},
        )
        conn.execute(
            text(
                """
                INSERT INTO notification (dedupe_key, recipient, locale, subject, body, status,
                    attempts, next_attempt_at, created_at, sent_at, kind, task_id)
                SELECT 'bg-task:' || g, 'x@bench.test', 'ru', 's', 'b', 'sent', 1,
                    :now - interval '1 day', :now - interval '1 day', :now - interval '1 day',
                    'escalation', g
                FROM generate_series(1, :n) AS g
                """
            ),
            {"n": tasks, "now": now},
        )
        conn.execute(text("ANALYZE task"))
        conn.execute(text("ANALYZE notification"))


def add_due_tasks(
    engine: Engine, district_id: int, agency_id: int, count: int, now: datetime
) -> None:
    """Tasks due a minute before *now*, whose ladder's moment has come."""
    with engine.begin() as conn:
        conn.execute(
            text(
                """
                INSERT INTO task (district_id, origin, title, responsible_agency_id, due_at,
                    status, note, cancel_reason, created_at, escalation_due_at)
                SELECT :district, 'manual', 'Срочное поручение ' || g, :agency,
                    :now - interval '1 minute', 'open', '', '', :now - interval '2 days',
                    :now - interval '1 minute'
                FROM generate_series(1, :n) AS g
                """
            ),
            {"district": district_id, "agency": agency_id, "n": count, "now": now},
        )


def task_tick_cost(sizes: list[int], due: int, repeat: int) -> None:
    print(f"tick cost: {due} tasks due (level 1 to the agency head each), PostgreSQL")
    print(f"{'tasks':>10} {'median ms':>10} {'min ms':>8}")
    results: dict[int, float] = {}
    for size in sizes:
        with throwaway_runtime() as runtime:
            with Session(runtime.engine, expire_on_commit=False) as session:
                district, agencies = add_people(session, 2)
                agencies[1].head_email = "head@bench.test"
                session.add(agencies[1])
                session.commit()
                district_id, agency_id = district.id or 0, agencies[1].id or 0
                calendar = district_calendar(session, district_id)
            # A moment inside working hours, so that the escalations may leave.
            start = calendar.next_working_moment(utcnow() + timedelta(days=1))
            with Session(runtime.engine) as session:  # the digest is not measured here
                row = session.get(District, district_id)
                assert row is not None
                row.digest_planned_on = calendar.local_date(start) + timedelta(days=30)
                session.commit()
            fill_tasks(runtime.engine, district_id, agency_id, size, start)
            timings = []
            for round_ in range(repeat):
                now = start + timedelta(minutes=round_)
                add_due_tasks(runtime.engine, district_id, agency_id, due, now)
                nudged, ms = timed_tick(runtime, now)
                timings.append(ms)
                assert nudged == due, nudged
            results[size] = statistics.median(timings)
            print(f"{size:>10} {results[size]:>10.1f} {min(timings):>8.1f}")
            print_plan(runtime.engine, "task", "escalation_due_at")
    print_ratio(results, "tasks")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tick-sizes", type=int, nargs="+", default=[10_000, 1_000_000])
    parser.add_argument("--due", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    task_tick_cost(args.tick_sizes, args.due, args.repeat)


if __name__ == "__main__":
    main()
