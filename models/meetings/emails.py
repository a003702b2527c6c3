"""The words of outgoing emails, in the recipient's language.

Emails carry what staff need to turn up (kind, time, place, agencies, case code) and a link
to the portal; never a child's name or any other child-identifying data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time

from models.core.emails import Email, render_email
from models.core.i18n import KIND_LABELS, translator

__all__ = ["MeetingFacts", "RenderedEmail", "format_local", "invitation_email", "reminder_email"]


class RenderedEmail(NamedTuple):
    subject: str
    text: str
    html: str


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


#: Kazakh writes the year first ("2026 ж. 1 желтоқсан"); Russian and English day first.
_DATE_PATTERNS = {"kk": "y 'ж'. d MMMM"}


def format_local(moment: datetime, zone: ZoneInfo, locale: str) -> str:
    """Format *moment* in the district's zone, the way *locale* writes dates."""
    local = moment.astimezone(zone)
    day = format_date(local.date(), _DATE_PATTERNS.get(locale, "d MMMM y"), locale=locale)
    return f"{day}, {format_time(local, 'HH:mm', locale=locale)}"


def _meeting_rows(
    facts: MeetingFacts,
    _: Callable[[str], str],
    *,
    kind: str,
    when: str,
    zone: ZoneInfo,
    locale: str,
) -> tuple[tuple[str, str], ...]:
    until = format_time(facts.ends_at, "HH:mm", tzinfo=zone, locale=locale)
    rows = [
        (_("Kind"), kind),
        (_("Title"), facts.title),
        (_("When"), f"{when}–{until} ({zone.key})"),
        (_("Where"), facts.location or "—"),
        (_("Organizer"), facts.organizer_name),
        (_("Agencies"), ", ".join(facts.agency_names)),
    ]
    if facts.case_code:
        rows.append((_("Case"), facts.case_code))
    return tuple(rows)


def invitation_email(facts: MeetingFacts, *, locale: str, zone: ZoneInfo) -> RenderedEmail:
    """Return the subject, plain-text and HTML body of an invitation."""
    _ = translator(locale)
    kind = _(KIND_LABELS[facts.kind])
    when = format_local(facts.starts_at, zone, locale)
    subject = _("Invitation: %(kind)s, %(when)s") % {"kind": kind, "when": when}
    email = Email(
        lang=locale,
        subject=subject,
        heading=subject,
        lead=_("You are invited to a meeting of the interagency child-protection unit."),
        rows=_meeting_rows(facts, _, kind=kind, when=when, zone=zone, locale=locale),
        link_label=_("Details in the portal"),
        url=facts.url,
        notes=(_("The calendar entry is attached; your calendar app can add it."),),
        footer=_("Interagency child-protection unit"),
    )
    return RenderedEmail(subject, *render_email(email))


def reminder_email(facts: MeetingFacts, *, locale: str, zone: ZoneInfo) -> RenderedEmail:
    """Return the subject, plain-text and HTML body of a reminder of a coming meeting."""
    _ = translator(locale)
    kind = _(KIND_LABELS[facts.kind])
    when = format_local(facts.starts_at, zone, locale)
    subject = _("Reminder: %(kind)s, %(when)s") % {"kind": kind, "when": when}
    email = Email(
        lang=locale,
        subject=subject,
        heading=subject,
        lead=_("A meeting of the interagency child-protection unit you are invited to is coming."),
        rows=_meeting_rows(facts, _, kind=kind, when=when, zone=zone, locale=locale),
        link_label=_("Details in the portal"),
        url=facts.url,
        footer=_("Interagency child-protection unit"),
    )
    return RenderedEmail(subject, *render_email(email))
