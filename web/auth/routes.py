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
from web import db_session
from web.auth.account import (
    account,
    change_password_view,
    forgot_password,
    reset_password_view,
)
from web.auth.forms import LocaleForm, LoginForm

bp = Blueprint("auth", __name__)


def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("meetings.dashboard"))
    form = LoginForm()
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
            return redirect(_safe_next(request.args.get("next")))
        form.password.errors.append(_("Wrong email or password."))
    return render_template("auth/login.html", form=form), 200 if not form.errors else 400


def logout() -> ResponseReturnValue:
    logout_user()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


def set_locale() -> ResponseReturnValue:
    form = LocaleForm()
    if form.validate_on_submit():
        locale = form.locale.data or "ru"
        # The interface only: the language of emails is a profile setting of its own.
        session["locale"] = locale
    return redirect(_safe_next(request.form.get("next")))


def _safe_next(target: str | None) -> str:
    """Only follow redirects to paths of this site."""
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and "\\" not in target:
            return target
    return url_for("meetings.dashboard")


bp.add_url_rule("/account", view_func=login_required(account), methods=["GET", "POST"])
bp.add_url_rule(
    "/account/password", view_func=login_required(change_password_view), methods=["POST"]
)
bp.add_url_rule("/password/forgot", view_func=forgot_password, methods=["GET", "POST"])
bp.add_url_rule("/password/reset/<token>", view_func=reset_password_view, methods=["GET", "POST"])
bp.add_url_rule("/login", view_func=login, methods=["GET", "POST"])
bp.add_url_rule("/logout", view_func=login_required(logout), methods=["POST"])
bp.add_url_rule("/locale", view_func=set_locale, methods=["POST"])
