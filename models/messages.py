"""The words of outgoing emails, in the recipient's language.

Emails carry what staff need to turn up (kind, time, place, agencies, case code) and a link
to the portal; never a child's name or any other child-identifying data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time

from models.i18n import KIND_LABELS, translator

__all__ = ["MeetingFacts", "format_local", "invitation_email"]


@dataclass(frozen=True)
class MeetingFacts:
    """What an email or calendar entry says about a meeting, resolved to plain values."""

    kind: str
    title: str
    starts_at: datetime
    ends_at: datetime
    location: str
    organizer_name: str
    agency_names: tuple[str, ...]
    case_code: str | None
    url: str


def format_local(moment: datetime, zone: ZoneInfo, locale: str) -> str:
    """Format *moment* in the district's zone, the way *locale* writes dates.

    CLDR's long date puts the parts in each language's order: "1 декабря 2026 г.",
    "2026 ж. 1 желтоқсан", "December 1, 2026".
    """
    local = moment.astimezone(zone)
    day = format_date(local.date(), "long", locale=locale)
    return f"{day}, {format_time(local, 'HH:mm', locale=locale)}"


def invitation_email(facts: MeetingFacts, *, locale: str, zone: ZoneInfo) -> tuple[str, str]:
    """Return the subject and plain-text body of an invitation."""
    _ = translator(locale)
    kind = _(KIND_LABELS[facts.kind])
    when = format_local(facts.starts_at, zone, locale)
    until = format_time(facts.ends_at, "HH:mm", tzinfo=zone, locale=locale)
    subject = _("Invitation: %(kind)s, %(when)s") % {"kind": kind, "when": when}
    labels = {
        "kind": _("Kind"),
        "title": _("Title"),
        "when": _("When"),
        "where": _("Where"),
        "organizer": _("Organizer"),
        "agencies": _("Agencies"),
        "case": _("Case"),
    }
    lines = [
        _("You are invited to a meeting of the interagency child-protection unit."),
        "",
        f"{labels['kind']}: {kind}",
        f"{labels['title']}: {facts.title}",
        f"{labels['when']}: {when}–{until} ({zone.key})",
        f"{labels['where']}: {facts.location or '—'}",
        f"{labels['organizer']}: {facts.organizer_name}",
        f"{labels['agencies']}: {', '.join(facts.agency_names)}",
    ]
    if facts.case_code:
        lines.append(f"{labels['case']}: {facts.case_code}")
    lines += [
        "",
        _("Details in the portal: %(url)s") % {"url": facts.url},
        "",
        _("The calendar entry is attached; your calendar app can add it."),
        "—",
        "Birge",
    ]
    return subject, "\n".join(lines) + "\n"
