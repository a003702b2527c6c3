from __future__ import annotations

import math
from datetime import datetime
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm

from models.core.audit import record_event
from models.core.base import utcnow
from models.core.emails import format_local
from models.core.text import has_forbidden_controls
from models.people.access import administers_district
from models.people.directory import user_with_email
from models.people.sessions import SessionEnd, end_session, end_user_sessions, start_session
from models.people.tables import Agency, User, verify_password
from models.people.throttle import (
    SIGN_IN,
    locked_until,
    record_attempt,
    record_sign_in_success,
    retry_minute,
)
from web.auth.account import (
    account,
    change_password_view,
    forgot_password,
    reset_password_view,
)
from web.auth.forms import LocaleForm, LoginForm
from web.context import ERROR_MESSAGES, SESSION_KEY, db_session, settings_of
from web.templating import current_locale

bp = Blueprint("auth", __name__)


def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("meetings.dashboard"))
    form = LoginForm()
    target = _safe_next(request.args.get("next"))  # decided before anything happens
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form), 400 if form.errors else 200
    db = db_session()
    now = utcnow()
    email = (form.email.data or "").strip().lower()
    address = request.remote_addr
    locked = locked_until(db, SIGN_IN, email=email, address=address, now=now)
    if locked is not None:
        return _locked_out(form, locked, now)
    user = user_with_email(db, email)
    # The password hash is computed whether or not the account exists (same timing).
    if verify_password(user, form.password.data or "") and user is not None and user.active:
        record_sign_in_success(db, email=email, now=now)
        _start_session(user)
        record_event(
            db, user_id=user.id, action="user.login", object_type="user", object_id=user.id
        )
        db.commit()
        return redirect(target)
    locked = record_attempt(
        db, SIGN_IN, email=email, address=address, user_id=user.id if user else None, now=now
    )
    db.commit()
    if locked is not None:
        return _locked_out(form, locked, now)
    form.password.errors.append(_("Wrong email or password."))
    return render_template("auth/login.html", form=form), 400


def _start_session(user: User) -> None:
    """Sign *user* in with a fresh server-side session (nothing of an earlier one survives)."""
    locale = session.get("locale")
    session.clear()
    if locale is not None:
        session["locale"] = locale
    session[SESSION_KEY] = start_session(db_session(), user)
    login_user(user)


def _locked_out(form: LoginForm, until: datetime, now: datetime) -> ResponseReturnValue:
    when = format_local(retry_minute(until), settings_of(current_app).zone, current_locale())
    form.form_errors.append(_("Too many failed sign-ins. Try again after %(when)s.", when=when))
    wait = max(1, math.ceil((until - now).total_seconds()))
    return render_template("auth/login.html", form=form), 429, {"Retry-After": str(wait)}


def logout() -> ResponseReturnValue:
    token = session.get(SESSION_KEY)
    if isinstance(token, str):
        db = db_session()
        end_session(db, token, reason=SessionEnd.SIGN_OUT)
        db.commit()
    logout_user()
    session.pop(SESSION_KEY, None)
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
    # The interface only: the language of emails is a profile setting of its own.
    session["locale"] = form.locale.data or "ru"
    return redirect(target)


def sign_out_everywhere(user_id: int) -> ResponseReturnValue:
    """End every session of a user of the administrator's district (a lost phone, a leaver)."""
    if not administers_district(current_user):
        abort(403)
    if not FlaskForm().validate_on_submit():
        abort(400)
    db = db_session()
    user = db.get(User, user_id)
    own = db.get(Agency, current_user.agency_id)
    theirs = db.get(Agency, user.agency_id) if user is not None else None
    if user is None or own is None or theirs is None or theirs.district_id != own.district_id:
        abort(404)
    ended = end_user_sessions(
        db, user_id, reason=SessionEnd.SIGNED_OUT_EVERYWHERE, by_user_id=current_user.id
    )
    db.commit()
    flash(
        _(
            "%(name)s is signed out everywhere. Sessions ended: %(count)s.",
            name=user.full_name,
            count=ended,
        ),
        "info",
    )
    return redirect(_safe_next(request.form.get("next")))


def _safe_next(target: str | None) -> str:
    """Only follow redirects to paths of this site, with no control characters."""
    if target and target.startswith("/") and not target.startswith("//"):
        if has_forbidden_controls(target) or len(target) > 2000:
            return url_for("meetings.dashboard")
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
bp.add_url_rule(
    "/users/<int:user_id>/sign-out-everywhere",
    view_func=login_required(sign_out_everywhere),
    methods=["POST"],
)
