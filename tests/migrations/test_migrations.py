from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

import migrations
from models.core.db import make_engine


def tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade(empty_database: str) -> None:
    migrations.upgrade(empty_database)
    assert tables(empty_database) == set(SQLModel.metadata.tables)
    migrations.downgrade(empty_database, "base")
    assert tables(empty_database) == set()
    migrations.upgrade(empty_database)
    assert tables(empty_database) == set(SQLModel.metadata.tables)


def test_migrations_match_the_models(empty_database: str) -> None:
    """A model change without its migration fails here."""
    migrations.upgrade(empty_database)
    engine = make_engine(empty_database)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, SQLModel.metadata)
    engine.dispose()
    assert diff == []
