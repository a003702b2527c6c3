"""The interface says the unit's terms the way docs/glossary.md does, in ru and kk."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from models.core.i18n import translator
from models.meetings.tables import KIND_LABELS

GLOSSARY = Path(__file__).parents[3] / "docs" / "glossary.md"


def glossary_rows() -> list[tuple[str, str, str]]:
    """The first table: message id, Russian, Kazakh."""
    rows = []
    table = GLOSSARY.read_text().split("| message id (en) |", 1)[1].split("\n\n", 1)[0]
    for line in table.splitlines()[2:]:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        rows.append((cells[0], cells[1], cells[2]))
    return rows


def test_the_glossary_lists_every_kind_of_meeting() -> None:
    assert set(KIND_LABELS.values()) <= {msgid for msgid, _ru, _kk in glossary_rows()}


@pytest.mark.parametrize(("msgid", "ru", "kk"), glossary_rows())
def test_the_catalog_follows_the_glossary(msgid: str, ru: str, kk: str) -> None:
    assert translator("ru")(msgid) == ru
    assert translator("kk")(msgid) == kk
    assert translator("en")(msgid) == msgid


CATALOGS = Path(__file__).parents[3] / "models" / "core" / "translations"
_PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")

#: A term of the glossary inside longer sentences: the English words in a message id, and
#: the stem its ru and kk translations must carry (any case ending, any capital).
TERMS_IN_SENTENCES = [
    (r"\bagenc(y|ies)\b", r"ведомств", r"ведомство"),
    (r"\blead agenc", r"ведущ", r"жетекші"),
    (r"\bcoordination meetings?\b", r"межведомственной комиссии", r"ведомствоаралық комиссия"),
    (r"\bcases?\b(?! conference)", r"случа", r"\bіс"),
]


def catalog(locale: str) -> list[tuple[str, str]]:
    """Return the (message id, translation) pairs of *locale*'s catalog, placeholders out;
    plural forms joined."""
    with (CATALOGS / locale / "LC_MESSAGES" / "messages.po").open("rb") as po:
        messages = read_po(po, locale=locale)
    pairs = []
    for message in messages:
        if not message.id:
            continue
        ids = [message.id] if isinstance(message.id, str) else list(message.id)
        texts = [message.string] if isinstance(message.string, str) else list(message.string)
        pairs.append((_PLACEHOLDER.sub("", " ".join(ids)), _PLACEHOLDER.sub("", " ".join(texts))))
    return pairs


def test_kazakh_calls_an_agency_vedomstvo_never_mekeme() -> None:
    drifted = [
        (msgid, msgstr)
        for msgid, msgstr in catalog("kk")
        if re.search(r"\bagenc", msgid, re.IGNORECASE) and "мекеме" in msgstr.lower()
    ]
    assert drifted == []


@pytest.mark.parametrize("locale", ["ru", "kk"])
@pytest.mark.parametrize(
    ("english", "ru", "kk"), TERMS_IN_SENTENCES, ids=["agency", "lead", "coordination", "case"]
)
def test_sentences_use_the_glossarys_terms(locale: str, english: str, ru: str, kk: str) -> None:
    stem = ru if locale == "ru" else kk
    drifted = [
        (msgid, msgstr)
        for msgid, msgstr in catalog(locale)
        if re.search(english, msgid, re.IGNORECASE) and not re.search(stem, msgstr, re.IGNORECASE)
    ]
    assert drifted == []
