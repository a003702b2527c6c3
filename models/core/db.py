"""Engines and sessions built from settings; nothing connects at import time."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

__all__ = ["database_reachable", "make_engine", "session_scope"]

log = logging.getLogger(__name__)


def make_engine(database_url: str, **options: Any) -> Engine:
    """Create the engine for *database_url* with the options Birge relies on.

    SQLite gets foreign keys switched on and a busy timeout, so that the embedded deployment's
    web and worker threads wait for each other instead of failing with "database is locked".
    """
    if database_url.startswith("sqlite"):
        options.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
        engine = create_engine(database_url, **options)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    options.setdefault("pool_pre_ping", True)
    return create_engine(database_url, **options)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """Yield a session that commits when the block ends and rolls back when it raises."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def database_reachable(engine: Engine) -> bool:
    """Tell whether the database answers a query now."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # every driver has its own "not reachable" exceptions
        log.warning("database not reachable: %s", type(exc).__name__)
        return False
    return True
