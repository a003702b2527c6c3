"""Protocol numbers: each district numbers the protocols of its sittings of a year 1, 2, 3…
in the order their minutes are recorded; a number is issued once and kept."""

from __future__ import annotations

from sqlmodel import Session

from models.core.counters import next_number
from models.minutes.tables import ProtocolCounter

__all__ = ["issue_protocol_number"]


def issue_protocol_number(session: Session, district_id: int, year: int) -> int:
    """Return the next protocol number of *district_id* for *year*, counting in the caller's
    transaction: the counter row is locked (``SELECT ... FOR UPDATE``), so concurrent
    recordings wait for each other, and a rolled-back recording gives its number back."""
    return next_number(session, ProtocolCounter, district_id=district_id, year=year)
