"""What the administration pages share: the acting user and putting errors at their field."""

from __future__ import annotations

from flask import abort
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from models.people.administration import AdminError
from models.people.tables import Role, User
from web import db_session

__all__ = ["acting_user", "error_at_field", "require_admin"]


def acting_user() -> User:
    """Return the signed-in user as a row of this request's session; 403 unless they
    administer something (administrators and coordinators)."""
    user = db_session().get(User, current_user.id)
    if user is None or Role(user.role) not in (Role.ADMIN, Role.COORDINATOR):
        abort(403)
    return user


def require_admin() -> User:
    user = acting_user()
    if Role(user.role) is not Role.ADMIN:
        abort(403)
    return user


def error_at_field(form: FlaskForm, error: AdminError) -> None:
    """Show a refused change's message at the field it concerns."""
    field = getattr(form, error.field, None)
    message = _(str(error))
    if field is None:
        form.form_errors.append(message)
    else:
        field.errors = [*field.errors, message]
