"""What the notification benchmarks share: a throwaway PostgreSQL database, settings, a
district of people, and a timed tick with its plan and ratio printed."""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import psycopg
from sqlalchemy import text, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

import migrations
from models.core.settings import Settings, load_settings
from models.outbox.notifications import Notification
from models.people.tables import Agency, District, User
from workers.runtime import Runtime, build_runtime, tick

ROOT_DB = os.environ.get("BIRGE_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
BROKER = os.environ.get("BIRGE_TEST_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")
DOMAIN = "bench.test"


@contextmanager
def throwaway_runtime() -> Iterator[Runtime]:
    """Yield a runtime on a new, migrated PostgreSQL database (stub broker: the nudges stay in
    memory); close it and drop the database afterwards."""
    name = f"birge_bench_{uuid.uuid4().hex[:8]}"
    url = create_database(name)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            settings = make_settings(url, tmp)
            migrations.upgrade(settings.database_url)
            runtime = build_runtime(settings)
            try:
                yield runtime
            finally:
                runtime.close()
                runtime.engine.dispose()
    finally:
        drop_database(name)


def create_database(name: str) -> str:
    with psycopg.connect(ROOT_DB, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return ROOT_DB.rsplit("/", 1)[0] + f"/{name}"


def drop_database(name: str) -> None:
    with psycopg.connect(ROOT_DB, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def make_settings(database_url: str, tmp: str, **env: str) -> Settings:
    values = {
        "BIRGE_INSTANCE_PATH": tmp,
        "BIRGE_DATABASE_URL": database_url,
        "BIRGE_SECRET_KEY": "bench-secret-key-0123456789",
        "BIRGE_MAIL_FROM": f"Birge <birge@{DOMAIN}>",
        "BIRGE_BASE_URL": "http://birge.bench",
    }
    values.update(env)
    return load_settings(values)


def add_people(session: Session, users_per_agency: int) -> tuple[District, list[Agency]]:
    district = District(name_ru="Район", name_kk="Аудан")
    session.add(district)
    session.flush()
    agencies = []
    for slug, kind in (("education", "education"), ("police", "police")):
        agency = Agency(
            district_id=district.id,  # type: ignore[arg-type]
            slug=slug,
            kind=kind,
            name_ru=f"Ведомство {slug}",
            name_kk=f"Мекеме {slug}",
        )
        session.add(agency)
        session.flush()
        agencies.append(agency)
        for number in range(users_per_agency):
            session.add(
                User(
                    agency_id=agency.id,  # type: ignore[arg-type]
                    email=f"{slug}{number}@{DOMAIN}",
                    full_name=f"{slug} {number}",
                    locale=("ru", "kk", "en")[number % 3],
                )
            )
    session.flush()
    return district, agencies


def timed_tick(runtime: Runtime, now: datetime) -> tuple[int, float]:
    """Run one tick at *now*; return what it nudged and its milliseconds. Then mark what it
    planned as sent, so that the next round starts clean."""
    started = time.perf_counter()
    nudged = tick(runtime, now=now)
    elapsed = (time.perf_counter() - started) * 1000
    with Session(runtime.engine) as session:
        session.execute(
            update(Notification).where(col(Notification.status) == "pending").values(status="sent")
        )
        session.commit()
    return nudged, elapsed


def print_plan(engine: Engine, table: str, column: str) -> None:
    """Print the head of PostgreSQL's plan for the tick's query of due rows of *table*."""
    with engine.connect() as conn:
        plan = conn.execute(
            text(
                f"EXPLAIN SELECT * FROM {table} WHERE {column} <= now() "  # noqa: S608 - ours
                f"ORDER BY {column} LIMIT 200"
            )
        ).scalars()
        print("           plan:", " / ".join(p.strip() for p in list(plan)[:2]))


def print_ratio(results: dict[int, float], noun: str) -> None:
    """Print how much longer the tick took with the most rows than with the fewest."""
    if len(results) >= 2:
        small, large = min(results), max(results)
        print(f"  ratio {large:,} / {small:,} {noun}: {results[large] / results[small]:.2f}")
