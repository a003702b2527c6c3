from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import func, select
from sqlmodel import col

from models.audit import record_event
from models.people import User
from models.text import has_forbidden_controls
from web import ERROR_MESSAGES, db_session
from web.auth.forms import LocaleForm, LoginForm

bp = Blueprint("auth", __name__)


def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("meetings.dashboard"))
    form = LoginForm()
    target = _safe_next(request.args.get("next"))  # decided before anything happens
    if form.validate_on_submit():
        db = db_session()
        email = (form.email.data or "").strip().lower()
        user = db.scalars(select(User).where(func.lower(col(User.email)) == email)).first()
        if user is not None and user.active and user.check_password(form.password.data or ""):
            login_user(user)
            record_event(
                db, user_id=user.id, action="user.login", object_type="user", object_id=user.id
            )
            db.commit()
            return redirect(target)
        form.password.errors.append(_("Wrong email or password."))
    return render_template("auth/login.html", form=form), 200 if not form.errors else 400


def logout() -> ResponseReturnValue:
    logout_user()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


def set_locale() -> ResponseReturnValue:
    form = LocaleForm()
    target = _safe_next(request.form.get("next"))
    if not form.validate_on_submit():
        message = _("This language is not available.") if form.locale.errors else None
        return render_template(
            "error.html", code=400, message=message or _(ERROR_MESSAGES[400])
        ), 400
    locale = form.locale.data or "ru"
    session["locale"] = locale
    if current_user.is_authenticated:
        # The user's locale is also the language of their emails.
        db = db_session()
        user = db.get(User, current_user.id)
        if user is not None:
            user.locale = locale
            db.add(user)
            db.commit()
    return redirect(target)


def _safe_next(target: str | None) -> str:
    """Only follow redirects to paths of this site, with no control characters."""
    if target and target.startswith("/") and not target.startswith("//"):
        if has_forbidden_controls(target) or len(target) > 2000:
            return url_for("meetings.dashboard")
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and "\\" not in target:
            return target
    return url_for("meetings.dashboard")


bp.add_url_rule("/login", view_func=login, methods=["GET", "POST"])
bp.add_url_rule("/logout", view_func=login_required(logout), methods=["POST"])
bp.add_url_rule("/locale", view_func=set_locale, methods=["POST"])
