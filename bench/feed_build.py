"""Time building one agency's feed as the district fills up; prints figures, asserts nothing.

    .venv/bin/python bench/feed_build.py [--meetings 200 500 1000] [--database-url URL]

By default a throwaway SQLite file; pass a PostgreSQL URL (an empty database) to measure there.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select
from sqlmodel import Session, SQLModel

import models  # noqa: F401 - registers the tables
from models.base import utcnow
from models.db import make_engine
from models.demo import load_demo
from models.feed_build import agency_feed
from models.meetings import Meeting, MeetingAgency
from models.people import Agency
from models.settings import load_settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--meetings", type=int, nargs="+", default=[100, 500, 1000])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        settings = load_settings(
            {"BIRGE_INSTANCE_PATH": tmp, "BIRGE_DATABASE_URL": url, "BIRGE_SECRET_KEY": "x" * 32}
        )
        engine = make_engine(settings.database_url)
        SQLModel.metadata.create_all(engine)
        with Session(engine, expire_on_commit=False) as session:
            load_demo(session, settings)
            session.commit()
            police = session.scalars(select(Agency).where(Agency.slug == "police")).one()
            school = session.scalars(select(Agency).where(Agency.slug == "school-12")).one()
            print(f"database: {engine.dialect.name}")
            print(f"{'meetings':>9} {'bytes':>9} {'median ms':>10} {'max ms':>8}")
            made = 0
            for target in args.meetings:
                made = _add_meetings(session, police, school, made, target)
                timings = []
                for _ in range(args.repeat):
                    started = time.perf_counter()
                    body = agency_feed(session, settings, police)
                    timings.append((time.perf_counter() - started) * 1000)
                print(
                    f"{target:>9} {len(body):>9} {statistics.median(timings):>10.1f}"
                    f" {max(timings):>8.1f}"
                )
        if args.database_url:
            SQLModel.metadata.drop_all(engine)
        engine.dispose()


def _add_meetings(session: Session, police: Agency, school: Agency, made: int, target: int) -> int:
    now = utcnow()
    for n in range(made, target):
        starts = now + timedelta(days=1 + n % 60, hours=n % 8)
        meeting = Meeting(
            uid=f"bench-{n}@birge",
            district_id=police.district_id,
            kind="prevention_council",
            title=f"Совет профилактики № {n}",
            starts_at=starts,
            ends_at=starts + timedelta(hours=1),
            location="Школа № 12, кабинет 204",
            organizer_agency_id=school.id,  # type: ignore[arg-type]
            created_at=now,
            updated_at=now,
        )
        session.add(meeting)
        session.flush()
        session.add(MeetingAgency(meeting_id=meeting.id, agency_id=school.id))  # type: ignore[arg-type]
        session.add(MeetingAgency(meeting_id=meeting.id, agency_id=police.id))  # type: ignore[arg-type]
    session.commit()
    return target


if __name__ == "__main__":
    main()
