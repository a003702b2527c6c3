"""The meeting page's history: the audit trail of a meeting in words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from babel.dates import format_date
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlmodel import col

from models.core.audit import AuditEvent
from models.core.i18n import N_
from models.meetings.history import meeting_audit_trail
from models.meetings.notices import format_day_time
from models.meetings.tables import Meeting
from models.people.tables import Agency
from web.context import db_session, settings_of
from web.templating import current_locale

__all__ = ["HISTORY_LABELS", "HistoryLine", "meeting_history"]

#: What the history says for each audited action.
HISTORY_LABELS = {
    "meeting.scheduled": N_("Scheduled"),
    "meeting.rescheduled": N_("Moved"),
    "meeting.cancelled": N_("Cancelled"),
    "meeting.participants_changed": N_("Participants changed"),
    "meeting.sitting_moved": N_("One sitting moved"),
    "meeting.sitting_cancelled": N_("One sitting cancelled"),
    "meeting.series_ended": N_("Series ended"),
    "meeting.outcome_recorded": N_("Outcome of the inspection recorded"),
    "meeting.minutes_recorded": N_("Minutes recorded"),
    "meeting.answer.accepted": N_("Answered: will attend"),
    "meeting.answer.tentative": N_("Answered: maybe"),
    "meeting.answer.declined": N_("Answered: cannot attend"),
}


@dataclass(frozen=True)
class HistoryLine:
    at: datetime
    what: str
    who: str | None
    detail: str


def meeting_history(meeting: Meeting) -> list[HistoryLine]:
    """Return what happened to *meeting*, oldest first, with times and agencies in words."""
    db = db_session()
    rows = meeting_audit_trail(db, meeting)
    names = {
        a.slug: a.name(current_locale())
        for a in db.scalars(select(Agency).where(col(Agency.district_id) == meeting.district_id))
    }
    return [
        HistoryLine(
            at=event.at,
            what=_(HISTORY_LABELS.get(event.action, event.action)),
            who=person.full_name if person else None,
            detail=_detail(event, names),
        )
        for event, person in rows
    ]


def _detail(event: AuditEvent, names: dict[str, str]) -> str:
    fields = dict(item.partition("=")[::2] for item in event.detail.split() if "=" in item)
    zone, locale = settings_of(current_app).zone, current_locale()

    def moment(key: str) -> str:
        try:
            return format_day_time(datetime.fromisoformat(fields[key]), zone, locale)
        except (KeyError, ValueError):
            return ""

    def agencies(key: str) -> str:
        return ", ".join(names.get(slug, slug) for slug in fields.get(key, "").split(",") if slug)

    if event.action == "meeting.rescheduled":
        return f"{moment('from')} → {moment('to')}"
    if event.action == "meeting.sitting_moved":
        return f"{moment('sitting')} → {moment('to')}"
    if event.action == "meeting.sitting_cancelled":
        return moment("sitting")
    if event.action == "meeting.series_ended":
        try:
            day = format_date(date.fromisoformat(fields.get("from", "")), "d MMMM y", locale)
        except ValueError:
            return ""
        return _("no sittings from %(day)s") % {"day": day}
    if event.action == "meeting.participants_changed":
        parts = []
        if fields.get("added"):
            parts.append(_("added: %(agencies)s") % {"agencies": agencies("added")})
        if fields.get("removed"):
            parts.append(_("removed: %(agencies)s") % {"agencies": agencies("removed")})
        return "; ".join(parts)
    if event.action == "meeting.outcome_recorded":
        return _("act %(number)s") % {"number": fields.get("act", "")}
    return ""
