"""Migration 0020: regions, a case-code prefix per district (``D`` for the districts there
are) and slugs unique per district; the downgrade keeps the rows, and is refused while two
districts share a slug."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

import migrations
from models.core.db import make_engine
from tests.migrations.conftest import add_district

SECOND_POLICE = (
    "INSERT INTO agency (id, district_id, slug, kind, name_ru, name_kk, name_en, head_locale) "
    "VALUES (8, 2, 'police', 'police', 'П', 'П', '', 'ru')"
)


def test_districts_keep_their_agencies_and_codes_and_a_second_gets_its_own_police(
    empty_database: str,
) -> None:
    migrations.upgrade(empty_database, "0019_webhooks")
    engine = make_engine(empty_database)
    with engine.begin() as conn:
        add_district(conn, slug="police", name="П")
    migrations.upgrade(empty_database)
    with engine.begin() as conn:
        assert conn.execute(text("SELECT case_prefix, region_id FROM district")).one() == (
            "D",
            None,
        )
        conn.execute(text("INSERT INTO region (id, name_ru, name_kk) VALUES (1, 'Обл', 'Обл')"))
        conn.execute(
            text(
                "INSERT INTO district (id, region_id, case_prefix, name_ru, name_kk, timezone,"
                " day_starts, day_ends) VALUES (2, 1, 'B', 'Р2', 'А2', 'Asia/Almaty',"
                " '09:00:00', '18:00:00')"
            )
        )
        conn.execute(text(SECOND_POLICE))
    with pytest.raises(IntegrityError), engine.begin() as conn:  # the same district: refused
        conn.execute(text(SECOND_POLICE.replace("(8, 2,", "(9, 2,")))
    with pytest.raises(RuntimeError, match="several districts have agencies police"):
        migrations.downgrade(empty_database, "0019_webhooks")  # which would keep the slug?
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM agency WHERE id = 8"))
        conn.execute(text("DELETE FROM district WHERE id = 2"))
    migrations.downgrade(empty_database, "0019_webhooks")
    assert "region" not in inspect(engine).get_table_names()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT id, slug FROM agency")).all() == [(7, "police")]
    engine.dispose()
