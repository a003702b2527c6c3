"""The words of a meeting's invitations, updates and cancellations, in the reader's language.

Like every outgoing text they carry what staff need to turn up and a link to the portal, the
case code at most, never a child's name or the address of a family's home.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time

from models.core.emails import RenderedEmail, format_local, unit_email, zone_label
from models.core.i18n import N_, translator
from models.meetings.emails import MeetingFacts
from models.meetings.tables import KIND_LABELS, Answer

__all__ = [
    "ANSWER_LABELS",
    "change_email",
    "describe_rule",
    "display_title",
    "format_day_time",
    "zone_label",
]

_SUBJECTS = {
    "invite": N_("Invitation: %(title)s, %(when)s"),
    "update": N_("Changed: %(title)s, now %(when)s"),
    "cancel": N_("Cancelled: %(title)s, %(when)s"),
    "uninvite": N_("No longer invited: %(title)s, %(when)s"),
    "sitting-moved": N_("One sitting moved: %(title)s, now %(when)s"),
    "sitting-cancelled": N_("One sitting cancelled: %(title)s, %(when)s"),
}
_LEADS = {
    "invite": N_("You are invited to a meeting of the interagency child-protection unit."),
    "update": N_("The meeting has changed. Your calendar entry is updated by the attachment."),
    "cancel": N_("The meeting is cancelled. The attachment removes it from your calendar."),
    "uninvite": N_(
        "Your agency no longer takes part in this meeting. "
        "The attachment removes it from your calendar."
    ),
    "sitting-moved": N_("One sitting of the series has moved; the other sittings stay."),
    "sitting-cancelled": N_("One sitting of the series is cancelled; the other sittings stay."),
}
ANSWER_LABELS = {
    Answer.ACCEPTED: N_("I will attend"),
    Answer.TENTATIVE: N_("Maybe"),
    Answer.DECLINED: N_("I cannot attend"),
}


def format_day_time(moment: datetime, zone: ZoneInfo, locale: str) -> str:
    """Format *moment* with its weekday, in the district's zone and the order *locale* writes
    dates in: "Thursday, 26 November 2026, 15:00", "бейсенбі, 2026 ж. 26 қараша, 15:00"."""
    weekday = format_date(moment.astimezone(zone).date(), "EEEE", locale=locale)
    return f"{weekday}, {format_local(moment, zone, locale)}"


def display_title(kind_label: str, title: str) -> str:
    """Return "Kind: title", without repeating the kind when the title already says it."""
    if title.casefold().startswith(kind_label.casefold()):
        return title
    return f"{kind_label}: {title}"


def describe_rule(rule: str, first_start: datetime, zone: ZoneInfo, locale: str) -> str:
    """Say how a series repeats, in words where the rule is a usual one, and until when."""
    _ = translator(locale)
    weekday = format_date(first_start.astimezone(zone), "EEEE", locale=locale)
    at = format_time(first_start, "HH:mm", tzinfo=zone, locale=locale)
    parts = dict(p.partition("=")[::2] for p in rule.split(";"))
    byday = parts.get("BYDAY", "")
    words = rule
    if parts.get("FREQ") == "MONTHLY" and "INTERVAL" not in parts and len(byday) in (3, 4):
        if byday.startswith("-1"):
            text = _("every month: %(weekday)s of the last week, at %(time)s")
            words = text % {"weekday": weekday, "time": at}
        elif byday[0].isdigit():
            text = _("every month: %(weekday)s of week %(n)s, at %(time)s")
            words = text % {"weekday": weekday, "n": byday[0], "time": at}
    elif parts.get("FREQ") == "WEEKLY" and "INTERVAL" not in parts:
        words = _("every week: %(weekday)s, at %(time)s") % {"weekday": weekday, "time": at}
    until = parts.get("UNTIL")
    if until and words != rule:
        last = datetime.strptime(until, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        day = format_date(last.astimezone(zone), "d MMMM y", locale=locale)
        words = _("%(rule)s, until %(day)s") % {"rule": words, "day": day}
    return words


def change_email(
    facts: MeetingFacts,
    purpose: str,
    *,
    locale: str,
    zone: ZoneInfo,
    links: Mapping[Answer, str],
    series_rule: str | None = None,
) -> RenderedEmail:
    """Return the subject, plain-text and HTML body of an email about a meeting."""
    _ = translator(locale)
    kind = _(KIND_LABELS[facts.kind])
    title = display_title(kind, facts.title)
    when = format_day_time(facts.starts_at, zone, locale)
    until = format_time(facts.ends_at, "HH:mm", tzinfo=zone, locale=locale)
    subject = _(_SUBJECTS[purpose]) % {"title": title, "when": when}
    rows = [
        (_("Kind"), kind),
        (_("Title"), facts.title),
        (_("When"), f"{when}–{until} ({zone_label(zone, locale, facts.starts_at)})"),
    ]
    if series_rule:
        rows.append((_("Repeats"), describe_rule(series_rule, facts.starts_at, zone, locale)))
    rows += [
        (_("Where"), facts.location or "—"),
        (_("Organizer"), facts.organizer_name),
        (_("Agencies"), ", ".join(facts.agency_names)),
    ]
    if facts.case_code:
        rows.append((_("Case"), facts.case_code))
    return unit_email(
        locale,
        subject,
        lead=_(_LEADS[purpose]),
        rows=rows,
        link_label=_("Details in the portal"),
        url=facts.url,
        notes=[_("The calendar entry is attached; your calendar app applies it.")],
        actions_lead=_("Your answer (no sign-in needed):") if links else "",
        actions=[(_(ANSWER_LABELS[a]), url) for a, url in links.items()],
    )
