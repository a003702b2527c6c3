"""Engines and sessions built from settings; nothing connects at import time.

A PostgreSQL server that stops answering (a stopped process, a frozen network path) must not
hang the portal: every connection gets a connect timeout, the server cuts statements, lock
waits and idle transactions short (libpq ``options``), the pool gives up waiting for a free
connection, and a watchdog thread breaks a connection whose statement has had no answer well
past the statement timeout (the server's own timeout cannot fire when the server is stopped).
"""

from __future__ import annotations

import logging
import math
import os
import socket
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, delete, event, func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlmodel import Session, create_engine

__all__ = [
    "DatabaseTimeouts",
    "database_reachable",
    "delete_batch",
    "make_engine",
    "session_scope",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DatabaseTimeouts:
    """How long a PostgreSQL connection waits before it gives up, in seconds."""

    #: Opening a connection, and the ping that checks a pooled one before it is used.
    connect: float = 3.0
    #: One statement; the server cancels it, and the watchdog breaks the connection a moment
    #: later if the server cannot (it is stopped or unreachable).
    statement: float = 10.0
    #: Waiting for a row or table lock.
    lock: float = 5.0
    #: A transaction left open with nothing running: the server ends the session.
    idle_in_transaction: float = 60.0
    #: Waiting for a free connection of the pool.
    pool: float = 5.0

    def libpq_options(self) -> str:
        """The ``options`` connection parameter that sets the server-side timeouts."""
        ms = {
            "statement_timeout": self.statement,
            "lock_timeout": self.lock,
            "idle_in_transaction_session_timeout": self.idle_in_transaction,
        }
        return " ".join(f"-c {name}={max(int(value * 1000), 1)}" for name, value in ms.items())

    @property
    def connect_seconds(self) -> int:
        """libpq's connect_timeout: whole seconds, 2 at least (it reads 1 as 2)."""
        return max(math.ceil(self.connect), 2)


def make_engine(
    database_url: str, *, timeouts: DatabaseTimeouts | None = None, **options: Any
) -> Engine:
    """Create the engine for *database_url* with the options Birge relies on.

    SQLite gets foreign keys switched on and a busy timeout, so that the embedded deployment's
    web and worker threads wait for each other instead of failing with "database is locked".
    PostgreSQL gets *timeouts* (the processes that serve and work pass the settings'; the
    command line's maintenance commands and the migrations run without statement limits when
    they pass none, but still with a connect timeout).
    """
    if database_url.startswith("sqlite"):
        options.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
        engine = create_engine(database_url, **options)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    connect_args = options.setdefault("connect_args", {})
    if timeouts is None:
        connect_args.setdefault("connect_timeout", DatabaseTimeouts().connect_seconds)
        options.setdefault("pool_pre_ping", True)
        return create_engine(database_url, **options)
    connect_args.setdefault("connect_timeout", timeouts.connect_seconds)
    connect_args.setdefault("options", timeouts.libpq_options())
    options.setdefault("pool_timeout", timeouts.pool)
    engine = create_engine(database_url, **options)
    _watch_engine(engine, timeouts)
    return engine


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


def delete_batch(session: Session, model: Any, *conditions: ColumnElement[bool], limit: int) -> int:
    """Delete the *limit* oldest rows (by id) of *model* that meet *conditions*, in one
    statement and its own commit; return how many. Pruning in such batches keeps each
    transaction short, on PostgreSQL and SQLite alike. The newest row always stays: SQLite
    would give its id to the next row, and keys such as ``password-link:<id>`` must not
    name two rows."""
    newest = select(func.max(model.id)).scalar_subquery()
    ids = select(model.id).where(*conditions, model.id < newest).order_by(model.id).limit(limit)
    result = session.execute(
        delete(model).where(model.id.in_(ids)),
        execution_options={"synchronize_session": False},
    )
    session.commit()
    return int(getattr(result, "rowcount", 0) or 0)


def database_reachable(engine: Engine, *, timeout: float = 2.0) -> bool:
    """Tell whether the database answers a query now, within about *timeout* seconds.

    On PostgreSQL the check opens a connection of its own (not one of the pool, which may all
    be waiting on a hung server) with a short connect timeout, and the watchdog breaks it if
    the query gets no answer in time.
    """
    if engine.dialect.name != "postgresql":
        try:
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as exc:  # every driver has its own "not reachable" exceptions
            log.warning("database not reachable: %s", type(exc).__name__)
            return False
        return True
    quick = DatabaseTimeouts(connect=timeout, statement=timeout)
    cargs, cparams = engine.dialect.create_connect_args(engine.url)
    cparams.update(connect_timeout=quick.connect_seconds, options=quick.libpq_options())
    try:
        dbapi = engine.dialect.loaded_dbapi
        connection = dbapi.connect(*cargs, **cparams)
        try:
            _WATCHDOG.watch(connection, limit=timeout)
            connection.execute("SELECT 1")
        finally:
            connection.close()
    except Exception as exc:  # every driver has its own "not reachable" exceptions
        log.warning("database not reachable: %s", type(exc).__name__)
        return False
    return True


# --- the watchdog ------------------------------------------------------------------------------

#: psycopg's TransactionStatus.ACTIVE: a command is in progress, waiting for the server.
_ACTIVE = 1
#: How long past the statement timeout the server gets to cancel a statement itself.
_GRACE = 1.0


class _Watch:
    """What the watchdog knows of one connection."""

    __slots__ = ("busy_since", "executions", "limit", "seen_executions")

    def __init__(self, limit: float) -> None:
        self.limit = limit
        self.executions = 0
        self.busy_since: float | None = None
        self.seen_executions = -1


class _Watchdog:
    """One thread per process that breaks the connections whose command has had no answer from
    the server for longer than their limit: the waiting thread then gets an OperationalError
    (a 503 for a page) instead of waiting for ever."""

    def __init__(self, interval: float = 0.2) -> None:
        self.interval = interval
        self._watched: weakref.WeakKeyDictionary[Any, _Watch] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def watch(self, connection: Any, *, limit: float) -> _Watch:
        with self._lock:
            watch = self._watched.get(connection)
            if watch is None:
                watch = self._watched[connection] = _Watch(limit)
            watch.limit = limit
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="birge-db-watchdog")
                self._thread.daemon = True
                self._thread.start()
        return watch

    def executed(self, connection: Any) -> None:
        watch = self._watched.get(connection)
        if watch is not None:
            watch.executions += 1

    def _run(self) -> None:
        while True:
            time.sleep(self.interval)
            with self._lock:
                watched = list(self._watched.items())
            now = time.monotonic()
            for connection, watch in watched:
                try:
                    pgconn = connection.pgconn
                    active = pgconn.transaction_status == _ACTIVE
                except Exception:  # noqa: S112 (closed meanwhile: nothing to watch)
                    continue
                if not active:
                    watch.busy_since = None
                    continue
                if watch.busy_since is None or watch.seen_executions != watch.executions:
                    watch.busy_since, watch.seen_executions = now, watch.executions
                    continue
                waited = now - watch.busy_since
                if waited > watch.limit:
                    watch.busy_since = None
                    _break(pgconn, waited)


def _break(pgconn: Any, waited: float) -> None:
    """Shut the connection's socket down: the thread waiting on it gets an error at once."""
    try:
        duplicate = socket.socket(fileno=os.dup(pgconn.socket))
    except Exception:  # already closed
        return
    try:
        duplicate.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    finally:
        duplicate.close()
    log.warning("database gave no answer in %.0f s: connection broken", waited)


_WATCHDOG = _Watchdog()


def _watch_engine(engine: Engine, timeouts: DatabaseTimeouts) -> None:
    statement_limit = timeouts.statement + _GRACE
    ping_limit = timeouts.connect

    @event.listens_for(engine, "connect")
    def _connected(dbapi_connection: Any, record: Any) -> None:
        _WATCHDOG.watch(dbapi_connection, limit=statement_limit)
        record.info["birge.fresh"] = True

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        # pool_pre_ping's job, with a short limit: a pooled connection to a hung server fails
        # here within the connect timeout, and the pool opens a fresh one (which fails fast).
        if record.info.pop("birge.fresh", False):
            return
        watch = _WATCHDOG.watch(dbapi_connection, limit=ping_limit)
        watch.executions += 1
        try:
            dbapi_connection.execute("SELECT 1")
            # The ping must not leave a transaction open: the user of the connection begins
            # its own, and one that wants autocommit cannot switch inside a transaction.
            dbapi_connection.rollback()
        except Exception as exc:
            raise DisconnectionError(f"ping failed: {type(exc).__name__}") from exc
        finally:
            watch.limit = statement_limit

    @event.listens_for(engine, "before_cursor_execute")
    def _executing(conn: Any, *_args: Any) -> None:
        _WATCHDOG.executed(conn.connection.dbapi_connection)
