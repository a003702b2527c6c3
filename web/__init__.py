"""The Birge portal: ``create_app`` builds the Flask application from settings."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, current_app, g, render_template, session
from flask.typing import ResponseReturnValue
from flask_babel import Babel
from flask_babel import gettext as _
from flask_login import LoginManager, current_user
from flask_wtf import CSRFProtect
from sqlalchemy.engine import Engine
from sqlmodel import Session
from werkzeug.exceptions import HTTPException

from models.i18n import DEFAULT_LOCALE, LOCALES, N_, TRANSLATIONS_DIR
from models.people import User
from models.settings import Settings, load_settings
from workers.runtime import Runtime, build_runtime

__all__ = ["create_app", "db_session", "runtime", "settings_of"]

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, *, runtime: Runtime | None = None) -> Flask:
    """Create the portal for *settings* (default: from the environment).

    *runtime* is the broker, actors and engine to use; ``birge run`` passes the one its
    in-process workers consume from, everyone else lets the app build its own.
    """
    settings = settings or load_settings()
    runtime = runtime or build_runtime(settings)
    app = Flask(__name__, instance_path=str(settings.instance_path))
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.base_url.startswith("https:"),
        REMEMBER_COOKIE_SECURE=settings.base_url.startswith("https:"),
        BABEL_DEFAULT_LOCALE=DEFAULT_LOCALE,
        BABEL_DEFAULT_TIMEZONE="UTC",
        BABEL_TRANSLATION_DIRECTORIES=str(TRANSLATIONS_DIR),
        WTF_CSRF_TIME_LIMIT=None,
        MAX_CONTENT_LENGTH=1024 * 1024,
    )
    app.extensions["birge.settings"] = settings
    app.extensions["birge.runtime"] = runtime

    CSRFProtect(app)
    Babel(app, locale_selector=_select_locale)
    login_manager = LoginManager(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "info"
    login_manager.login_message = N_("Sign in to open this page.")
    login_manager.localize_callback = _
    login_manager.user_loader(_load_user)

    from web import auth, calendars, cases, deadlines, health, meetings, tasks, workdays
    from web.templating import init_templating

    app.register_blueprint(auth.bp)
    app.register_blueprint(meetings.bp)
    app.register_blueprint(calendars.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(cases.bp)
    app.register_blueprint(tasks.bp)
    app.register_blueprint(deadlines.bp)
    app.register_blueprint(workdays.bp)
    init_templating(app)

    for code in (400, 403, 404, 405, 413, 500):
        app.register_error_handler(code, _error_page)
    app.teardown_appcontext(_close_session)
    app.after_request(_security_headers)
    # Published feeds are answered before Flask routes anything (see web/calendars/published).
    from web.calendars.published import PublishedFeeds

    app.wsgi_app = PublishedFeeds(app.wsgi_app, runtime.feeds.store)  # type: ignore[method-assign]
    return app


def settings_of(app: Flask) -> Settings:
    """Return the settings *app* was created with."""
    settings: Settings = app.extensions["birge.settings"]
    return settings


def runtime(app: Flask) -> Runtime:
    """Return the runtime (engine, broker, actors) of *app*."""
    rt: Runtime = app.extensions["birge.runtime"]
    return rt


def db_session() -> Session:
    """Return this request's database session, opening it on first use."""
    if "db" not in g:
        engine: Engine = runtime(current_app).engine
        g.db = Session(engine, expire_on_commit=False)
    db: Session = g.db
    return db


def _close_session(_exc: BaseException | None) -> None:
    db = g.pop("db", None)
    if db is not None:
        db.close()


def _load_user(user_id: str) -> User | None:
    try:
        user = db_session().get(User, int(user_id))
    except ValueError:
        return None
    return user if user is not None and user.active else None


def _select_locale() -> str:
    if current_user.is_authenticated and current_user.locale in LOCALES:
        return str(current_user.locale)
    chosen = session.get("locale")
    if chosen in LOCALES:
        return str(chosen)
    return DEFAULT_LOCALE


_ERROR_MESSAGES = {
    400: N_("The request could not be understood. Go back and try again."),
    403: N_("You may not open this page."),
    404: N_("This page does not exist, or you may not see it."),
    405: N_("This page cannot be used that way."),
    413: N_("What you sent is too large."),
    500: N_("Something went wrong on our side. Nothing you entered was lost; try again."),
}


def _error_page(error: HTTPException) -> ResponseReturnValue:
    code = error.code or 500
    message = _(_ERROR_MESSAGES.get(code, _ERROR_MESSAGES[500]))
    return render_template("error.html", code=code, message=message), code


def _security_headers(response: Response) -> Response:
    headers: Any = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    # Feed URLs carry a secret: never leak them, or anything else, in a Referer.
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
    )
    if current_user.is_authenticated:
        headers.setdefault("Cache-Control", "no-store")
    return response
