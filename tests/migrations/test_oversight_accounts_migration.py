"""Migration 0022: accounts above the districts. A district's staff keep their agency; a
regional viewer must have a region and no agency, a district's staff an agency (the database
refuses anything else); going back refuses while such accounts exist, changing nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

import migrations
from models.core.db import make_engine
from tests.migrations.conftest import add_district, add_member

USER = (
    "INSERT INTO user_account (id, agency_id, region_id, email, full_name, password_hash, role,"
    " locale, active, created_at) VALUES (:id, :agency, :region, :email, 'И', '', :role,"
    " 'ru', true, '2026-12-01 10:00:00')"
)


def test_accounts_above_the_districts_are_kept_in_their_place_and_block_going_back(
    empty_database: str,
) -> None:
    migrations.upgrade(empty_database, "0021_notification_district")
    engine = make_engine(empty_database)
    with engine.begin() as conn:
        add_district(conn, slug="police", name="П")
        add_member(conn)
        conn.execute(text("INSERT INTO region (id, name_ru, name_kk) VALUES (1, 'О', 'О')"))
    migrations.upgrade(empty_database)
    with engine.begin() as conn:
        conn.execute(
            text(USER),
            {"id": 4, "agency": None, "region": 1, "email": "r@x.kz", "role": "regional"},
        )
    for wrong in (
        {"agency": None, "region": None, "role": "member"},  # staff without an agency
        {"agency": 7, "region": 1, "role": "regional"},  # a viewer in an agency
        {"agency": None, "region": None, "role": "regional"},  # a viewer of no region
        {"agency": None, "region": 1, "role": "deployment"},
    ):
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(text(USER), {"id": 5, "email": "w@x.kz", **wrong})
    with pytest.raises(RuntimeError, match="above the districts"):
        migrations.downgrade(empty_database, "0021_notification_district")
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM user_account WHERE id = 4"))
    migrations.downgrade(empty_database, "0021_notification_district")
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, agency_id FROM user_account")).all()
    assert [tuple(r) for r in rows] == [(3, 7)]
    engine.dispose()
