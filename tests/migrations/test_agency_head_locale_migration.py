"""Migration 0014: an agency head's language, Russian for the agencies that exist and for new
rows that do not name one; the downgrade drops it and keeps the agencies and their heads."""

from __future__ import annotations

from sqlalchemy import inspect, text

import migrations
from models.core.db import make_engine
from tests.migrations.conftest import add_district


def test_heads_read_russian_until_told_otherwise_and_the_downgrade_keeps_the_agencies(
    empty_database: str,
) -> None:
    migrations.upgrade(empty_database, "0013_change_mark")
    engine = make_engine(empty_database)
    with engine.begin() as conn:
        add_district(conn, slug="police", name="П")
        conn.execute(text("UPDATE agency SET head_email = 'head@police.kz' WHERE id = 7"))
    migrations.upgrade(empty_database)
    with engine.begin() as conn:
        assert conn.execute(text("SELECT head_locale FROM agency")).scalar_one() == "ru"
        conn.execute(text("UPDATE agency SET head_locale = 'kk' WHERE id = 7"))
        conn.execute(
            text(
                "INSERT INTO agency (id, district_id, slug, kind, name_ru, name_kk, name_en) "
                "VALUES (8, 1, 'school-1', 'school', 'Ш', 'М', '')"
            )
        )
        heads = dict(conn.execute(text("SELECT id, head_locale FROM agency")).all())
    assert heads == {7: "kk", 8: "ru"}
    migrations.downgrade(empty_database, "0013_change_mark")
    columns = {c["name"] for c in inspect(engine).get_columns("agency")}
    with engine.connect() as conn:
        agencies = conn.execute(text("SELECT id, head_email FROM agency ORDER BY id")).all()
    engine.dispose()
    assert "head_locale" not in columns
    assert [tuple(a) for a in agencies] == [(7, "head@police.kz"), (8, None)]
