"""Migration 0021: each email gets its district, traced through its recipient (or its task or
meeting); with one district, an untraceable row (an agency head's digest) is that district's.
The downgrade keeps the emails."""

from __future__ import annotations

from sqlalchemy import text

import migrations
from models.core.db import make_engine
from tests.migrations.conftest import add_district, add_member

EMAIL = (
    "INSERT INTO notification (id, dedupe_key, user_id, recipient, locale, subject, body,"
    " status, attempts, next_attempt_at, created_at, kind)"
    " VALUES (:id, :key, :user, 'x@y.kz', 'ru', 's', 'b', 'failed', 8,"
    " '2026-12-01 10:00:00', '2026-12-01 10:00:00', 'message')"
)


def test_emails_take_their_recipients_district_and_keep_their_rows_both_ways(
    empty_database: str,
) -> None:
    migrations.upgrade(empty_database, "0020_regions")
    engine = make_engine(empty_database)
    with engine.begin() as conn:
        add_district(conn, slug="police", name="П")
        add_member(conn)
        conn.execute(text(EMAIL), {"id": 1, "key": "to-inspector", "user": 3})
        conn.execute(text(EMAIL), {"id": 2, "key": "to-a-head", "user": None})
    migrations.upgrade(empty_database)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, district_id FROM notification ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [(1, 1), (2, 1)]
    migrations.downgrade(empty_database, "0020_regions")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM notification")).scalar_one() == 2
    engine.dispose()
