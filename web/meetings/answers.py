"""Answering an invitation: from the email's link without signing in, or on the meeting page."""

from __future__ import annotations

from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import refresh
from flask_login import current_user

from models.core.base import utcnow
from models.meetings.answers import RsvpError, check_may_answer, read_rsvp_token
from models.meetings.changes import record_response
from models.meetings.tables import Answer
from web.context import db_session, settings_of
from web.meetings.common import meeting_for_view
from web.meetings.forms import ConfirmForm


def respond(token: str) -> ResponseReturnValue:
    """Show the answer a link gives and record it when confirmed (POST).

    A GET never changes anything: mail scanners open links too. The token is the authority;
    no sign-in is needed, and the same answer twice is one answer.
    """
    db = db_session()
    settings = settings_of(current_app)
    try:
        asked = read_rsvp_token(db, settings, token, now=utcnow())
    except RsvpError as refusal:
        return render_template("meetings/respond.html", problem=_(str(refusal))), 400
    # The page speaks the invitee's language, as the email did (unless the visitor chose one).
    g.reader_locale = asked.user.locale
    refresh()
    form = ConfirmForm()
    recorded = False
    if form.validate_on_submit():
        recorded = True
        if record_response(db, meeting=asked.meeting, user=asked.user, answer=asked.answer):
            db.commit()
    elif form.is_submitted():
        return render_template(
            "meetings/respond.html",
            problem=_("The request could not be understood. Go back and try again."),
        ), 400
    return render_template(
        "meetings/respond.html",
        meeting=asked.meeting,
        answer=asked.answer,
        person=asked.user,
        form=form,
        recorded=recorded,
    )


def answer(meeting_id: int, value: str) -> ResponseReturnValue:
    """Record the signed-in invitee's own answer from the meeting page or the home page, under
    the same rule as the email's links."""
    meeting = meeting_for_view(meeting_id)
    try:
        chosen = Answer(value)
    except ValueError:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    db = db_session()
    user = current_user._get_current_object()
    try:
        check_may_answer(db, settings_of(current_app), meeting, user, now=utcnow())
    except RsvpError as refusal:
        flash(_(str(refusal)), "error")
        return redirect(url_for("meetings.show", meeting_id=meeting.id)), 303
    if record_response(db, meeting=meeting, user=user, answer=chosen):
        db.commit()
    flash(_("Your answer is recorded."), "success")
    if request.form.get("back") == "home":  # one fixed place back, never a URL from the form
        return redirect(url_for("meetings.dashboard"))
    return redirect(url_for("meetings.show", meeting_id=meeting.id))
