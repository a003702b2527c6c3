"""What the meeting views share: loading a meeting under need to know, telling the organizer
what may clash."""

from __future__ import annotations

from collections.abc import Sequence

from flask import abort, flash
from flask_babel import gettext as _
from flask_login import current_user

from models.meetings.access import may_change_meeting, may_see_meeting
from models.meetings.conflicts import SchedulingWarning
from models.meetings.tables import Meeting
from models.workdays.holiday_names import describe_day_off
from web.context import db_session
from web.templating import current_locale

__all__ = ["flash_warnings", "meeting_for_change", "meeting_for_view"]


def meeting_for_view(meeting_id: int) -> Meeting:
    """Return the meeting, or 404 when it does not exist or the user may not know of it."""
    db = db_session()
    meeting = db.get(Meeting, meeting_id)
    if meeting is None or not may_see_meeting(db, current_user, meeting):
        abort(404)  # need to know: do not even confirm that the meeting exists
    return meeting


def meeting_for_change(meeting_id: int) -> Meeting:
    """Return the meeting the user may change; 404 if unseen, 403 if seen but not theirs."""
    meeting = meeting_for_view(meeting_id)
    if not may_change_meeting(db_session(), current_user, meeting):
        abort(403)
    return meeting


def flash_warnings(warnings: Sequence[SchedulingWarning]) -> None:
    """Tell the organizer what may clash or falls on a day off; the meeting stands."""
    locale = current_locale()
    for warning in warnings:
        agency = warning.agency.name(locale) if warning.agency else ""
        days = ", ".join(describe_day_off(day, label, locale) for day, label in warning.days_off)
        flash(_(warning.message, agency=agency, days=days), "warning")
