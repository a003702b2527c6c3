"""Change marks: per district, one number that moves whenever what its pages show may have
changed.

Every commit that wrote a row of a table the pages read (meetings, tasks, cases, agencies,
people, ...) raises the mark of the district the row belongs to, in the same transaction. The
web keeps the pages it rendered under the marks it read first in the request
(``web.fragments``), so a changed meeting is on everyone's next page view, whichever process
changed it: the web, a worker, the scheduler's tick or a command. A change in one district
leaves the pages of every other district of the deployment kept.

Not counted as changes: tables written while reading or sending (the audit trail, sign-in
sessions and throttling, the outbox, password resets, feed publishing) and the scheduler's own
bookkeeping columns (when a reminder or an escalation is next due, the day's digest claim).

The listeners sit on every ORM session of the process once :func:`install_change_marks` has run:
the application factory, the worker and scheduler runtime and the command line call it, and
importing ``models`` registers nothing. Writes through a bare connection are not seen; Birge
makes none. Whatever the listeners
cannot place in one district (a bulk UPDATE or DELETE, textual SQL other than SELECT, SET or
SHOW, a row with no district) raises the mark of every district (row 0): a miss costs a render,
never a stale page.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import BigInteger, Column, event, inspect, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import ORMExecuteState
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.sql.dml import Update
from sqlalchemy.sql.elements import TextClause
from sqlmodel import Field, Session, SQLModel, col

__all__ = [
    "EVERY_DISTRICT",
    "UNTRACKED_TABLES",
    "ChangeMark",
    "change_marks_installed",
    "current_marks",
    "install_change_marks",
]

#: The mark row that moves with a change no single district can be named for.
EVERY_DISTRICT = 0
#: Tables whose writes change nothing a kept page shows.
UNTRACKED_TABLES = frozenset(
    {
        "change_mark",
        "audit_event",
        "user_session",
        "sign_in_throttle",
        "notification",
        "password_reset",
        "feed_token",
        "feed_change",
    }
)
#: Columns the scheduler keeps for itself; no page shows them.
UNTRACKED_COLUMNS = frozenset(
    {"reminder_due_at", "escalation_due_at", "digest_planned_on", "digest_due_at"}
)
_CHANGED = "birge.changed"
_READ_ONLY_TEXT = frozenset({"SELECT", "SET", "SHOW"})
#: How a changed row names its district: the first of these attributes it has a value for.
_PLACES = (
    ("district_id", "district"),
    ("meeting_id", "meeting"),
    ("case_id", "case"),
    ("agency_id", "agency"),
)
#: The table of each owner kind, whose ``id`` and ``district_id`` place the rows it owns
#: (named, not imported: every feature stands on this module).
_OWNER_TABLES = {"meeting": "meeting", "case": "case_file", "agency": "agency"}


def _owner(kind: str) -> tuple[Any, Any]:
    table = SQLModel.metadata.tables[_OWNER_TABLES[kind]]
    return table.c.id, table.c.district_id


class ChangeMark(SQLModel, table=True):
    """One row per district that has changed (``district_id`` 0: every district)."""

    __tablename__ = "change_mark"

    district_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    value: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"))


def current_marks(session: Session, *, agency_id: int) -> tuple[int, int]:
    """Return the committed marks (every district's, the district's of *agency_id*) as this
    session's transaction sees them, in one query.

    Read them before the data a page shows: a page rendered from newer data than its marks is
    only rendered again, never one from older data kept under newer marks.
    """
    agency_id_column, district_id_column = _owner("agency")
    district = select(district_id_column).where(agency_id_column == agency_id)
    rows = session.execute(
        select(col(ChangeMark.district_id), col(ChangeMark.value)).where(
            or_(
                col(ChangeMark.district_id) == EVERY_DISTRICT,
                col(ChangeMark.district_id) == district.scalar_subquery(),
            )
        )
    ).all()
    found = {district_id: value for district_id, value in rows}
    every = found.pop(EVERY_DISTRICT, 0)
    return int(every), int(next(iter(found.values()), 0))


def _place(obj: Any) -> tuple[str, int | None] | None:
    """Return where a changed row belongs, or None for a table no page reads."""
    table = getattr(obj, "__tablename__", None)
    if table in UNTRACKED_TABLES:
        return None
    if table == "district":
        return ("district", obj.id)
    for attribute, kind in _PLACES:
        value = getattr(obj, attribute, None)
        if value is not None:
            return (kind, value)
    return ("district", None)  # a row of no district: every district


def _changes_shown(session: OrmSession, obj: Any) -> bool:
    """Tell whether a dirty row changed a column some page shows."""
    if not session.is_modified(obj, include_collections=False):
        return False
    state = inspect(obj)
    return any(
        state.attrs[name].history.has_changes()
        for name in state.mapper.column_attrs.keys()  # noqa: SIM118 - a view, not a dict
        if name not in UNTRACKED_COLUMNS
    )


def _note(session: OrmSession, places: Iterable[tuple[str, int | None] | None]) -> None:
    noted: set[tuple[str, int | None]] = session.info.setdefault(_CHANGED, set())
    noted.update(place for place in places if place is not None)


def _note_flushed_rows(session: OrmSession, _context: Any) -> None:
    _note(session, (_place(obj) for obj in (*session.new, *session.deleted)))
    _note(session, (_place(obj) for obj in session.dirty if _changes_shown(session, obj)))


def _note_statement(state: ORMExecuteState) -> None:
    if state.is_select:
        return
    statement = state.statement
    if isinstance(statement, TextClause):
        words = statement.text.split(None, 1)
        if not words or words[0].upper() not in _READ_ONLY_TEXT:
            _note(state.session, [("district", None)])
        return
    table = getattr(statement, "table", None)
    tracked = getattr(table, "name", None) not in UNTRACKED_TABLES
    if tracked and not _sets_only_bookkeeping(statement):
        _note(state.session, [("district", None)])  # which rows, only the database knows


def _sets_only_bookkeeping(statement: Any) -> bool:
    """Tell whether an UPDATE sets only the scheduler's own columns (the digest's day claim).
    SQLAlchemy keeps the SET clause in ``_values``; a statement without it counts as a change."""
    values = getattr(statement, "_values", None) if isinstance(statement, Update) else None
    names = {getattr(column, "key", column) for column in values or ()}
    return bool(names) and names <= UNTRACKED_COLUMNS


def _raise_marks(session: OrmSession) -> None:
    """Raise the marks as the last writes of a transaction that changed what pages show: the
    rows are locked only from here to the commit, always in the same order."""
    session.flush()
    places: set[tuple[str, int | None]] = session.info.pop(_CHANGED, set())
    if not places:
        return
    districts = _districts(session, places)
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    table = ChangeMark.__table__  # type: ignore[attr-defined]
    for district_id in sorted(districts):
        statement = insert(table).values(district_id=district_id, value=1)
        session.execute(
            statement.on_conflict_do_update(
                index_elements=[table.c.district_id], set_={"value": table.c.value + 1}
            )
        )


def _districts(session: OrmSession, places: set[tuple[str, int | None]]) -> set[int]:
    """Name the districts of the changed *places*; one that cannot be named (a row of no
    district, or whose meeting or case is gone) stands for every district."""
    districts: set[int] = set()
    owned: defaultdict[str, set[int]] = defaultdict(set)
    for kind, value in places:
        if value is None:
            districts.add(EVERY_DISTRICT)
        elif kind == "district":
            districts.add(value)
        else:
            owned[kind].add(value)
    for kind, ids in owned.items():
        key, district = _owner(kind)
        found = {
            row[0]: row[1] for row in session.execute(select(key, district).where(key.in_(ids)))
        }
        districts |= set(found.values())
        if len(found) < len(ids):
            districts.add(EVERY_DISTRICT)
    return districts


def _forget_rolled_back(session: OrmSession, transaction: Any) -> None:
    """A change rolled back moves nothing; a savepoint's end leaves the outer changes noted."""
    if transaction.parent is None:
        session.info.pop(_CHANGED, None)


_LISTENERS = (
    ("after_flush", _note_flushed_rows),
    ("do_orm_execute", _note_statement),
    ("before_commit", _raise_marks),
    ("after_transaction_end", _forget_rolled_back),
)


def install_change_marks() -> None:
    """Let every ORM session of this process raise the change marks of what it commits.

    Called once by each process that writes (the application factory, the worker and scheduler
    runtime, the command line); calling it again changes nothing.
    """
    for name, listener in _LISTENERS:
        if not event.contains(OrmSession, name, listener):
            event.listen(OrmSession, name, listener)


def change_marks_installed() -> bool:
    """Tell whether :func:`install_change_marks` has run in this process."""
    return all(event.contains(OrmSession, name, listener) for name, listener in _LISTENERS)
