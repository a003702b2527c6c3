"""What forms share: a domain operation's refusal next to its field; the district's agencies;
an example case code of the user's own district."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flask import current_app, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlmodel import col
from wtforms import Field, FieldList, FormField, ValidationError

from models.cases.tables import CASE_CODE_PATTERN, example_case_code
from models.core.base import utcnow
from models.core.errors import DomainError
from models.people.tables import Agency, District
from web.context import db_session, settings_of

__all__ = ["CaseCodeFormat", "case_code_example", "district_agencies", "query_id", "show_error"]


def show_error(form: FlaskForm, error: DomainError, aliases: Mapping[str, str] = {}) -> None:
    """Show each translated message of *error* at its field of *form*, or at the form's top
    when it names no field or one the form does not have.

    *aliases* maps the domain's name of a field to the form's (a subform's field by its full
    name, e.g. ``decisions-2-agency``). A field keeps the form's own message if it has one: the
    user fixes one thing at a time there.
    """
    for name, message in error.errors.items():
        field = _field(form, aliases.get(name, name)) if name else None
        if field is None:
            form.form_errors.append(_(message))
        elif not field.errors:
            field.errors = [_(message)]


def _field(fields: Iterable[Field], name: str) -> Field | None:
    """Return the field called *name* (its short or full name) among *fields* and their
    subforms."""
    for field in fields:
        if name in (field.short_name, field.name):
            return field
        if isinstance(field, FieldList | FormField) and name.startswith(f"{field.name}-"):
            found = _field(field, name)
            if found is not None:
                return found
    return None


def district_agencies() -> list[Agency]:
    """Return the agencies of the signed-in user's district, in a stable order."""
    db = db_session()
    own = db.get(Agency, current_user.agency_id)
    assert own is not None
    query = select(Agency).where(col(Agency.district_id) == own.district_id)
    return list(db.scalars(query.order_by(col(Agency.id))))


def case_code_example() -> str:
    """Return the example case code the signed-in user's forms show: a code of their own
    district, this year (``models.cases.tables.example_case_code``)."""
    db = db_session()
    own = db.get(Agency, current_user.agency_id)
    district = db.get(District, own.district_id) if own is not None else None
    assert district is not None
    year = utcnow().astimezone(settings_of(current_app).zone).year
    return example_case_code(district.case_prefix, year)


class CaseCodeFormat:
    """Refuse what cannot be a case code, saying what one of the user's district looks like."""

    def __call__(self, form: Any, field: Field) -> None:
        if field.data and not CASE_CODE_PATTERN.match(field.data):
            example = case_code_example()
            raise ValidationError(_("A case code looks like %(example)s.", example=example))


def query_id(name: str) -> int | None:
    """The row id in query parameter *name*, or None when it is missing or cannot be one (not
    ASCII digits, or beyond the databases' 64-bit integers, as ``<int:…>`` in a path)."""
    raw = request.args.get(name, "")
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 19) or not 0 < int(raw) < 2**63:
        return None
    return int(raw)
