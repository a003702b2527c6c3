from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, request
from flask.typing import ResponseReturnValue

from calendars.ical import strong_etag
from models.feeds import agency_feed, agency_for_token
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
    if etag in request.if_none_match or request.if_none_match.contains(etag.strip('"')):
        return Response(status=304, headers=headers)
    return Response(
        body, mimetype="text/calendar", headers=headers, content_type="text/calendar; charset=utf-8"
    )


bp.add_url_rule("/calendars/<token>.ics", view_func=agency_calendar)
