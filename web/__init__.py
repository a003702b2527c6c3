"""The Birge portal: ``create_app`` builds the Flask application from settings."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, current_app, g, render_template, request, session
from flask.typing import ResponseReturnValue
from flask_babel import Babel
from flask_babel import gettext as _
from flask_login import LoginManager, current_user
from flask_wtf import CSRFProtect
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter, Map

from models.core.i18n import DEFAULT_LOCALE, LOCALES, N_, TRANSLATIONS_DIR
from models.core.marks import install_change_marks
from models.core.settings import Settings, load_settings
from models.people.sessions import session_user
from models.people.tables import User
from web import (
    admin,
    api,
    auth,
    calendars,
    cases,
    deadlines,
    health,
    meetings,
    outbox,
    oversight,
    tasks,
    workdays,
)
from web.api.problems import http_problem
from web.api.problems import problem as api_problem
from web.assembly import Runtime, build_runtime
from web.calendars.published import PublishedFeeds
from web.context import (
    ERROR_MESSAGES,
    SESSION_KEY,
    close_session,
    csp_nonce,
    db_session,
    runtime,
    settings_of,
)
from web.templating import init_templating

__all__ = ["SECURITY_HEADERS", "DatabaseIdConverter", "create_app", "runtime"]

log = logging.getLogger(__name__)

#: What a 503 during a database outage asks clients to wait, in seconds.
RETRY_AFTER_SECONDS = 30
#: What the database driver raises when the database is down, hung (a connection broken by the
#: watchdog of models.core.db, a connect timeout) or every pooled connection is taken.
DATABASE_OUTAGES = (OperationalError, InterfaceError, PoolTimeoutError)


def create_app(settings: Settings | None = None, *, runtime: Runtime | None = None) -> Flask:
    """Create the portal for *settings* (default: from the environment).

    *runtime* is the broker, actors and engine to use; ``birge run`` passes the one its
    in-process workers consume from, everyone else lets the app build its own.
    """
    settings = settings or load_settings()
    install_change_marks()
    runtime = runtime or build_runtime(settings)
    app = Flask(__name__, instance_path=str(settings.instance_path))
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookies,
        REMEMBER_COOKIE_SECURE=settings.secure_cookies,
        BABEL_DEFAULT_LOCALE=DEFAULT_LOCALE,
        BABEL_DEFAULT_TIMEZONE="UTC",
        BABEL_TRANSLATION_DIRECTORIES=str(TRANSLATIONS_DIR),
        WTF_CSRF_TIME_LIMIT=None,
        MAX_CONTENT_LENGTH=1024 * 1024,
    )
    # Ids beyond the database's 64-bit integers are simply not found (a 404), on every route.
    app.url_map.converters["int"] = DatabaseIdConverter
    if settings.proxy_count:
        # The client's address (for sign-in throttling) and scheme come from the proxies.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=settings.proxy_count, x_proto=settings.proxy_count
        )
    app.extensions["birge.settings"] = settings
    app.extensions["birge.runtime"] = runtime

    csrf = CSRFProtect(app)
    csrf.exempt(api.bp)  # token-authenticated, never a browser's cookie
    Babel(app, locale_selector=_select_locale)
    login_manager = LoginManager(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "info"
    login_manager.login_message = N_("Sign in to open this page.")
    login_manager.localize_callback = _
    login_manager.user_loader(_load_user)

    app.register_blueprint(auth.bp)
    app.register_blueprint(meetings.bp)
    app.register_blueprint(calendars.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(cases.bp)
    app.register_blueprint(tasks.bp)
    app.register_blueprint(deadlines.bp)
    app.register_blueprint(workdays.bp)
    app.register_blueprint(outbox.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(oversight.bp)
    # Accounts above the districts reach their own pages only (before any district's route).
    app.before_request(oversight.confine)
    init_templating(app)

    for code in (400, 403, 404, 405, 413, 429, 500):
        app.register_error_handler(code, _error_page)
    for outage in DATABASE_OUTAGES:
        app.register_error_handler(outage, _database_unavailable)
    app.teardown_appcontext(close_session)
    app.after_request(_security_headers)
    # Published feeds are answered before Flask routes anything (see web/calendars/published).
    app.wsgi_app = PublishedFeeds(  # type: ignore[method-assign]
        app.wsgi_app, runtime.feeds.store, headers=security_headers(settings)
    )
    return app


class DatabaseIdConverter(IntegerConverter):
    """``<int:...>`` for row ids: ASCII digits, 1 to 2**63 - 1 (the databases' BIGINT range)."""

    regex = r"[0-9]+"

    def __init__(self, url_map: Map, fixed_digits: int = 0, **bounds: Any) -> None:
        bounds.setdefault("min", 1)
        bounds.setdefault("max", 2**63 - 1)
        super().__init__(url_map, fixed_digits, **bounds)


def _load_user(user_id: str) -> User | None:
    """Return the user of this request's server-side session, if it is still live."""
    token = session.get(SESSION_KEY)
    if g.get("database_down") or not isinstance(token, str):
        return None
    db = db_session()
    try:
        user = session_user(db, token, idle=settings_of(current_app).session_idle)
        if db.dirty:
            db.commit()  # the session's last-seen time, or its end after idling
    except DATABASE_OUTAGES:
        g.database_down = True  # the 503 page and the headers must not wait for it again
        raise
    return user if user is not None and str(user.id) == user_id else None


def _select_locale() -> str:
    """The interface language: the one chosen with the switch (kept across sign-in), else the
    language of the person a signed link is for (``g.reader_locale``), else the user's email
    language, else (signed out) the browser's ``Accept-Language``, else Russian. The switch
    never changes the email language."""
    if g.get("database_down"):
        chosen = session.get("locale")
        return str(chosen) if chosen in LOCALES else DEFAULT_LOCALE
    chosen = session.get("locale")
    if chosen in LOCALES:
        return str(chosen)
    reader = g.get("reader_locale")
    if reader in LOCALES:
        return str(reader)
    if current_user.is_authenticated and current_user.locale in LOCALES:
        return str(current_user.locale)
    asked = request.accept_languages.best_match(LOCALES)
    return str(asked) if asked else DEFAULT_LOCALE


def _error_page(error: HTTPException) -> ResponseReturnValue:
    code = error.code or 500
    if request.path.startswith("/api/"):
        return http_problem(error)
    message = _(ERROR_MESSAGES.get(code, ERROR_MESSAGES[500]))
    return render_template("error.html", code=code, message=message), code


def _database_unavailable(error: Exception) -> ResponseReturnValue:
    """Answer a database outage with a 503 page that needs no database (no user, no locale)."""
    g.database_down = True
    db = g.pop("db", None)
    if db is not None:
        try:
            db.close()
        except Exception:  # the connection is gone already; nothing is left to release
            log.debug("closing the session of a lost database failed")
    log.warning("database unreachable while serving a request: %s", type(error).__name__)
    if request.path.startswith("/api/"):
        return api_problem(503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
    body = render_template("unavailable.html")
    return body, 503, {"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"}


#: Sent with every answer, including published feeds served before Flask routes anything.
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Feed URLs carry a secret: never leak them, or anything else, in a Referer.
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": (
        "default-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'"
    ),
}


#: Served over https, browsers are told to use nothing else for a year (not for subdomains: the
#: akimat's other sites are not ours to pin).
HSTS = "max-age=31536000"


def security_headers(settings: Settings) -> dict[str, str]:
    """The headers every answer carries, the published feeds' included."""
    if settings.base_url.startswith("https:"):
        return SECURITY_HEADERS | {"Strict-Transport-Security": HSTS}
    return SECURITY_HEADERS


def _security_headers(response: Response) -> Response:
    headers: Any = response.headers
    # The calendar view's bundle injects its stylesheet as a <style> element carrying this
    # request's nonce (<meta name="csp-nonce">); nothing else may add styles.
    headers.setdefault(
        "Content-Security-Policy",
        f"default-src 'self'; style-src 'self' 'nonce-{csp_nonce()}'; img-src 'self' data:; "
        # The calendar's icon font is embedded in its stylesheet.
        "font-src 'self' data:; frame-ancestors 'none'",
    )
    for name, value in security_headers(settings_of(current_app)).items():
        headers.setdefault(name, value)
    # A signed-in browser's answers are never cached. Asked of the cookie, not of the user: a
    # route that never loaded the user (/healthz) must not wait on a hung database here.
    if SESSION_KEY in session:
        headers.setdefault("Cache-Control", "no-store")
    return response
