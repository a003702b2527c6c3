from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlmodel import Session

from models.tasks.calendar_changes import add_decree_transfers
from models.workdays.calendar import CalendarOverride, OverrideKind, district_calendar
from models.workdays.decrees import DECREE_TRANSFERS
from tests.factories import District

# An invented order for a year the holidays package has no transfer for.
INVENTED = {
    2026: (
        (date(2026, 12, 19), OverrideKind.WORKING_DAY, "Приказ № 1 (тест)"),
        (date(2026, 12, 18), OverrideKind.DAY_OFF, "Приказ № 1 (тест)"),
    )
}


def test_transfers_the_package_lacks_are_added_once(session: Session, district: District) -> None:
    district_id = district.row.id
    assert district_id is not None
    added = add_decree_transfers(session, district_id, 2026, transfers=INVENTED)
    session.commit()
    assert added == [date(2026, 12, 19), date(2026, 12, 18)]
    calendar = district_calendar(session, district_id)
    assert calendar.is_working_day(date(2026, 12, 19))
    assert not calendar.is_working_day(date(2026, 12, 18))
    assert add_decree_transfers(session, district_id, 2026, transfers=INVENTED) == []
    assert len(session.scalars(select(CalendarOverride)).all()) == 2


def test_transfers_the_package_knows_are_not_duplicated(
    session: Session, district: District
) -> None:
    district_id = district.row.id
    assert district_id is not None
    for year in DECREE_TRANSFERS:
        assert add_decree_transfers(session, district_id, year) == []
    assert session.scalars(select(CalendarOverride)).all() == []
