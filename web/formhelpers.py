"""What forms share: a domain operation's refusal next to its field; the district's agencies."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from flask import request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlmodel import col
from wtforms import Field, FieldList, FormField

from models.core.errors import DomainError
from models.people.tables import Agency
from web.context import db_session

__all__ = ["district_agencies", "query_id", "show_error"]


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


def query_id(name: str) -> int | None:
    """The row id in query parameter *name*, or None when it is missing or cannot be one (not
    ASCII digits, or beyond the databases' 64-bit integers, as ``<int:…>`` in a path)."""
    raw = request.args.get(name, "")
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 19) or not 0 < int(raw) < 2**63:
        return None
    return int(raw)
