"""What the administration pages share: the acting user."""

from __future__ import annotations

from flask import abort
from flask_login import current_user

from models.people.access import may_manage_people
from models.people.administration import may_manage_agencies
from models.people.tables import User
from web.context import db_session

__all__ = ["acting_user", "agency_manager"]


def acting_user() -> User:
    """Return the signed-in user as a row of this request's session; 403 unless they manage
    the staff of some agency (administrators and coordinators)."""
    user = db_session().get(User, current_user.id)
    if user is None or not may_manage_people(user):
        abort(403)
    return user


def agency_manager() -> User:
    """Return the signed-in user as :func:`acting_user` does; 403 unless they may add and
    change agencies."""
    user = acting_user()
    if not may_manage_agencies(user):
        abort(403)
    return user
