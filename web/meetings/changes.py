"""Views that change a meeting: reschedule, cancel, participants, a series' sittings."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from flask import current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice

from models.core.base import utcnow
from models.meetings.access import may_change_meeting
from models.meetings.changes import (
    cancel_meeting,
    change_participants,
    check_not_held,
    check_reschedule_meeting,
    reschedule_meeting,
)
from models.meetings.facts import meeting_agencies
from models.meetings.inspections import check_inspection_outcome, record_inspection_outcome
from models.meetings.invitable import meeting_invitable_agencies
from models.meetings.invitations import meeting_sittings
from models.meetings.scheduling import ScheduledMeeting, SchedulingError
from models.meetings.series import cancel_sitting, end_series, move_sitting
from models.meetings.sittings import SittingTime, sitting_times
from models.meetings.tables import Meeting
from web.context import db_session, settings_of
from web.formhelpers import show_error
from web.meetings.common import flash_warnings, meeting_for_change, meeting_for_view
from web.meetings.forms import (
    ConfirmForm,
    EndSeriesForm,
    OutcomeForm,
    ParticipantsForm,
    RescheduleForm,
    SittingForm,
)
from web.nudge import nudge_workers
from web.templating import current_locale

#: How many sittings of a series its page lists ahead.
SITTINGS_SHOWN = 12

T = TypeVar("T")


def _refused(form: FlaskForm, attempt: Callable[[], T]) -> T | None:
    """Return what *attempt* (a change of the meeting, or its check) returns; if the domain
    refuses, undo what it began, show why on *form* and return None."""
    try:
        return attempt()
    except SchedulingError as refusal:
        db_session().rollback()
        show_error(form, refusal)
        return None


def _held(form: FlaskForm, meeting: Meeting) -> bool:
    """Tell whether *meeting* was held (its minutes are recorded), saying so on *form*."""
    try:
        check_not_held(db_session(), meeting)
    except SchedulingError as refusal:
        show_error(form, refusal)
        return True
    return False


def _done(changed: ScheduledMeeting, message: str, endpoint: str) -> ResponseReturnValue:
    db_session().commit()
    nudge_workers(changed.notification_ids)
    flash(message, "success")
    flash_warnings(changed.warnings)
    return redirect(url_for(endpoint, meeting_id=changed.meeting.id))


def reschedule(meeting_id: int) -> ResponseReturnValue:
    meeting = meeting_for_change(meeting_id)
    settings = settings_of(current_app)
    form = RescheduleForm()
    if not form.is_submitted():
        if _held(form, meeting):
            return render_template("meetings/reschedule.html", form=form, meeting=meeting), 409
        local_start = meeting.starts_at.astimezone(settings.zone)
        form.date.data, form.start_time.data = local_start.date(), local_start.time()
        form.end_time.data = meeting.ends_at.astimezone(settings.zone).time()
        form.location.data = meeting.location
    elif form.validate() or "csrf_token" not in form.errors:
        starts_at, ends_at = form.times(settings.zone)
        asked: dict[str, Any] = {
            "by": current_user._get_current_object(),
            "starts_at": starts_at,
            "ends_at": ends_at,
            "location": form.location.data or "",
        }
        db = db_session()
        if form.errors:  # show the domain's problems too, all at once; nothing is written
            _refused(form, lambda: check_reschedule_meeting(db, settings, meeting, **asked))
        else:
            moved = _refused(form, lambda: reschedule_meeting(db, settings, meeting, **asked))
            if moved is not None:
                message = _("The meeting is moved; everyone invited is told.")
                return _done(moved, message, "meetings.show")
    status = 400 if form.is_submitted() else 200
    return render_template("meetings/reschedule.html", form=form, meeting=meeting), status


def cancel(meeting_id: int) -> ResponseReturnValue:
    meeting = meeting_for_change(meeting_id)
    form = ConfirmForm()
    if not form.is_submitted() and _held(form, meeting):
        return render_template("meetings/cancel.html", form=form, meeting=meeting), 409
    if form.validate_on_submit():
        changed = _refused(
            form,
            lambda: cancel_meeting(
                db_session(),
                settings_of(current_app),
                meeting,
                by=current_user._get_current_object(),
            ),
        )
        if changed is not None:
            return _done(
                changed, _("The meeting is cancelled; everyone invited is told."), "meetings.show"
            )
    status = 400 if form.is_submitted() else 200
    return render_template("meetings/cancel.html", form=form, meeting=meeting), status


def participants(meeting_id: int) -> ResponseReturnValue:
    meeting = meeting_for_change(meeting_id)
    db = db_session()
    agencies = meeting_invitable_agencies(db, meeting)
    form = ParticipantsForm()
    fixed = {meeting.organizer_agency_id, meeting.school_agency_id}
    form.agencies.choices = [
        SelectChoice(str(a.id), a.name(current_locale())) for a in agencies if a.id not in fixed
    ]
    if not form.is_submitted():
        form.agencies.data = [a.id for a in meeting_agencies(db, meeting) if a.id not in fixed]
    elif form.validate():
        changed = _refused(
            form,
            lambda: change_participants(
                db,
                settings_of(current_app),
                meeting,
                by=current_user._get_current_object(),
                agency_ids=form.agencies.data or [],
            ),
        )
        if changed is not None:
            return _done(
                changed,
                _("The participants are changed; those added and removed are told."),
                "meetings.show",
            )
    status = 400 if form.is_submitted() else 200
    organizer = next(a for a in agencies if a.id == meeting.organizer_agency_id)
    return render_template(
        "meetings/participants.html", form=form, meeting=meeting, organizer=organizer
    ), status


def series(meeting_id: int) -> ResponseReturnValue:
    return _series_page(meeting_for_view(meeting_id), None, None, 200)


def _series_page(
    meeting: Meeting,
    failed: SittingForm | None,
    end_form: EndSeriesForm | None,
    status: int,
) -> ResponseReturnValue:
    settings = settings_of(current_app)
    db = db_session()
    now = utcnow()
    sittings = []
    shown_failed = False
    if meeting.rrule:
        for index, sitting in enumerate(_next_sittings(meeting, now), start=1):
            form = SittingForm(formdata=None, prefix=f"s{index}")
            original = sitting.original_start.isoformat()
            if failed is not None and failed._prefix and failed.original.data == original:
                form, shown_failed = failed, True
            else:
                local = sitting.starts_at.astimezone(settings.zone)
                form.original.data = sitting.original_start.isoformat()
                form.date.data, form.start_time.data = local.date(), local.time()
                form.end_time.data = sitting.ends_at.astimezone(settings.zone).time()
            sittings.append((sitting, form))
    # A refusal that belongs to no sitting on the page is shown above the sittings.
    page_errors = []
    if failed is not None and not shown_failed:
        page_errors = list(failed.form_errors) + [
            error for field in failed for error in field.errors
        ]
    return render_template(
        "meetings/series.html",
        meeting=meeting,
        sittings=sittings,
        page_errors=page_errors,
        end_form=end_form or EndSeriesForm(formdata=None),
        may_change=may_change_meeting(db, current_user, meeting),
    ), status


def _next_sittings(meeting: Meeting, now: datetime) -> list[SittingTime]:
    """Return the series' next sittings, cancelled ones included, for its page."""
    settings = settings_of(current_app)
    overrides = meeting_sittings(db_session(), meeting)
    horizon = now + timedelta(days=31 * SITTINGS_SHOWN)
    found = sitting_times(
        meeting, overrides, settings.zone, after=now, before=horizon, include_cancelled=True
    )
    return found[:SITTINGS_SHOWN]


def _original(form: SittingForm) -> datetime | None:
    return _moment(form.original.data or "")


def _moment(text: str) -> datetime | None:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo is not None else None


def move(meeting_id: int) -> ResponseReturnValue:
    meeting = meeting_for_change(meeting_id)
    settings = settings_of(current_app)
    prefix = request.form.get("sitting", "")
    form = SittingForm(prefix=prefix if re.fullmatch(r"s\d{1,3}", prefix) else "")
    original = _original(form)
    if form.validate() and original is not None:
        starts_at, ends_at = form.times(settings.zone)
        changed = _refused(
            form,
            lambda: move_sitting(
                db_session(),
                settings,
                meeting,
                by=current_user._get_current_object(),
                original_start=original,
                starts_at=starts_at,
                ends_at=ends_at,
            ),
        )
        if changed is not None:
            return _done(
                changed, _("The sitting is moved; the others stay as they were."), "meetings.series"
            )
    elif original is None:
        form.form_errors.append(_("Choose a sitting of the series."))
    return _series_page(meeting, form, None, 400)


def cancel_one(meeting_id: int) -> ResponseReturnValue:
    meeting = meeting_for_change(meeting_id)
    if request.method == "GET":  # the series page's button asks first
        return _confirm_cancel_one(meeting)
    form = SittingForm()
    original = _original(form)
    if ConfirmForm().validate_on_submit() and original is not None:
        changed = _refused(
            form,
            lambda: cancel_sitting(
                db_session(),
                settings_of(current_app),
                meeting,
                by=current_user._get_current_object(),
                original_start=original,
            ),
        )
        if changed is not None:
            return _done(
                changed,
                _("The sitting is cancelled; the others stay as they were."),
                "meetings.series",
            )
    else:
        form.form_errors.append(_("Choose a sitting of the series."))
    return _series_page(meeting, form, None, 400)


def _confirm_cancel_one(meeting: Meeting) -> ResponseReturnValue:
    original = _moment(request.args.get("original", ""))
    sitting = next(
        (
            s
            for s in _next_sittings(meeting, utcnow())
            if s.original_start == original and not s.cancelled
        ),
        None,
    )
    if sitting is None or meeting.status == "cancelled":
        form = SittingForm(formdata=None)
        form.form_errors.append(_("Choose a sitting of the series."))
        return _series_page(meeting, form, None, 400)
    return render_template(
        "meetings/cancel_sitting.html",
        meeting=meeting,
        sitting=sitting,
        form=ConfirmForm(formdata=None),
    )


def end(meeting_id: int) -> ResponseReturnValue:
    meeting = meeting_for_change(meeting_id)
    form = EndSeriesForm()
    if form.validate_on_submit():
        changed = _refused(
            form,
            lambda: end_series(
                db_session(),
                settings_of(current_app),
                meeting,
                by=current_user._get_current_object(),
                last_day=form.date.data,
            ),
        )
        if changed is not None:
            return _done(
                changed, _("The series is ended; everyone invited is told."), "meetings.series"
            )
    return _series_page(meeting, None, form, 400)


def outcome(meeting_id: int) -> ResponseReturnValue:
    meeting = meeting_for_change(meeting_id)
    form = OutcomeForm()
    if not form.is_submitted():
        form.act_number.data = meeting.act_number
        form.act_date.data = meeting.act_date
        form.note.data = meeting.outcome_note
    elif form.validate() or "csrf_token" not in form.errors:
        db, settings = db_session(), settings_of(current_app)
        asked: dict[str, Any] = {
            "by": current_user._get_current_object(),
            "act_number": form.act_number.data or "",
            "act_date": form.act_date.data,
            "note": form.note.data or "",
        }
        if form.errors:  # show the domain's problems too, all at once; nothing is written
            _refused(form, lambda: check_inspection_outcome(db, settings, meeting, **asked))
        elif _refused(form, lambda: record_inspection_outcome(db, settings, meeting, **asked)):
            db.commit()
            flash(_("The outcome of the inspection is recorded."), "success")
            return redirect(url_for("meetings.show", meeting_id=meeting.id))
    status = 400 if form.is_submitted() else 200
    return render_template("meetings/outcome.html", form=form, meeting=meeting), status
