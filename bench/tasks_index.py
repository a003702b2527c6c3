"""Show that the overdue list of a district with 100,000 tasks answers from an index.

    .venv/bin/python bench/tasks_index.py [--tasks 100000] [--server postgresql://postgres@127.0.0.1:5432/postgres]

Creates a throwaway PostgreSQL database on the server, migrates it, loads the demo district and
adds the tasks (a year of them: most done, the rest open, some overdue). Then it runs the task
lists exactly as the portal does (``models.tasks.lists.list_tasks``), captures their SQL, and
prints PostgreSQL's plan and timing for each beside the ceiling. Prints figures, asserts nothing.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import timedelta
from typing import Any

import psycopg
from sqlalchemy import event, insert, select, text
from sqlalchemy.engine import Connection
from sqlmodel import Session, col

import migrations
from models.core.base import utcnow
from models.core.db import make_engine
from models.core.settings import load_settings
from models.demo.district import load_demo
from models.people.tables import Agency, User
from models.tasks.lists import TaskBucket, TaskScope, list_tasks
from models.tasks.tables import Task

CEILING_MS = 50.0  # what a list page may spend in the database
DATABASE = "birge_bench_tasks"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()

    with psycopg.connect(args.server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}"')
        conn.execute(f'CREATE DATABASE "{DATABASE}"')
    url = args.server.rsplit("/", 1)[0] + f"/{DATABASE}"
    try:
        _run(url, args.tasks)
    finally:
        with psycopg.connect(args.server, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


def _run(url: str, count: int) -> None:
    settings = load_settings(
        {"BIRGE_DATABASE_URL": url, "BIRGE_SECRET_KEY": "x" * 32}, create_instance=False
    )
    migrations.upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    now = utcnow()
    with Session(engine, expire_on_commit=False) as session:
        load_demo(session, settings)
        session.commit()
        agencies = session.scalars(select(Agency)).all()
        chair = session.scalars(select(User).where(col(User.role) == "chair")).one()
        inspector = session.scalars(
            select(User).where(col(User.email) == "inspector@birge.example")
        ).one()
        started = time.perf_counter()
        _seed(session, agencies, count, now)
        session.execute(text("ANALYZE task"))
        session.commit()
        print(f"seeded {count} tasks in {time.perf_counter() - started:.1f} s")

        statements: list[tuple[str, Any]] = []

        def capture(conn: Connection, cursor: Any, statement: str, params: Any, *_: Any) -> None:
            statements.append((statement, params))

        lists = [
            ("district overdue (chair)", chair, TaskScope.DISTRICT, TaskBucket.OVERDUE),
            ("agency overdue (police)", inspector, TaskScope.AGENCY, TaskBucket.OVERDUE),
            ("district due soon (chair)", chair, TaskScope.DISTRICT, TaskBucket.SOON),
        ]
        print(f"ceiling: {CEILING_MS:.0f} ms per query")
        for name, user, scope, bucket in lists:
            statements.clear()
            event.listen(engine, "before_cursor_execute", capture)
            page = list_tasks(session, user, scope=scope, bucket=bucket, now=now, end_of_today=now)
            event.remove(engine, "before_cursor_execute", capture)
            print(f"\n== {name}: {page.total} tasks, page 1 of {page.pages}")
            for statement, params in statements:
                if "FROM task" not in statement and "task." not in statement:
                    continue
                raw = session.connection().connection.dbapi_connection
                assert raw is not None
                with raw.cursor() as cursor:
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, params)
                    plan = [row[0] for row in cursor.fetchall()]
                took = float(plan[-1].split(":")[1].split()[0])
                uses_index = any("Index" in line for line in plan)
                seq = any("Seq Scan on task" in line for line in plan)
                print(
                    f"-- {took:.2f} ms (ceiling {CEILING_MS:.0f} ms), "
                    f"index: {'yes' if uses_index else 'no'}, "
                    f"sequential scan of task: {'yes' if seq else 'no'}"
                )
                for line in plan:
                    print("   " + line)
    engine.dispose()


def _seed(session: Session, agencies: Any, count: int, now: Any) -> None:
    rng = random.Random(6)
    district_id = agencies[0].district_id
    rows = []
    for n in range(count):
        due = now + timedelta(minutes=rng.randint(-365 * 24 * 60, 30 * 24 * 60))
        status = "open"
        if due < now and rng.random() < 0.95:
            status = rng.choice(["done"] * 9 + ["cancelled"])
        rows.append(
            {
                "district_id": district_id,
                "origin": "rule",
                "title": f"Поручение {n}",
                "responsible_agency_id": rng.choice(agencies).id,
                "due_at": due,
                "status": status,
                "note": "",
                "cancel_reason": "",
                "created_at": due - timedelta(days=2),
            }
        )
        if len(rows) == 10_000:
            session.execute(insert(Task), rows)
            rows = []
    if rows:
        session.execute(insert(Task), rows)


if __name__ == "__main__":
    main()
