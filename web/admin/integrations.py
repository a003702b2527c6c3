"""Integrations: the systems that send reports through the API, their tokens (made and revoked
here or with ``birge api-token``) and when each was last used (the district's administrators)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from models.core.base import utcnow
from models.integrations.tokens import (
    IntegrationError,
    Scope,
    create_integration,
    integrations,
    may_manage_integrations,
    revoke_integration,
)
from models.people.tables import Agency, User
from web.admin.forms import IntegrationForm, RevokeForm
from web.context import db_session
from web.formhelpers import show_error

__all__ = ["integrations_view", "revoke_view"]


def _administrator() -> tuple[User, int]:
    """The signed-in administrator and their district; 403 for anyone else."""
    db = db_session()
    user = db.get(User, current_user.id)
    if user is None or not may_manage_integrations(user):
        abort(403)
    agency = db.get(Agency, user.agency_id)
    assert agency is not None
    return user, agency.district_id


def integrations_view() -> ResponseReturnValue:
    """The district's integrations; POST makes one and shows its token, once, on this page
    (never in a redirect's flash message, which would keep it in the session cookie)."""
    user, district_id = _administrator()
    db = db_session()
    form = IntegrationForm()
    token = None
    if form.validate_on_submit():
        scopes = [Scope(s) for s in form.scopes.data or []]
        try:
            issued = create_integration(
                db,
                name=form.name.data or "",
                district_id=district_id,
                scopes=scopes,
                user_id=user.id,
                now=utcnow(),
            )
        except IntegrationError as exc:
            db.rollback()
            show_error(form, exc)
        else:
            db.commit()
            token = issued.token
            form = IntegrationForm(formdata=None)
    status = 400 if form.is_submitted() and form.errors else 200
    return (
        render_template(
            "admin/integrations.html",
            form=form,
            token=token,
            integrations=integrations(db, district_id),
            revoke=RevokeForm(formdata=None),
        ),
        status,
    )


def revoke_view(name: str) -> ResponseReturnValue:
    user, district_id = _administrator()
    db = db_session()
    if not RevokeForm().validate_on_submit():
        abort(400)
    try:
        revoke_integration(db, name, district_id=district_id, user_id=user.id, now=utcnow())
    except IntegrationError:
        abort(404)
    db.commit()
    flash(_("The token of %(name)s is revoked.", name=name), "success")
    return redirect(url_for("admin.integrations_view"))
