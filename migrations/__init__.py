"""Alembic migrations of Birge's schema, and the calls the ``birge db`` commands make."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from models.core.db import make_engine

__all__ = ["alembic_config", "downgrade", "is_current", "upgrade"]

HERE = Path(__file__).parent


def alembic_config(database_url: str) -> Config:
    """Return an Alembic config for this folder and *database_url*; no alembic.ini needed."""
    config = Config()
    config.set_main_option("script_location", str(HERE))
    config.set_main_option(
        "file_template",
        "%%(year)d%%(month).2d%%(day).2d_%%(hour).2d%%(minute).2d_%%(rev)s_%%(slug)s",
    )
    # ConfigParser interpolation: a literal % in a password must be doubled.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Upgrade the database to *revision*."""
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    """Downgrade the database to *revision* (``base`` removes every table)."""
    command.downgrade(alembic_config(database_url), revision)


def is_current(database_url: str) -> bool:
    """Tell whether the database is at the newest revision (False for an empty database)."""
    head = ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision() == head
    finally:
        engine.dispose()
