"""Translations for text composed outside a request: emails, feeds, labels.

The web uses the same catalog through Flask-Babel, so a label reads the same on a page and in
the email it announces. Message ids are English; ``ru`` is the district's default locale.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

from babel.support import NullTranslations, Translations

from models.meetings import MeetingKind

__all__ = [
    "DEFAULT_LOCALE",
    "KIND_LABELS",
    "LOCALES",
    "NOTIFICATION_KIND_LABELS",
    "NOTIFICATION_STATUS_LABELS",
    "N_",
    "TRANSLATIONS_DIR",
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
