from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import holidays

from calendars.workdays import WorkCalendar
from models.workdays.holiday_names import holiday_label


def test_every_national_day_of_2024_to_2027_reads_in_russian_and_kazakh() -> None:
    calendar = WorkCalendar(zone=ZoneInfo("Asia/Almaty"))
    for year in range(2024, 2028):
        for _day, label in calendar.holidays_in(year):
            for locale in ("ru", "kk"):
                translated = holiday_label(label, locale)
                assert translated != label, (locale, label)
                assert not any("a" <= ch <= "z" for ch in translated.lower()), translated


def test_qualified_names_keep_their_qualifier() -> None:
    assert holiday_label("Nowruz Holiday (observed)", "ru") == (
        "Наурыз мейрамы (перенесённый выходной)"
    )
    assert holiday_label("Eid al-Adha (estimated)", "kk") == "Құрбан айт (болжамды күн)"
    assert holiday_label("Day off (substituted from 05/04/2024)", "ru") == (
        "Выходной день (перенесён с 4 мая 2024)"
    )
    assert holiday_label("Eid al-Adha (estimated); Nowruz Holiday", "en") == (
        "Eid al-Adha (estimated date); Nowruz Holiday"
    )


def test_the_list_covers_every_name_the_package_gives() -> None:
    names = {
        name.split(" (")[0]
        for year in range(2000, 2041)
        for joined in holidays.KZ(years=year, language="en_US").values()
        for name in joined.split("; ")
    }
    for name in names:
        assert holiday_label(name, "ru") != name, name
    assert date(2024, 5, 4) in holidays.KZ(years=2024).weekend_workdays
