"""What the administration pages share: the acting user."""

from __future__ import annotations

from flask import abort
from flask_login import current_user

from models.people.tables import Role, User
from web.context import db_session

__all__ = ["acting_user", "require_admin"]


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
