"""A task's title in the reader's language.

A statutory task is titled by its rule, which has a Russian and a Kazakh title
(:class:`~models.tasks.tables.StatutoryRule`); the task keeps the Russian one, as the rule had it
when the task was created. Tasks given by hand or by a meeting's decision keep the words their
author wrote, in whatever language that was.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import Session, col

from models.tasks.tables import StatutoryRule

__all__ = ["statutory_titles", "title_in"]


def statutory_titles(session: Session, locale: str) -> dict[str, str]:
    """Return each statutory rule's Russian title mapped to its title in *locale* (empty for
    the locales whose rules are titled in Russian)."""
    if locale != "kk":
        return {}
    rows = session.execute(select(col(StatutoryRule.title_ru), col(StatutoryRule.title_kk))).all()
    return {ru: kk for ru, kk in rows if kk}


def title_in(title: str, titles: dict[str, str]) -> str:
    """Return *title* as :func:`statutory_titles` says it, or as it is."""
    return titles.get(title, title)
