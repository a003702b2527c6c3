"""The base of every portal form: typed text and dates checked once, messages in the page's
language.

Subclass :class:`BirgeForm` instead of ``FlaskForm``: every text field then refuses control
characters (line breaks only in a ``TextAreaField``) and every date field refuses years outside
2000-2100, each with a message next to the field, before a view sees the data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from flask_babel import gettext
from flask_wtf import FlaskForm
from flask_wtf.i18n import translations as wtforms_translations
from wtforms import StringField, TextAreaField

from models.core.i18n import N_
from models.core.text import (
    CONTROL_CHARACTERS_MESSAGE,
    EARLIEST_YEAR,
    LATEST_YEAR,
    date_in_range,
    has_forbidden_controls,
)

__all__ = ["CONTROL_CHARACTERS_MESSAGE", "DATE_RANGE_MESSAGE", "BirgeForm"]

DATE_RANGE_MESSAGE = N_("Enter a date between %(earliest)s and %(latest)s.")

#: WTForms' own messages that its ru or kk catalogs leave untranslated; ours translate them.
_WTFORMS_GAPS = (
    N_("'%(value)s' is not a valid choice for this field."),
    N_("'%(value)s' are not valid choices for this field."),
    N_("Invalid choice(s): one or more data inputs could not be coerced."),
    N_("Date must be at least %(min)s."),
    N_("Date must be at most %(max)s."),
    N_("Date must be between %(min)s and %(max)s."),
    N_("This field cannot be edited."),
)


class _Translations:
    """WTForms' catalog for the page's locale, falling back to Birge's where it has a gap."""

    def gettext(self, string: str) -> str:
        translated: str = wtforms_translations.gettext(string)
        return gettext(string) if translated == string else translated

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        translated: str = wtforms_translations.ngettext(singular, plural, n)
        if translated in (singular, plural):
            return gettext(singular if n == 1 else plural)
        return translated


_TRANSLATIONS = _Translations()


class BirgeForm(FlaskForm):
    """A Flask-WTF form whose text and date fields obey ``models.core.text``."""

    class Meta(FlaskForm.Meta):
        def get_translations(self, form: Any) -> Any:
            return _TRANSLATIONS

    def validate(self, extra_validators: Mapping[str, Sequence[Any]] | None = None) -> bool:
        valid = super().validate(extra_validators)
        for field in self:
            problem = _problem(field)
            if problem is not None:
                field.errors = [*field.errors, problem]
                valid = False
        return valid


def _problem(field: Any) -> str | None:
    data = field.data
    multiline = isinstance(field, TextAreaField)
    text = data if isinstance(field, StringField) and isinstance(data, str) else ""
    if has_forbidden_controls(text, multiline=multiline):
        return gettext(CONTROL_CHARACTERS_MESSAGE)
    # TimeField is a DateTimeField too, but holds a time of day: test the data, not the field.
    if isinstance(data, date) and not date_in_range(data):
        return gettext(DATE_RANGE_MESSAGE, earliest=EARLIEST_YEAR, latest=LATEST_YEAR)
    return None
