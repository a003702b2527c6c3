"""What the migration tests share: an empty database of each kind, and a district with one
agency written as plain rows (the models may be ahead of the revision under test)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Connection, text

from tests.conftest import load_settings_for


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(
    request: pytest.FixtureRequest, tmp_path: Path, postgres_server: Callable[[str], str]
) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'migrate.sqlite3'}"
    name = request.module.__name__.rpartition(".")[2].removeprefix("test_")
    return load_settings_for(postgres_server(name)).database_url


def add_district(conn: Connection, *, slug: str, name: str) -> None:
    """District 1 with agency 7 (*slug*, also its kind), as every revision has them."""
    conn.execute(
        text(
            "INSERT INTO district (id, name_ru, name_kk, timezone, day_starts, "
            "day_ends) VALUES (1, 'Р', 'А', 'Asia/Almaty', '09:00:00', '18:00:00')"
        )
    )
    conn.execute(
        text(
            "INSERT INTO agency (id, district_id, slug, kind, name_ru, name_kk) "
            "VALUES (7, 1, :slug, :slug, :name, :name)"
        ),
        {"slug": slug, "name": name},
    )


def add_member(conn: Connection, *, user_id: int = 3, email: str = "i@police.kz") -> None:
    """A member of agency 7 (:func:`add_district`), as every revision since 0009 has them."""
    conn.execute(
        text(
            "INSERT INTO user_account (id, agency_id, email, full_name, password_hash, role,"
            " locale, active, created_at) VALUES (:id, 7, :email, 'И', '', 'member',"
            " 'ru', true, '2026-12-01 10:00:00')"
        ),
        {"id": user_id, "email": email},
    )
