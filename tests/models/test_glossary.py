"""The interface says the unit's terms the way docs/glossary.md does, in ru and kk."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.i18n import KIND_LABELS, translator

GLOSSARY = Path(__file__).parents[2] / "docs" / "glossary.md"


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
