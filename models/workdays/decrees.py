"""Decree transfers of days off (Labour Code art. 85(3)), to load as a district's overrides.

The ``holidays`` package learns of a year's transfers only when a new release carries them;
until then a district records them as overrides. This table holds the transfers ordered by
the Ministry of Labour, year by year;
:func:`models.tasks.calendar_changes.add_decree_transfers` adds those of a year that the
installed ``holidays`` does not know yet, and only once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from models.workdays.calendar import OverrideKind

__all__ = ["DECREE_TRANSFERS", "Transfer"]

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
