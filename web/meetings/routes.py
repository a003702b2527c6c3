from __future__ import annotations

import logging
from datetime import timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlmodel import col
from wtforms.fields.choices import SelectChoice

from models.access import may_see_case, may_see_meeting, upcoming_meetings
from models.base import require_id, utcnow
from models.cases import Case
from models.meetings import Meeting
from models.outbox import troubled_count
from models.people import Agency, Role
from models.scheduling import (
    SchedulingError,
    agencies_by_meeting,
    meeting_agencies,
    schedule_meeting,
)
from web import db_session, runtime, settings_of
from web.meetings.forms import MeetingForm
from web.templating import current_locale

bp = Blueprint("meetings", __name__)
log = logging.getLogger(__name__)


def dashboard() -> ResponseReturnValue:
    db = db_session()
    upcoming = upcoming_meetings(db, current_user, now=utcnow())
    agencies = agencies_by_meeting(db, upcoming)
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
        meetings=[(m, agencies[require_id(m)]) for m in upcoming],
        may_schedule=role.may_schedule,
        undelivered=undelivered,
        may_retry=role is Role.ADMIN,
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
            _nudge_workers(scheduled.notification_ids)
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


def _nudge_workers(notification_ids: list[int]) -> None:
    """Tell the workers to send; a failure here loses nothing, the scheduler's tick resends."""
    actor = runtime(current_app).actors.send_notification
    for notification_id in notification_ids:
        try:
            actor.send(notification_id)
        except Exception as exc:  # the broker is down or blocked: the outbox row stays pending
            log.warning(
                "could not enqueue notification %s (%s); the tick will retry",
                notification_id,
                type(exc).__name__,
            )
            return


bp.add_url_rule("/", view_func=login_required(dashboard))
bp.add_url_rule("/meetings/new", view_func=login_required(new_meeting), methods=["GET", "POST"])
bp.add_url_rule("/meetings/<int:meeting_id>", view_func=login_required(show))
