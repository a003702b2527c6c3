"""Translations for text composed outside a request: emails, feeds, labels.

The web uses the same catalog through Flask-Babel, so a label reads the same on a page and in
the email it announces. Message ids are English; ``ru`` is the district's default locale.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

from babel.support import NullTranslations, Translations

__all__ = [
    "DEFAULT_LOCALE",
    "LOCALES",
    "LOCALE_NAMES",
    "N_",
    "TRANSLATIONS_DIR",
    "translations",
    "translator",
]

TRANSLATIONS_DIR = Path(__file__).with_name("translations")
DEFAULT_LOCALE = "ru"
LOCALES = ("ru", "kk", "en")
#: Each language by its own name, as the language switch and the language fields offer it.
LOCALE_NAMES = {"ru": "Русский", "kk": "Қазақша", "en": "English"}


def N_(message: str) -> str:
    """Mark *message* for extraction without translating it yet."""
    return message


@cache
def translations(locale: str) -> NullTranslations:
    """Return the compiled catalog for *locale* (English, the message ids, when absent)."""
    if locale not in LOCALES:
        locale = DEFAULT_LOCALE
    return Translations.load(str(TRANSLATIONS_DIR), [locale], domain="messages")


def translator(locale: str) -> Callable[[str], str]:
    """Return ``gettext`` for *locale*."""
    return translations(locale).gettext
