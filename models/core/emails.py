"""Render an email's plain-text and HTML parts from one Jinja template.

The domain describes an email as an :class:`Email` of already translated strings; the
template only lays them out, so both parts always say the same thing. The HTML part is
tables with inline styles, the one layout Outlook renders faithfully.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import NamedTuple
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template

from models.core.i18n import translator

__all__ = [
    "DATE_PATTERNS",
    "Email",
    "RenderedEmail",
    "format_local",
    "render_email",
    "unit_email",
    "zone_label",
]

_TEMPLATES = Path(__file__).with_name("templates")


@dataclass(frozen=True)
class Email:
    """What one email says, translated into its reader's language."""

    lang: str
    subject: str
    heading: str
    lead: str
    rows: tuple[tuple[str, str], ...]
    link_label: str
    url: str
    footer: str
    notes: tuple[str, ...] = ()
    #: Links to act on (e.g. answering an invitation): label and URL, after the notes' lead.
    actions_lead: str = ""
    actions: tuple[tuple[str, str], ...] = ()


@cache
def _template(autoescape: bool) -> Template:
    environment = Environment(
        loader=FileSystemLoader(_TEMPLATES),
        autoescape=autoescape,  # noqa: S701 - on for the HTML part, off for plain text
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )
    return environment.get_template("email.jinja")


def render_email(email: Email) -> tuple[str, str]:
    """Return the plain-text and the HTML body of *email*."""
    text = _template(False).render(email=email, html=False)
    html = _template(True).render(email=email, html=True)
    return text, html


class RenderedEmail(NamedTuple):
    """An email ready for the outbox: its subject, plain-text and HTML bodies."""

    subject: str
    text: str
    html: str


def unit_email(
    locale: str,
    subject: str,
    *,
    lead: str,
    rows: Iterable[tuple[str, str]],
    link_label: str,
    url: str,
    notes: Iterable[str] = (),
    actions_lead: str = "",
    actions: Iterable[tuple[str, str]] = (),
) -> RenderedEmail:
    """Return an email of the unit to a reader of *locale*, rendered: *subject* is its heading
    too and the unit's name signs it; every other string comes translated already."""
    _ = translator(locale)
    email = Email(
        lang=locale,
        subject=subject,
        heading=subject,
        lead=lead,
        rows=tuple(rows),
        link_label=link_label,
        url=url,
        footer=_("Interagency child-protection unit"),
        notes=tuple(notes),
        actions_lead=actions_lead,
        actions=tuple(actions),
    )
    return RenderedEmail(subject, *render_email(email))


#: Kazakh writes the year first ("2026 ж. 1 желтоқсан"); Russian and English day first.
DATE_PATTERNS = {"kk": "y 'ж'. d MMMM"}


def format_local(moment: datetime, zone: ZoneInfo, locale: str) -> str:
    """Format *moment* in the district's zone, the way *locale* writes dates."""
    local = moment.astimezone(zone)
    day = format_date(local.date(), DATE_PATTERNS.get(locale, "d MMMM y"), locale=locale)
    return f"{day}, {format_time(local, 'HH:mm', locale=locale)}"


#: Kazakhstan's zones: all on UTC+5 since 2024-03-01, which people call Astana time.
_KAZAKH_ZONES = {
    "Asia/Almaty",
    "Asia/Qostanay",
    "Asia/Aqtobe",
    "Asia/Aqtau",
    "Asia/Atyrau",
    "Asia/Oral",
    "Asia/Qyzylorda",
}


def zone_label(zone: ZoneInfo, locale: str, at: datetime) -> str:
    """Name the district's zone as people say it: "Astana time, UTC+5"."""
    _ = translator(locale)
    offset = at.astimezone(zone).utcoffset()
    hours = int(offset.total_seconds() // 3600) if offset is not None else 0
    utc = f"UTC{hours:+d}"
    if zone.key in _KAZAKH_ZONES:
        return _("Astana time, %(utc)s") % {"utc": utc}
    return f"{zone.key}, {utc}"
