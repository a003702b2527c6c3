"""Decree transfers of days off (Labour Code art. 85(3)), to load as a district's overrides.

The ``holidays`` package learns of a year's transfers only when a new release carries them;
until then a district records them as overrides. This table holds the transfers ordered by
the Ministry of Labour, year by year; :func:`add_decree_transfers` adds those of a year that
the installed ``holidays`` does not know yet, and only once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime

from sqlmodel import Session

from calendars.workdays import WorkCalendar
from models.workdays.calendar import (
    OverrideKind,
    add_override,
    district_calendar,
    district_overrides,
)

__all__ = ["DECREE_TRANSFERS", "Transfer", "add_decree_transfers"]

Transfer = tuple[date, OverrideKind, str]

_ORDER_2024 = (
    "Приказ Министра труда и социальной защиты населения РК «О переносе дня отдыха в 2024 году»"
)
_ORDER_2025 = (
    "Приказ Министра труда и социальной защиты населения РК «О переносе дня отдыха в 2025 году»"
)

DECREE_TRANSFERS: Mapping[int, Sequence[Transfer]] = {
    2024: (
        (date(2024, 5, 4), OverrideKind.WORKING_DAY, _ORDER_2024),
        (date(2024, 5, 8), OverrideKind.DAY_OFF, _ORDER_2024),
    ),
    2025: (
        (date(2025, 1, 5), OverrideKind.WORKING_DAY, _ORDER_2025),
        (date(2025, 1, 3), OverrideKind.DAY_OFF, _ORDER_2025),
    ),
}


def add_decree_transfers(
    session: Session,
    district_id: int,
    year: int,
    *,
    transfers: Mapping[int, Sequence[Transfer]] = DECREE_TRANSFERS,
    now: datetime | None = None,
) -> list[date]:
    """Add the year's transfers that neither the national calendar nor the district has.

    Acts as the operator (no signed-in user), like ``birge calendar override add``. Returns
    the dates added; a second call adds nothing.
    """
    national = WorkCalendar(zone=district_calendar(session, district_id).zone)
    overridden = {o.day for o in district_overrides(session, district_id, year)}
    added = []
    for day, kind, note in transfers.get(year, ()):
        if day in overridden or national.is_working_day(day) == (kind == OverrideKind.WORKING_DAY):
            continue
        add_override(session, None, district_id=district_id, day=day, kind=kind, note=note, now=now)
        added.append(day)
    return added
