"""Migration 0003 keeps the cases that exist: received when opened, by their lead agency."""

from __future__ import annotations

from sqlalchemy import text

import migrations
from models.core.db import make_engine
from tests.migrations.conftest import add_district


def test_existing_cases_survive_the_upgrade_and_the_downgrade(empty_database: str) -> None:
    migrations.upgrade(empty_database, "0002")
    engine = make_engine(empty_database)
    with engine.begin() as conn:
        add_district(conn, slug="education", name="О")
        conn.execute(
            text(
                "INSERT INTO case_file (id, district_id, code, lead_agency_id, status, "
                "opened_at) VALUES (1, 1, 'D-2026-0042', 7, 'open', "
                "'2026-11-20 05:00:00')"
            )
        )
    migrations.upgrade(empty_database)
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT received_at, receiving_agency_id, source, category, signs_of_offence "
                "FROM case_file"
            )
        ).one()
        rules = conn.execute(text("SELECT count(*) FROM statutory_rule")).scalar_one()
    assert str(row[0]).startswith("2026-11-20 05:00:00")
    assert tuple(row[1:]) == (7, "other", "other", False)
    assert rules == 7
    migrations.downgrade(empty_database, "0002")
    with engine.connect() as conn:
        codes = conn.execute(text("SELECT code FROM case_file")).scalars().all()
    engine.dispose()
    assert codes == ["D-2026-0042"]


def test_agencies_keep_their_rows_through_the_portal_migration(empty_database: str) -> None:
    """0007 adds agencies' English names; up and down with agencies and users in place."""
    migrations.upgrade(empty_database, "0004")
    engine = make_engine(empty_database)
    with engine.begin() as conn:
        add_district(conn, slug="police", name="Полиция")
    migrations.upgrade(empty_database, "0007")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT slug, name_en FROM agency")).one() == ("police", "")
    migrations.downgrade(empty_database, "0004")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT slug FROM agency")).scalars().all() == ["police"]
    engine.dispose()
