"""Holiday names of the national calendar in the reader's language.

The ``holidays`` package names Kazakhstan's days in English and Kazakh only; the portal speaks
Russian first, so its English names are message ids here, translated like every other label.
"""

from __future__ import annotations

import re
from datetime import date

from babel.dates import format_date

from models.core.i18n import N_, translator

__all__ = ["HOLIDAY_NAMES", "describe_day_off", "holiday_label"]

HOLIDAY_NAMES = (
    N_("New Year's Day"),
    N_("Orthodox Christmas"),
    N_("International Women's Day"),
    N_("Nowruz Holiday"),
    N_("Kazakhstan's People Solidarity Holiday"),
    N_("Defender of the Fatherland Day"),
    N_("Victory Day"),
    N_("Eid al-Adha"),
    N_("Capital Day"),
    N_("Constitution Day"),
    N_("Republic Day"),
    N_("First President Day"),
    N_("Independence Day"),
    N_("Day off"),
    N_("Working day (transferred)"),
    N_("Day off (decree)"),
    N_("Working day (decree)"),
)

_QUALIFIED = re.compile(
    r"^(?P<name>.+?) \((?:(?P<observed>observed)|(?P<estimated>estimated)"
    r"|substituted from (?P<month>\d\d)/(?P<day>\d\d)/(?P<year>\d{4}))\)$"
)


def holiday_label(label: str, locale: str) -> str:
    """Translate a label of :meth:`calendars.workdays.WorkCalendar.holidays_in` (English)."""
    _ = translator(locale)
    parts = []
    for part in label.split("; "):
        match = _QUALIFIED.match(part)
        if match is None:
            parts.append(_(part))
            continue
        base = match["name"]
        name = _(base)
        if match["observed"]:
            parts.append(_("%(name)s (observed)") % {"name": name})
        elif match["estimated"]:
            parts.append(_("%(name)s (estimated date)") % {"name": name})
        else:
            worked = date(int(match["year"]), int(match["month"]), int(match["day"]))
            when = format_date(worked, "d MMMM y", locale=locale)
            parts.append(_("%(name)s (transferred from %(date)s)") % {"name": name, "date": when})
    return "; ".join(parts)


def describe_day_off(day: date, label: str, locale: str) -> str:
    """Say a day off in the reader's language: "23 марта 2026 г. (Наурыз мейрамы)"; a plain
    weekend (*label* "", see :func:`models.workdays.calendar.days_off_between`) by its
    weekday."""
    name = holiday_label(label, locale) if label else format_date(day, "EEEE", locale=locale)
    return f"{format_date(day, 'long', locale=locale)} ({name})"
