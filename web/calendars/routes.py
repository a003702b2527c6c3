from __future__ import annotations

from flask import (
    Blueprint,
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

from models.feeds import (
    feed_token,
    feed_url,
    person_feed_token,
    rotate_feed,
)
from models.people import Agency, Role, User
from web import db_session, runtime, settings_of
from web.calendars.published import feed_bytes_response, feed_file_response

bp = Blueprint("calendars", __name__)


def calendar_feed(token: str) -> ResponseReturnValue:
    """Serve an agency's or a person's feed: the published file, or built on first request."""
    feeds = runtime(current_app).feeds
    published = feeds.store.stat(token)
    if published is not None:
        return feed_file_response(request, published)
    body = feeds.publish_on_request(token)
    if body is None:
        abort(404)  # the same answer for unknown and revoked tokens
    published = feeds.store.stat(token)
    if published is not None:
        return feed_file_response(request, published)
    return feed_bytes_response(request, body)


def subscription() -> ResponseReturnValue:
    """Show the user's agency feed and their own feed, with how to subscribe to them."""
    db = db_session()
    settings = settings_of(current_app)
    agency = db.get(Agency, current_user.agency_id)
    assert agency is not None
    urls: dict[str, str | None] = {}
    for name, issue in (
        ("agency", lambda: feed_token(db, agency, settings.secret_key)),
        ("person", lambda: person_feed_token(db, current_user, settings.secret_key)),
    ):
        try:
            urls[name] = feed_url(settings, issue())
        except LookupError:
            urls[name] = None  # issued under an old secret key: it must be renewed
    db.commit()
    return render_template(
        "calendars/subscription.html",
        agency=agency,
        url=urls["agency"],
        person_url=urls["person"],
        may_rotate=Role(current_user.role).may_rotate_feeds,
        form=FlaskForm(),
    )


def rotate() -> ResponseReturnValue:
    """Revoke the agency's feed address and issue a new one."""
    if not Role(current_user.role).may_rotate_feeds:
        abort(403)
    db = db_session()
    agency = db.get(Agency, current_user.agency_id)
    assert agency is not None
    return _rotate(agency=agency)


def rotate_mine() -> ResponseReturnValue:
    """Revoke the user's own feed address and issue a new one."""
    return _rotate(user=current_user._get_current_object())


def _rotate(*, agency: Agency | None = None, user: User | None = None) -> ResponseReturnValue:
    if not FlaskForm().validate_on_submit():
        abort(400)
    db = db_session()
    rotation = rotate_feed(
        db,
        settings_of(current_app).secret_key,
        agency=agency,
        user=user,
        acting_user_id=current_user.id,
    )
    db.commit()
    runtime(current_app).feeds.store.remove(rotation.revoked)
    flash(_("A new address is issued. The old one no longer works: subscribe again."), "info")
    return redirect(url_for("calendars.subscription"))


bp.add_url_rule("/calendars/<token>.ics", view_func=calendar_feed)
bp.add_url_rule("/calendar", view_func=login_required(subscription))
bp.add_url_rule("/calendar/rotate", view_func=login_required(rotate), methods=["POST"])
bp.add_url_rule("/calendar/rotate-mine", view_func=login_required(rotate_mine), methods=["POST"])
