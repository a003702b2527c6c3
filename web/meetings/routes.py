from __future__ import annotations

import logging
from datetime import timedelta

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
from sqlalchemy import select
from sqlmodel import col
from wtforms.fields.choices import SelectChoice

from models.access import may_see_case, may_see_meeting
from models.base import require_id, utcnow
from models.cases import Case
from models.dashboard import OverviewCache, dashboard_for, meeting_page
from models.i18n import KIND_LABELS
from models.meetings import Meeting
from models.outbox import troubled_count
from models.people import Agency, Role
from models.scheduling import (
    SchedulingError,
    agencies_by_meeting,
    meeting_agencies,
    schedule_meeting,
)
from web import db_session, settings_of
from web.meetings.forms import MeetingForm
from web.nudge import nudge_workers
from web.templating import current_locale

bp = Blueprint("meetings", __name__)
log = logging.getLogger(__name__)


def dashboard() -> ResponseReturnValue:
    """Home: my next meetings; the district at a glance for the chair and the secretary."""
    db = db_session()
    cache = current_app.extensions.setdefault("birge.overview_cache", OverviewCache())
    board = dashboard_for(db, current_user, now=utcnow(), cache=cache)
    agencies = agencies_by_meeting(db, board.next_meetings)
    role = Role(current_user.role)
    undelivered = (
        troubled_count(
            db,
            now=utcnow(),
            stuck_after=timedelta(seconds=settings_of(current_app).notification_stuck_seconds),
        )
        if role.sees_district
        else 0
    )
    return render_template(
        "meetings/dashboard.html",
        board=board,
        now=utcnow(),
        meetings=[(m, agencies[require_id(m)]) for m in board.next_meetings],
        may_schedule=role.may_schedule,
        undelivered=undelivered,
        may_retry=role is Role.ADMIN,
    )


def index() -> ResponseReturnValue:
    """Every meeting the user may see, a page at a time: coming or past, by kind."""
    db = db_session()
    past = request.args.get("when") == "past"
    kind = request.args.get("kind", "")
    kind = kind if kind in KIND_LABELS else ""
    page = request.args.get("page", "1")
    number = int(page) if page.isdigit() and 0 < len(page) < 7 else 1
    listing = meeting_page(
        db, current_user, now=utcnow(), page=number, past=past, kinds=[kind] if kind else []
    )
    agencies = agencies_by_meeting(db, listing.meetings)
    return render_template(
        "meetings/index.html",
        listing=listing,
        meetings=[(m, agencies[require_id(m)]) for m in listing.meetings],
        past=past,
        kind=kind,
        kinds=list(KIND_LABELS),
        may_schedule=Role(current_user.role).may_schedule,
    )


def new_meeting() -> ResponseReturnValue:
    if not Role(current_user.role).may_schedule:
        abort(403)
    db = db_session()
    settings = settings_of(current_app)
    own = db.get(Agency, current_user.agency_id)
    assert own is not None
    agencies = list(
        db.scalars(
            select(Agency)
            .where(col(Agency.district_id) == own.district_id)
            .order_by(col(Agency.id))
        )
    )
    form = MeetingForm()
    form.agencies.choices = [
        SelectChoice(str(a.id), a.name(current_locale())) for a in agencies if a.id != own.id
    ]
    if form.validate_on_submit():
        starts_at, ends_at = form.times(settings.zone)
        try:
            scheduled = schedule_meeting(
                db,
                settings,
                organizer=current_user._get_current_object(),
                kind=form.kind.data or "",
                title=form.title.data or "",
                starts_at=starts_at,
                ends_at=ends_at,
                agency_ids=form.agencies.data or [],
                location=form.location.data or "",
                case_code=form.case_code.data or None,
            )
        except SchedulingError as exc:
            db.rollback()
            form.form_errors.append(_(str(exc)))
        else:
            db.commit()
            nudge_workers(scheduled.notification_ids)
            flash(_("The meeting is scheduled and the invitations are on their way."), "success")
            return redirect(url_for("meetings.show", meeting_id=scheduled.meeting.id))
    status = 400 if form.is_submitted() and (form.errors or form.form_errors) else 200
    return render_template("meetings/new.html", form=form, own_agency=own), status


def show(meeting_id: int) -> ResponseReturnValue:
    db = db_session()
    meeting = db.get(Meeting, meeting_id)
    if meeting is None:
        abort(404)
    if not may_see_meeting(db, current_user, meeting):
        abort(404)  # need to know: do not even confirm that the meeting exists
    agencies = meeting_agencies(db, meeting)
    case = db.get(Case, meeting.case_id) if meeting.case_id else None
    if case is not None and not may_see_case(db, current_user, case):
        case = None  # invited to the meeting, but not on the case: no code
    return render_template("meetings/show.html", meeting=meeting, agencies=agencies, case=case)


bp.add_url_rule("/", view_func=login_required(dashboard))
bp.add_url_rule("/meetings", view_func=login_required(index))
bp.add_url_rule("/meetings/new", view_func=login_required(new_meeting), methods=["GET", "POST"])
bp.add_url_rule("/meetings/<int:meeting_id>", view_func=login_required(show))
