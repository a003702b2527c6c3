from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import get_day_names, get_month_names
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlmodel import col

from models.core.base import utcnow
from models.feeds.rotation import may_rotate_agency_feed, rotate_agency_feed
from models.feeds.tokens import feed_token, feed_url, person_feed_token, rotate_feed
from models.meetings.tables import KIND_LABELS
from models.overview.calendar import TASK_DEADLINE, CalendarWindow, calendar_window
from models.people.tables import Agency, User
from models.workdays.calendar import days_off_between, district_calendar
from models.workdays.holiday_names import holiday_label
from web.calendars.published import feed_bytes_response, feed_file_response
from web.context import db_session, runtime, settings_of
from web.fragments import cached, our_view
from web.nudge import nudge_workers
from web.templating import current_locale, task_title

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
        may_rotate=may_rotate_agency_feed(current_user, agency),
        form=FlaskForm(),
    )


def view() -> ResponseReturnValue:
    """The calendar view (month, week, list), filled from :func:`events`."""
    db = db_session()
    settings = settings_of(current_app)
    own = db.get(Agency, current_user.agency_id)
    assert own is not None
    agencies = db.scalars(
        select(Agency).where(col(Agency.district_id) == own.district_id).order_by(col(Agency.id))
    ).all()
    return render_template(
        "calendars/view.html",
        agencies=agencies,
        kinds=list(KIND_LABELS),
        task_kind=TASK_DEADLINE,
        kind_labels={kind: _(label) for kind, label in KIND_LABELS.items()}
        | {TASK_DEADLINE: _("Task deadline"), "overdue": _("Overdue task")},
        names=_calendar_names(current_locale()),
        now=utcnow().astimezone(settings.zone).replace(tzinfo=None).isoformat(timespec="seconds"),
    )


def events() -> ResponseReturnValue:
    """The meetings and the task deadlines the user may see in [start, end), as FullCalendar's
    event objects: ``"type"`` tells a meeting from a task.

    Times travel as the district's wall-clock time without an offset and the calendar runs
    in its "UTC" mode, so everyone sees district time whatever their device's zone.
    """
    settings = settings_of(current_app)
    user = current_user._get_current_object()
    known = {TASK_DEADLINE, *KIND_LABELS}
    kinds = tuple(sorted({k for k in request.args.getlist("kind") if k in known}))
    try:
        start = _local_param("start", settings.zone)
        end = _local_param("end", settings.zone)
        agency = request.args.get("agency", "")
        if agency and (not agency.isdigit() or len(agency) > 9):
            raise ValueError("agency")
        agency_id = int(agency) if agency else None

        def render() -> str:
            days_off = _days_off(user, start, end, settings.zone)
            window = calendar_window(
                db_session(),
                user,
                start=start,
                end=end,
                now=utcnow(),
                kinds=list(kinds),
                agency_id=agency_id,
            )
            return _events_json(window, settings.zone, days_off)

        # A refused range raises before anything is kept.
        body = cached("calendar", (our_view(), start, end, kinds, agency_id), render)
    except ValueError:
        return jsonify(error=_("Ask for at most 100 days, from a start to a later end.")), 400
    return Response(body, content_type="application/json")


def _days_off(
    user: User, start: datetime, end: datetime, zone: ZoneInfo
) -> list[dict[str, object]]:
    """The named days off of the user's district in [start, end): holidays, their observed
    days, decree days off (a plain weekend is not named), as FullCalendar's day marks."""
    db = db_session()
    own = db.get(Agency, user.agency_id)
    assert own is not None
    calendar = district_calendar(db, own.district_id)
    last = (end - timedelta(microseconds=1)).astimezone(zone).date()
    named = days_off_between(calendar, start.astimezone(zone).date(), last)
    locale = current_locale()
    return [
        {"type": "day_off", "date": day.isoformat(), "title": holiday_label(label, locale)}
        for day, label in named.items()
        if label
    ]


def _events_json(window: CalendarWindow, zone: ZoneInfo, days_off: list[dict[str, object]]) -> str:
    body: list[dict[str, object]] = [
        {
            "type": "meeting",
            "id": m.id,
            "title": m.title,
            "start": _wall_clock(m.starts_at, zone),
            "end": _wall_clock(m.ends_at, zone),
            "kind": m.kind,
            "status": m.status,
            "location": m.location,
        }
        for m in window.meetings
    ]
    body += [
        {
            "type": "task",
            "id": t.id,
            "title": task_title(t.title),
            "start": _wall_clock(t.due_at, zone),
            "allDay": False,
            "kind": TASK_DEADLINE,
            "status": t.status,
            "overdue": t.overdue,
            "case": t.case_code,
            "agency": t.agency_id,
        }
        for t in window.tasks
    ]
    body += days_off
    # Cyrillic as UTF-8, not \\u escapes: half the bytes for a month of meetings.
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def _calendar_names(locale: str) -> dict[str, object]:
    """Month and weekday names from CLDR, so the calendar reads right even where the browser
    has no Kazakh dates (Chromium falls back to "2026 M11")."""
    months = get_month_names("wide", "stand-alone", locale=locale)
    months_in_dates = get_month_names("wide", "format", locale=locale)
    days = get_day_names("abbreviated", "format", locale=locale)
    return {
        "months": [months[m] for m in range(1, 13)],
        "monthsInDates": [months_in_dates[m] for m in range(1, 13)],
        # JavaScript counts weekdays from Sunday; CLDR (and babel) from Monday.
        "days": [days[(d + 6) % 7] for d in range(7)],
        "yearFirst": locale == "kk",
    }


def _local_param(name: str, zone: ZoneInfo) -> datetime:
    raw = request.args.get(name, "")
    if not raw or len(raw) > 40:
        raise ValueError(name)
    moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    if not 2000 <= moment.year <= 2100:
        raise ValueError(name)
    # The calendar's "UTC" is the district's wall clock: read the digits as local time.
    return moment.replace(tzinfo=zone).astimezone(UTC)


def _wall_clock(moment: datetime, zone: ZoneInfo) -> str:
    """``2026-12-01T10:00``: the district's wall clock to the minute (isoformat is quicker
    than strftime, which counts on a busy month)."""
    return moment.astimezone(zone).isoformat(timespec="minutes")[:16]


def rotate() -> ResponseReturnValue:
    """Ask for confirmation (GET), then revoke the address and email the new one (POST)."""
    db = db_session()
    agency = db.get(Agency, current_user.agency_id)
    assert agency is not None
    if not may_rotate_agency_feed(current_user, agency):
        abort(403)
    form = FlaskForm()
    if request.method == "GET":
        return render_template("calendars/rotate.html", agency=agency, form=form)
    if not form.validate_on_submit() or request.form.get("confirm") != "yes":
        abort(400)
    notifications, revoked = rotate_agency_feed(
        db, settings_of(current_app), agency, actor=current_user._get_current_object()
    )
    db.commit()
    runtime(current_app).feeds.store.remove(revoked)
    nudge_workers([n.id for n in notifications if n.id is not None])
    flash(
        _(
            "A new address is issued and emailed to everyone in your agency. The old one no "
            "longer works."
        ),
        "info",
    )
    return redirect(url_for("calendars.subscription"))


def rotate_mine() -> ResponseReturnValue:
    """Revoke the user's own feed address and issue a new one."""
    if not FlaskForm().validate_on_submit():
        abort(400)
    db = db_session()
    rotation = rotate_feed(
        db,
        settings_of(current_app).secret_key,
        user=current_user._get_current_object(),
        acting_user_id=current_user.id,
    )
    db.commit()
    runtime(current_app).feeds.store.remove(rotation.revoked)
    flash(_("A new address is issued. The old one no longer works: subscribe again."), "info")
    return redirect(url_for("calendars.subscription"))


bp.add_url_rule("/calendars/<token>.ics", view_func=calendar_feed)
bp.add_url_rule("/calendar", view_func=login_required(subscription))
bp.add_url_rule("/calendar/view", view_func=login_required(view))
bp.add_url_rule("/calendar/events", view_func=login_required(events))
bp.add_url_rule("/calendar/rotate", view_func=login_required(rotate), methods=["GET", "POST"])
bp.add_url_rule("/calendar/rotate-mine", view_func=login_required(rotate_mine), methods=["POST"])
