from __future__ import annotations

import pytest
from babel.messages.pofile import read_po

from models.core.i18n import TRANSLATIONS_DIR, translations


def catalog(locale: str):
    with open(TRANSLATIONS_DIR / locale / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f, locale=locale)


def template_ids() -> set[str]:
    with open(TRANSLATIONS_DIR / "messages.pot", "rb") as f:
        return {m.id for m in read_po(f) if m.id}


@pytest.mark.parametrize("locale", ["ru", "kk"])
def test_every_message_is_translated(locale: str) -> None:
    translated = {m.id for m in catalog(locale) if m.id and m.string and not m.fuzzy}
    assert template_ids() - translated == set()


@pytest.mark.parametrize("locale", ["ru", "kk"])
def test_compiled_catalog_matches_its_source(locale: str) -> None:
    """Edited a .po file and forgot `make translations`? This fails."""
    compiled = translations(locale)
    for message in catalog(locale):
        if message.id and message.string:
            if isinstance(message.id, tuple):  # a plural: the form for one
                assert compiled.ngettext(*message.id[:2], 1) == message.string[0], message.id
            else:
                assert compiled.gettext(message.id) == message.string, message.id


def test_placeholders_survive_translation() -> None:
    for locale in ("ru", "kk"):
        for message in catalog(locale):
            for name in ("%(kind)s", "%(when)s", "%(url)s", "%(zone)s", "%(agency)s"):
                if message.id and name in message.id:
                    assert name in message.string, (locale, message.id)
