"""Protocol numbers: each district numbers the protocols of its sittings of a year 1, 2, 3…
in the order their minutes are recorded; a number is issued once and kept."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col

from models.minutes.tables import ProtocolCounter

__all__ = ["issue_protocol_number"]


def issue_protocol_number(session: Session, district_id: int, year: int) -> int:
    """Return the next protocol number of *district_id* for *year*, counting in the caller's
    transaction: the counter row is locked (``SELECT ... FOR UPDATE``), so concurrent
    recordings wait for each other, and a rolled-back recording gives its number back."""
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    session.execute(
        insert(ProtocolCounter)
        .values(district_id=district_id, year=year, last_number=0)
        .on_conflict_do_nothing()
    )
    counter = session.scalars(
        select(ProtocolCounter)
        .where(col(ProtocolCounter.district_id) == district_id)
        .where(col(ProtocolCounter.year) == year)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    counter.last_number += 1
    session.add(counter)
    session.flush()
    return counter.last_number
