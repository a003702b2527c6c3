"""What forms share: a domain operation's refusal next to its field; the district's agencies."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlmodel import col

from models.people.tables import Agency
from web import db_session

__all__ = ["district_agencies", "show_error"]


class FieldError(Protocol):
    field: str | None


def show_error(form: FlaskForm, error: ValueError, aliases: Mapping[str, str] = {}) -> None:
    """Attach the translated message of *error* to its field of *form*, or to the whole form."""
    message = _(str(error))
    name = getattr(error, "field", None)
    name = aliases.get(name, name) if name else None
    field = form._fields.get(name) if name else None
    if field is None:
        form.form_errors.append(message)
    else:
        errors = list(field.errors)
        errors.append(message)
        field.errors = errors


def district_agencies() -> list[Agency]:
    """Return the agencies of the signed-in user's district, in a stable order."""
    db = db_session()
    own = db.get(Agency, current_user.agency_id)
    assert own is not None
    query = select(Agency).where(col(Agency.district_id) == own.district_id)
    return list(db.scalars(query.order_by(col(Agency.id))))
