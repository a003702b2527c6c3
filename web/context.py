"""What a request reaches: the app's settings and runtime, the request's database session,
its Content-Security-Policy nonce, the session cookie's key and the error pages' messages.

Blueprints import these from here, so that ``web/__init__.py`` can import the blueprints at the
top of the module without a circle.
"""

from __future__ import annotations

import secrets

from flask import Flask, current_app, g
from sqlalchemy.engine import Engine
from sqlmodel import Session

from models.core.i18n import N_
from models.core.settings import Settings
from web.assembly import Runtime

__all__ = [
    "ERROR_MESSAGES",
    "SESSION_KEY",
    "close_session",
    "csp_nonce",
    "db_session",
    "runtime",
    "settings_of",
]

#: The key of the server-side session id in Flask's signed cookie.
SESSION_KEY = "birge_session"


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


def close_session(_exc: BaseException | None) -> None:
    """Close this request's database session, if it opened one."""
    db = g.pop("db", None)
    if db is not None:
        db.close()


ERROR_MESSAGES = {
    400: N_("The request could not be understood. Go back and try again."),
    403: N_("You may not open this page."),
    404: N_("This page does not exist, or you may not see it."),
    405: N_("This page cannot be used that way."),
    413: N_("What you sent is too large."),
    429: N_("Too many attempts. Wait a little and try again."),
    500: N_("Something went wrong on our side. Nothing you entered was lost; try again."),
}


def csp_nonce() -> str:
    """Return this request's Content-Security-Policy nonce."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    nonce: str = g.csp_nonce
    return nonce
