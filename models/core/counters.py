"""Numbers a district issues per year (case codes, protocol numbers): 1, 2, 3… in the order
they are asked for, counted in the caller's transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col

__all__ = ["next_number"]


def next_number(
    session: Session, counter: type[Any], *, district_id: int, year: int, start: int = 0
) -> int:
    """Return the next number of *district_id* for *year* from the *counter* table (a table
    with ``district_id``, ``year`` and ``last_number``, unique on the first two).

    The counter row is created on first use, starting after *start*, then locked with
    ``SELECT ... FOR UPDATE``: concurrent callers wait for each other, and a rolled-back
    transaction gives its number back.
    """
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(
        insert(counter)
        .values(district_id=district_id, year=year, last_number=start)
        .on_conflict_do_nothing()
    )
    row = session.scalars(
        select(counter)
        .where(col(counter.district_id) == district_id)
        .where(col(counter.year) == year)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    row.last_number += 1
    session.add(row)
    session.flush()
    return int(row.last_number)
