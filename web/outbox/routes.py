from __future__ import annotations

import logging
from datetime import timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import ngettext
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from models.core.base import utcnow
from models.overview.outbox import may_retry_emails, retry_notifications, troubled_notifications
from web.context import db_session, settings_of
from web.nudge import nudge_workers

bp = Blueprint("outbox", __name__)
log = logging.getLogger(__name__)


def _require_may_retry() -> None:
    if not may_retry_emails(current_user):
        abort(403)


def index() -> ResponseReturnValue:
    """List failed emails and those long waiting, oldest first."""
    _require_may_retry()
    settings = settings_of(current_app)
    rows = troubled_notifications(
        db_session(),
        current_user._get_current_object(),
        now=utcnow(),
        stuck_after=timedelta(seconds=settings.notification_stuck_seconds),
    )
    return render_template("outbox/index.html", rows=rows, form=FlaskForm())


def retry_one(notification_id: int) -> ResponseReturnValue:
    return _retry([notification_id])


def retry_all() -> ResponseReturnValue:
    return _retry(None)


def _retry(ids: list[int] | None) -> ResponseReturnValue:
    _require_may_retry()
    if not FlaskForm().validate_on_submit():
        abort(400)
    db = db_session()
    retried = retry_notifications(db, current_user._get_current_object(), now=utcnow(), ids=ids)
    db.commit()
    nudge_workers(retried)
    flash(
        ngettext("%(num)s email is sent again.", "%(num)s emails are sent again.", len(retried)),
        "success",
    )
    return redirect(url_for("outbox.index"))


bp.add_url_rule("/admin/notifications", view_func=login_required(index))
bp.add_url_rule(
    "/admin/notifications/<int:notification_id>/retry",
    view_func=login_required(retry_one),
    methods=["POST"],
)
bp.add_url_rule("/admin/notifications/retry", view_func=login_required(retry_all), methods=["POST"])
