"""Migration 0015_protocol_numbers: the minutes recorded before get protocol numbers per
district and year of their sitting (local date), in the order they were recorded, and the
counter goes on from there; the downgrade keeps the minutes."""

from __future__ import annotations

from sqlalchemy import text

import migrations
from models.core.db import make_engine
from tests.migrations.conftest import add_district

_MEETING = (
    "INSERT INTO meeting (id, uid, district_id, kind, title, starts_at, ends_at, location, "
    "organizer_agency_id, status, sequence, created_at, updated_at, rrule, address, "
    "outcome_note) VALUES (:id, :uid, 1, 'case_conference', 'С', :starts, :ends, '', 7, "
    "'scheduled', 0, '2026-01-01 05:00:00+00', '2026-01-01 05:00:00+00', NULL, '', '')"
)
_MINUTES = (
    "INSERT INTO meeting_minutes (id, meeting_id, sitting_start, text, recorded_at) "
    "VALUES (:id, :id, :starts, 'Протокол', :recorded)"
)


def test_recorded_minutes_are_numbered_per_year_in_recording_order_both_ways(
    empty_database: str,
) -> None:
    migrations.upgrade(empty_database, "0014_agency_head_locale")
    engine = make_engine(empty_database)
    held = [  # id, sitting start (UTC), recorded at
        (1, "2026-03-02 05:00:00+00", "2026-03-03 05:00:00+00"),
        (2, "2026-02-02 05:00:00+00", "2026-03-04 05:00:00+00"),  # recorded later: № 2
        (3, "2026-12-31 19:30:00+00", "2027-01-02 05:00:00+00"),  # 1 January 2027 in Almaty
        (4, "2026-12-30 05:00:00+00", "2027-01-03 05:00:00+00"),  # a 2026 sitting: № 3
    ]
    with engine.begin() as conn:
        add_district(conn, slug="education", name="О")
        for minutes_id, starts, recorded in held:
            conn.execute(
                text(_MEETING),
                {
                    "id": minutes_id,
                    "uid": f"m{minutes_id}@t",
                    "starts": starts,
                    "ends": starts.replace(":00:00+", ":59:00+"),
                },
            )
            conn.execute(text(_MINUTES), {"id": minutes_id, "starts": starts, "recorded": recorded})
    migrations.upgrade(empty_database)
    with engine.connect() as conn:
        numbers = conn.execute(
            text("SELECT id, protocol_year, protocol_number FROM meeting_minutes ORDER BY id")
        ).all()
        counters = conn.execute(
            text("SELECT district_id, year, last_number FROM meeting_protocol_counter")
        ).all()
    assert [tuple(n) for n in numbers] == [(1, 2026, 1), (2, 2026, 2), (3, 2027, 1), (4, 2026, 3)]
    assert sorted(tuple(c) for c in counters) == [(1, 2026, 3), (1, 2027, 1)]
    migrations.downgrade(empty_database, "0014_agency_head_locale")
    with engine.connect() as conn:
        kept = conn.execute(text("SELECT id FROM meeting_minutes ORDER BY id")).scalars().all()
    engine.dispose()
    assert kept == [1, 2, 3, 4]
