from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from calendars.ical import strong_etag
from models.feeds import agency_feed, agency_for_token, feed_token, feed_url, rotate_feed_token
from models.people import Agency, Role
from web import db_session, settings_of

bp = Blueprint("calendars", __name__)


def agency_calendar(token: str) -> ResponseReturnValue:
    db = db_session()
    agency = agency_for_token(db, token)
    if agency is None:
        abort(404)
    body = agency_feed(db, settings_of(current_app), agency)
    etag = strong_etag(body)
    headers = {
        "ETag": etag,
        # Calendar apps poll; let them revalidate cheaply but never let a proxy share the feed.
        "Cache-Control": "private, no-cache",
    }
    if request.if_none_match.contains(etag.strip('"')):
        return Response(status=304, headers=headers)
    return Response(body, headers=headers, content_type="text/calendar; charset=utf-8")


def subscription() -> ResponseReturnValue:
    """Show the user's agency feed address, with how to subscribe to it."""
    db = db_session()
    settings = settings_of(current_app)
    agency = db.get(Agency, current_user.agency_id)
    assert agency is not None
    try:
        url: str | None = feed_url(settings, feed_token(db, agency, settings.secret_key))
    except LookupError:
        url = None  # issued under an old secret key: it must be renewed
    db.commit()
    return render_template(
        "calendars/subscription.html",
        agency=agency,
        url=url,
        webcal_url=url.replace("https://", "webcal://").replace("http://", "webcal://")
        if url
        else None,
        may_rotate=Role(current_user.role).may_rotate_feeds,
        form=FlaskForm(),
    )


def rotate() -> ResponseReturnValue:
    """Revoke the agency's feed address and issue a new one."""
    if not Role(current_user.role).may_rotate_feeds:
        abort(403)
    if not FlaskForm().validate_on_submit():
        abort(400)
    db = db_session()
    agency = db.get(Agency, current_user.agency_id)
    assert agency is not None
    rotate_feed_token(db, agency, settings_of(current_app).secret_key, user_id=current_user.id)
    db.commit()
    flash(_("A new address is issued. The old one no longer works: subscribe again."), "info")
    return redirect(url_for("calendars.subscription"))


bp.add_url_rule("/calendars/<token>.ics", view_func=agency_calendar)
bp.add_url_rule("/calendar", view_func=login_required(subscription))
bp.add_url_rule("/calendar/rotate", view_func=login_required(rotate), methods=["POST"])
