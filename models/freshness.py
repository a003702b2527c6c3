"""The change mark: one number that moves whenever what the portal's pages show may have changed.

Every commit that wrote a row of a table the pages read (meetings, tasks, cases, agencies,
people, ...) raises ``change_mark.value`` by one, in the same transaction. The web keeps the
pages it rendered under the mark it read first in the request (``web.fragments``), so a
changed meeting is on everyone's next page view, whichever process changed it: the web, a
worker, the scheduler's tick or a command. Tables written while reading or sending (the audit
trail, sign-in sessions and throttling, the outbox, password resets) do not move the mark, so
viewing a case or draining the outbox keeps the pages cached.

The listeners sit on every ORM session of the process (registered on import, which
``models`` does). Writes through a bare connection are not seen; Birge makes none.
A statement the listeners cannot read (textual SQL other than SELECT, SET or SHOW) counts as
a change, so a miss costs a render and never a stale page.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Column, event, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import ORMExecuteState
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.sql.elements import TextClause
from sqlmodel import Field, Session, SQLModel, col

__all__ = ["UNTRACKED_TABLES", "ChangeMark", "current_mark"]

#: Tables whose writes change nothing a cached page shows.
UNTRACKED_TABLES = frozenset(
    {
        "change_mark",
        "audit_event",
        "user_session",
        "sign_in_throttle",
        "notification",
        "password_reset",
    }
)
_CHANGED = "birge.changed"
_READ_ONLY_TEXT = frozenset({"SELECT", "SET", "SHOW"})


class ChangeMark(SQLModel, table=True):
    """The single row (``id = 1``) holding the mark; created by the first change if missing."""

    __tablename__ = "change_mark"

    id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    value: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"))


def current_mark(session: Session) -> int:
    """Return the committed mark as this session's transaction sees it (0 before any change).

    Read it before the data a page shows: a page rendered from newer data than its mark is
    only rendered again, never one from older data kept under a newer mark.
    """
    value = session.scalar(select(col(ChangeMark.value)).where(col(ChangeMark.id) == 1))
    return int(value or 0)


def _is_tracked(table_name: str | None) -> bool:
    return table_name not in UNTRACKED_TABLES


@event.listens_for(OrmSession, "after_flush")
def _note_flushed_rows(session: OrmSession, _context: Any) -> None:
    if session.info.get(_CHANGED):
        return
    for obj in (*session.new, *session.deleted):
        if _is_tracked(getattr(obj, "__tablename__", None)):
            session.info[_CHANGED] = True
            return
    for obj in session.dirty:
        tracked = _is_tracked(getattr(obj, "__tablename__", None))
        if tracked and session.is_modified(obj, include_collections=False):
            session.info[_CHANGED] = True
            return


@event.listens_for(OrmSession, "do_orm_execute")
def _note_statement(state: ORMExecuteState) -> None:
    if state.is_select or state.session.info.get(_CHANGED):
        return
    statement = state.statement
    if isinstance(statement, TextClause):
        words = statement.text.split(None, 1)
        if words and words[0].upper() in _READ_ONLY_TEXT:
            return
        state.session.info[_CHANGED] = True
        return
    table = getattr(statement, "table", None)
    if _is_tracked(getattr(table, "name", None)):
        state.session.info[_CHANGED] = True


@event.listens_for(OrmSession, "before_commit")
def _raise_mark(session: OrmSession) -> None:
    """Raise the mark as the last write of a transaction that changed what pages show: the
    row is locked only from here to the commit."""
    session.flush()
    if not session.info.pop(_CHANGED, False):
        return
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(ChangeMark).values(id=1, value=1)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[ChangeMark.__table__.c.id],  # type: ignore[attr-defined]
            set_={"value": ChangeMark.__table__.c.value + 1},  # type: ignore[attr-defined]
        )
    )


@event.listens_for(OrmSession, "after_transaction_end")
def _forget_rolled_back(session: OrmSession, transaction: Any) -> None:
    """A change rolled back moves nothing; a savepoint's end leaves the outer changes noted."""
    if transaction.parent is None:
        session.info.pop(_CHANGED, None)
