"""The words of outgoing emails, in the recipient's language.

Emails carry what staff need to turn up (kind, time, place, agencies, case code) and a link
to the portal; never a child's name or any other child-identifying data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_time

from models.core.emails import RenderedEmail, format_local, unit_email
from models.core.i18n import N_, translator
from models.meetings.tables import KIND_LABELS

__all__ = ["MeetingFacts", "invitation_email", "reminder_email"]


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


#: What each email of a meeting says above its facts: subject, lead and notes (English ids).
_WORDS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "invitation": (
        N_("Invitation: %(kind)s, %(when)s"),
        N_("You are invited to a meeting of the interagency child-protection unit."),
        (N_("The calendar entry is attached; your calendar app can add it."),),
    ),
    "reminder": (
        N_("Reminder: %(kind)s, %(when)s"),
        N_("A meeting of the interagency child-protection unit you are invited to is coming."),
        (),
    ),
}


def _meeting_email(
    purpose: str, facts: MeetingFacts, *, locale: str, zone: ZoneInfo
) -> RenderedEmail:
    _ = translator(locale)
    subject_id, lead, notes = _WORDS[purpose]
    kind = _(KIND_LABELS[facts.kind])
    when = format_local(facts.starts_at, zone, locale)
    subject = _(subject_id) % {"kind": kind, "when": when}
    return unit_email(
        locale,
        subject,
        lead=_(lead),
        rows=_meeting_rows(facts, _, kind=kind, when=when, zone=zone, locale=locale),
        link_label=_("Details in the portal"),
        url=facts.url,
        notes=[_(note) for note in notes],
    )


def invitation_email(facts: MeetingFacts, *, locale: str, zone: ZoneInfo) -> RenderedEmail:
    """Return the subject, plain-text and HTML body of an invitation."""
    return _meeting_email("invitation", facts, locale=locale, zone=zone)


def reminder_email(facts: MeetingFacts, *, locale: str, zone: ZoneInfo) -> RenderedEmail:
    """Return the subject, plain-text and HTML body of a reminder of a coming meeting."""
    return _meeting_email("reminder", facts, locale=locale, zone=zone)
