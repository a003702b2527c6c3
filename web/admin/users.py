"""Staff: the list, adding a person, changing or deactivating an account."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select
from sqlmodel import col
from wtforms.fields.choices import SelectChoice

from models.people.administration import (
    AdminError,
    UserChange,
    create_staff,
    manageable_agencies,
    may_manage_user,
    roles_assignable_by,
    update_staff,
)
from models.people.tables import Agency, User
from web.admin.common import acting_user
from web.admin.forms import ROLE_LABELS, UserForm
from web.context import db_session, settings_of
from web.formhelpers import show_error
from web.nudge import nudge_workers
from web.templating import current_locale

__all__ = ["edit_user", "new_user", "users"]

PER_PAGE = 50


def users() -> ResponseReturnValue:
    """The people the acting user manages, by agency and name, a page at a time."""
    actor = acting_user()
    db = db_session()
    agencies = {a.id: a for a in manageable_agencies(db, actor)}
    chosen = request.args.get("agency", "")
    agency_ids = [int(chosen)] if chosen.isdigit() and int(chosen) in agencies else list(agencies)
    page_arg = request.args.get("page", "1")
    page = max(1, int(page_arg)) if page_arg.isdigit() and 0 < len(page_arg) < 6 else 1
    rows = db.scalars(
        select(User)
        .where(col(User.agency_id).in_(agency_ids))
        .order_by(col(User.agency_id), col(User.full_name), col(User.id))
        .offset((page - 1) * PER_PAGE)
        .limit(PER_PAGE + 1)
    ).all()
    return render_template(
        "admin/users.html",
        people=[(u, agencies[u.agency_id]) for u in rows[:PER_PAGE]],
        agencies=list(agencies.values()),
        chosen=chosen if len(agency_ids) == 1 and chosen else "",
        page=page,
        has_next=len(rows) > PER_PAGE,
        role_labels=ROLE_LABELS,
    )


def _form_choices(form: UserForm, actor: User, agencies: list[Agency]) -> None:
    locale = current_locale()
    form.agency_id.choices = [SelectChoice(a.id, a.name(locale)) for a in agencies]
    form.role.choices = [SelectChoice(r, ROLE_LABELS[r]) for r in roles_assignable_by(actor)]


def _change(form: UserForm) -> UserChange:
    return UserChange(
        email=form.email.data or "",
        full_name=form.full_name.data or "",
        role=form.role.data or "",
        locale=form.locale.data or "ru",
        agency_id=form.agency_id.data or 0,
        active=bool(form.active.data),
    )


def new_user() -> ResponseReturnValue:
    """Add a person; they get an email with a link to choose their password."""
    actor = acting_user()
    db = db_session()
    agencies = list(manageable_agencies(db, actor))
    form = UserForm(agency_id=actor.agency_id, role="member", locale="ru")
    _form_choices(form, actor, agencies)
    if form.validate_on_submit():
        try:
            user, notification = create_staff(db, settings_of(current_app), actor, _change(form))
        except AdminError as exc:
            db.rollback()
            show_error(form, exc)
        else:
            db.commit()
            if notification is not None and notification.id is not None:
                nudge_workers([notification.id])
            flash(
                _("%(name)s is added and gets an email to choose a password.", name=user.full_name),
                "success",
            )
            return redirect(url_for("admin.users"))
    status = 400 if form.is_submitted() else 200
    return render_template("admin/user.html", form=form, user=None), status


def edit_user(user_id: int) -> ResponseReturnValue:
    """Change a person's account; unticking "May sign in" deactivates it and ends its sessions."""
    actor = acting_user()
    db = db_session()
    user = db.get(User, user_id)
    if user is None or not may_manage_user(db, actor, user):
        abort(404)
    agencies = list(manageable_agencies(db, actor))
    form = UserForm(obj=user)
    _form_choices(form, actor, agencies)
    if form.validate_on_submit():
        try:
            update_staff(db, actor, user, _change(form))
        except AdminError as exc:
            db.rollback()
            db.refresh(user)
            show_error(form, exc)
        else:
            db.commit()
            flash(_("The account of %(name)s is saved.", name=user.full_name), "success")
            return redirect(url_for("admin.users"))
    status = 400 if form.is_submitted() else 200
    return render_template("admin/user.html", form=form, user=user), status
