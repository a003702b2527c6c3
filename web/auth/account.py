"""The user's own account: email language, password change, forgotten password."""

from __future__ import annotations

import math

from flask import current_app, flash, g, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import current_user

from models.core.audit import record_event
from models.core.base import utcnow
from models.core.emails import format_local
from models.people.accounts import AccountError, change_password
from models.people.passwords import (
    PasswordError,
    ask_for_password_reset,
    reset_password,
    user_for_reset_token,
)
from models.people.tables import User
from models.people.throttle import retry_minute
from web.auth.forms import (
    EmailLanguageForm,
    ForgotPasswordForm,
    PasswordChangeForm,
    ResetPasswordForm,
)
from web.context import SESSION_KEY, db_session, runtime, settings_of
from web.formhelpers import show_error
from web.templating import current_locale

__all__ = ["account", "change_password_view", "forgot_password", "reset_password_view"]


def _me() -> User:
    user = db_session().get(User, current_user.id)
    assert user is not None
    return user


def _render(
    language: EmailLanguageForm, password: PasswordChangeForm, status: int = 200
) -> ResponseReturnValue:
    return render_template("auth/account.html", language=language, password=password), status


def account() -> ResponseReturnValue:
    """Show the account; POST sets the language of the user's emails."""
    me = _me()
    language = EmailLanguageForm(email_locale=me.locale)
    password = PasswordChangeForm(formdata=None)
    if language.is_submitted():
        if not language.validate():
            return _render(language, password, 400)
        db = db_session()
        me.locale = language.email_locale.data or "ru"
        db.add(me)
        record_event(
            db,
            user_id=me.id,
            action="user.email_language",
            object_type="user",
            object_id=me.id,
            detail=f"locale={me.locale}",
        )
        db.commit()
        flash(_("Your emails will come in the language you chose."), "success")
        return redirect(url_for("auth.account"))
    return _render(language, password)


def change_password_view() -> ResponseReturnValue:
    """Change the password; every other session of the user ends."""
    me = _me()
    language = EmailLanguageForm(formdata=None, email_locale=me.locale)
    form = PasswordChangeForm()
    if not form.validate_on_submit():
        return _render(language, form, 400)
    db = db_session()
    try:
        token = session.get(SESSION_KEY)
        change_password(
            db,
            me,
            current_password=form.current.data or "",
            new_password=form.new.data or "",
            keep_session=token if isinstance(token, str) else None,
        )
    except (AccountError, PasswordError) as exc:
        db.rollback()
        show_error(form, exc, {"current_password": "current", "password": "new"})
        return _render(language, form, 400)
    db.commit()
    flash(_("Your password is changed. You were signed out everywhere else."), "success")
    return redirect(url_for("auth.account"))


def forgot_password() -> ResponseReturnValue:
    """Ask for a reset link. The answer, its words and its time, is the same whether the
    address has an account: the request is recorded as typed and a worker answers it."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        db = db_session()
        now = utcnow()
        locked = ask_for_password_reset(
            db, form.email.data or "", address=request.remote_addr, now=now
        )
        db.commit()
        if locked is not None:
            when = format_local(
                retry_minute(locked), settings_of(current_app).zone, current_locale()
            )
            form.form_errors.append(
                _("Too many requests for a new password. Try again after %(when)s.", when=when)
            )
            wait = max(1, math.ceil((locked - now).total_seconds()))
            return render_template("auth/forgot.html", form=form), 429, {"Retry-After": str(wait)}
        runtime(current_app).answer_reset_requests()
        flash(
            _("If this address has an account, a link to choose a new password is on its way."),
            "info",
        )
        return redirect(url_for("auth.login"))
    status = 400 if form.is_submitted() else 200
    return render_template("auth/forgot.html", form=form), status


def reset_password_view(token: str) -> ResponseReturnValue:
    """Choose a new password through an emailed link (single use, expiring)."""
    db = db_session()
    reader = user_for_reset_token(db, token)
    if reader is None:
        message = _("This link has expired or was used already. Ask for a new one.")
        return render_template("auth/reset_expired.html", message=message), 404
    # The page speaks the language of the person the link was emailed to, as the email did.
    g.reader_locale = reader.locale
    refresh()
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            reset_password(db, token, form.new.data or "")
        except PasswordError as exc:
            db.rollback()
            show_error(form, exc, {"password": "new"})
        else:
            db.commit()
            flash(_("Your password is set. Sign in with it."), "success")
            return redirect(url_for("auth.login"))
    status = 400 if form.is_submitted() else 200
    return render_template("auth/reset.html", form=form), status
