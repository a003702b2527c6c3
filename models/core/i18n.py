"""Translations for text composed outside a request: emails, feeds, labels.

The web uses the same catalog through Flask-Babel, so a label reads the same on a page and in
the email it announces. Message ids are English; ``ru`` is the district's default locale.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

from babel.support import NullTranslations, Translations

from models.meetings.tables import MeetingKind

__all__ = [
    "ACTION_LABELS",
    "CASE_STATUS_LABELS",
    "CATEGORY_LABELS",
    "DEFAULT_LOCALE",
    "KIND_LABELS",
    "LOCALES",
    "NOTIFICATION_KIND_LABELS",
    "NOTIFICATION_STATUS_LABELS",
    "N_",
    "PERIOD_LABELS",
    "RECIPIENT_LABELS",
    "RESPONSIBLE_LABELS",
    "SOURCE_LABELS",
    "TASK_STATUS_LABELS",
    "TRANSLATIONS_DIR",
    "TRIGGER_LABELS",
    "translations",
    "translator",
]

TRANSLATIONS_DIR = Path(__file__).with_name("translations")
DEFAULT_LOCALE = "ru"
LOCALES = ("ru", "kk", "en")


def N_(message: str) -> str:
    """Mark *message* for extraction without translating it yet."""
    return message


KIND_LABELS: dict[str, str] = {
    MeetingKind.JOINT_INSPECTION: N_("Joint inspection"),
    MeetingKind.PREVENTION_COUNCIL: N_("Prevention council"),
    MeetingKind.CASE_CONFERENCE: N_("Case conference"),
    MeetingKind.COORDINATION_MEETING: N_("Coordination meeting"),
}

#: What an administrator reads for a notification's kind and status.
NOTIFICATION_KIND_LABELS: dict[str, str] = {
    "message": N_("Message"),
    "invitation": N_("Invitation"),
    "meeting_reminder": N_("Meeting reminder"),
    "task_reminder": N_("Task reminder"),
    "escalation": N_("Escalation"),
    "digest": N_("Daily digest of overdue tasks"),
}
NOTIFICATION_STATUS_LABELS: dict[str, str] = {
    "pending": N_("Waiting"),
    "sending": N_("Being sent"),
    "sent": N_("Sent"),
    "failed": N_("Failed"),
    "voided": N_("Voided"),
}


@cache
def translations(locale: str) -> NullTranslations:
    """Return the compiled catalog for *locale* (English, the message ids, when absent)."""
    if locale not in LOCALES:
        locale = DEFAULT_LOCALE
    return Translations.load(str(TRANSLATIONS_DIR), [locale], domain="messages")


def translator(locale: str) -> Callable[[str], str]:
    """Return ``gettext`` for *locale*."""
    return translations(locale).gettext


SOURCE_LABELS: dict[str, str] = {
    "helpline_111": N_("Helpline 111"),
    "school": N_("School"),
    "police": N_("Police"),
    "health": N_("Health organisation"),
    "social_protection": N_("Social protection"),
    "citizen": N_("Citizen"),
    "media": N_("Media"),
    "door_to_door": N_("Door-to-door round"),
    "other": N_("Other"),
}

CATEGORY_LABELS: dict[str, str] = {
    "violence": N_("Violence"),
    "cruel_treatment": N_("Cruel treatment"),
    "neglect": N_("Neglect"),
    "bullying": N_("Bullying"),
    "witness_of_violence": N_("Witness of violence"),
    "conflict_with_law": N_("Child in conflict with the law"),
    "truancy": N_("Truancy"),
    "other": N_("Other"),
}

TRIGGER_LABELS: dict[str, str] = {
    "report_received": N_("A report is received"),
    "signs_of_offence": N_("Signs of an offence"),
    "child_removed": N_("Child removed from the family"),
}

RESPONSIBLE_LABELS: dict[str, str] = {
    "receiving": N_("The receiving agency"),
    "lead": N_("The lead agency"),
    "akimat": N_("Akimat"),
    "education": N_("Education department"),
    "school": N_("School"),
    "police": N_("Police"),
    "health": N_("Health organisation"),
    "social_protection": N_("Social protection"),
    "kdnzp": N_("Juvenile commission"),
    "guardianship": N_("Guardianship body"),
    "center": N_("Centre"),
    "ngo": N_("NGO"),
    "ombudsman": N_("Children's ombudsman"),
}

PERIOD_LABELS: dict[str, str] = {
    "working_days": N_("working days"),
    "calendar_days": N_("calendar days"),
    "immediately": N_("immediately"),
}

RECIPIENT_LABELS: dict[str, str] = {
    "assignee": N_("Reminder to the assignee or the agency's staff"),
    "agency_head": N_("The agency's head"),
    "chair": N_("The chair"),
}

TASK_STATUS_LABELS: dict[str, str] = {
    "open": N_("Open"),
    "done": N_("Done"),
    "cancelled": N_("Cancelled"),
}

CASE_STATUS_LABELS: dict[str, str] = {"open": N_("Open"), "closed": N_("Closed")}

ACTION_LABELS: dict[str, str] = {
    "case.opened": N_("Case opened"),
    "case.flag_set": N_("Flag set"),
    "case.closed": N_("Case closed"),
    "case.restricted_viewed": N_("Child's details viewed"),
    "case.restricted_refused": N_("Child's details refused"),
    "case.restricted_changed": N_("Child's details changed"),
    "case.rule_unassigned": N_("Rule without an agency"),
    "task.created": N_("Task created"),
    "task.done": N_("Task done"),
    "task.cancelled": N_("Task cancelled"),
    "task.reassigned": N_("Task reassigned"),
    "task.due_recomputed": N_("Due moment recomputed"),
    "meeting.scheduled": N_("Meeting scheduled"),
}
