"""Views of a held meeting: record its minutes, read them, download the DOCX protocol."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from models.core.base import require_id, utcnow
from models.meetings.access import may_see_meeting
from models.meetings.facts import meeting_agencies
from models.meetings.sittings import parse_sitting_key, sitting_key
from models.meetings.tables import Meeting, MeetingStatus
from models.minutes.agenda import agenda_in, coordination_agenda, shown_to
from models.minutes.held import held_meeting, held_sittings
from models.minutes.protocol import PROTOCOL_LOCALES, build_protocol, protocol_filename
from models.minutes.recording import (
    MinutesError,
    check_minutes,
    may_record_minutes,
    minutes_of,
    people_who_may_attend,
    record_minutes,
    sitting_of,
)
from models.people.tables import Agency, User
from models.tasks.assignees import task_assignees
from models.tasks.notices import unsent_task_emails
from web.context import db_session, settings_of
from web.formhelpers import district_agencies, show_error
from web.meetings.minutes_forms import MinutesForm
from web.nudge import nudge_workers
from web.templating import current_locale

__all__ = ["minutes", "protocol", "summary"]


def _user() -> User:
    user: User = current_user._get_current_object()
    return user


def _meeting(meeting_id: int) -> Meeting:
    db = db_session()
    meeting = db.get(Meeting, meeting_id)
    if meeting is None or not may_see_meeting(db, _user(), meeting):
        abort(404)  # need to know: do not even confirm that the meeting exists
    return meeting


def _sitting(meeting: Meeting) -> datetime | None:
    """Return the original start of the sitting the request names (``?sitting=``): None for
    a single meeting, which takes none; 404 when it names no sitting of the series."""
    key = request.args.get("sitting")
    if not meeting.is_series:
        if key is not None:
            abort(404)
        return None
    start = parse_sitting_key(key)
    db = db_session()
    if start is None or (
        sitting_of(db, meeting, start) is None and minutes_of(db, meeting, start) is None
    ):
        abort(404)
    return start


def minutes(meeting_id: int) -> ResponseReturnValue:
    """Show the minutes of a sitting once recorded; before, the agenda and (to the secretary)
    the form. A series' sitting is named by ``?sitting=``; without it, its page lists them."""
    db = db_session()
    user = _user()
    meeting = _meeting(meeting_id)
    if meeting.is_series and "sitting" not in request.args:
        return redirect(url_for("meetings.show", meeting_id=meeting.id))
    sitting = _sitting(meeting)
    now = utcnow()
    held = held_meeting(db, user, meeting, now=now, sitting=sitting)
    if held is not None:
        if request.method == "POST":
            abort(409)
        return render_template(
            "meetings/minutes.html", held=held, protocol_locales=PROTOCOL_LOCALES
        )
    held_at = sitting_of(db, meeting, sitting)
    if held_at is None:
        abort(404)
    may_record = may_record_minutes(db, user, meeting)
    begun = (
        held_at.starts_at <= now
        and meeting.status != MeetingStatus.CANCELLED
        and not held_at.cancelled
    )
    if request.method == "POST" and not (may_record and begun):
        abort(403)
    agencies = meeting_agencies(db, meeting)
    people = people_who_may_attend(db, agencies)
    form = MinutesForm()
    _offer_choices(form, agencies, people)
    refused = False
    filled = [i for i, entry in enumerate(form.decisions.entries) if not entry.form.is_blank()]
    if form.is_submitted() and not form.validate() and "csrf_token" not in form.errors:
        # Show the domain's problems beside the form's own, all at once; nothing is written.
        try:
            check_minutes(  # only values the form accepted reach the domain (no stray ids)
                db,
                user,
                meeting,
                text=form.text.data or "",
                present_user_ids=(form.people.data or []) if not form.people.errors else [],
                present_agency_ids=(form.agencies.data or []) if not form.agencies.errors else [],
                decisions=[form.decisions.entries[i].form.draft() for i in filled],
                now=now,
                sitting=sitting,
            )
        except MinutesError as refusal:
            refused = True
            show_error(form, refusal, _rows_on_page(refusal, filled))
    elif form.is_submitted() and not form.errors:
        try:
            recorded = record_minutes(
                db,
                user,
                meeting,
                settings=settings_of(current_app),
                text=form.text.data or "",
                present_user_ids=form.people.data or [],
                present_agency_ids=form.agencies.data or [],
                decisions=[form.decisions.entries[i].form.draft() for i in filled],
                now=now,
                sitting=sitting,
            )
        except MinutesError as refusal:
            db.rollback()
            refused = True
            show_error(form, refusal, _rows_on_page(refusal, filled))
        else:
            db.commit()
            nudge_workers(unsent_task_emails(db, [require_id(t) for t in recorded.tasks]))
            flash(_("The minutes are recorded; each decision is now a task."), "success")
            key = sitting_key(sitting) if sitting is not None else None
            return redirect(url_for("meetings.minutes", meeting_id=meeting.id, sitting=key))
    agenda = coordination_agenda(db, meeting, now=now)
    # A subform's refusal is not in ``form.errors`` (a FieldList keeps what validate() saw).
    status = 400 if form.is_submitted() and (refused or form.errors or form.form_errors) else 200
    return render_template(
        "meetings/record_minutes.html",
        meeting=meeting,
        held_at=held_at,
        form=form,
        agencies=agencies,
        person_agency={p.id: p.agency_id for p in people},
        may_record=may_record,
        begun=begun,
        agenda=shown_to(db, user, agenda) if agenda is not None else None,
    ), status


def summary(meeting: Meeting) -> dict[str, Any]:
    """Return what the meeting's page shows of its minutes: whether they are recorded, whether
    the reader may record them now, and a coordination meeting's agenda; for a series, its
    held sittings, each with its record."""
    db = db_session()
    user = _user()
    now = utcnow()
    may_record = meeting.status != MeetingStatus.CANCELLED and may_record_minutes(db, user, meeting)
    if meeting.is_series:
        return {
            "minutes_recorded": False,
            "may_record_minutes": False,
            "held_sittings": held_sittings(db, meeting, settings_of(current_app).zone, now=now),
            "may_record_sittings": may_record,
            "agenda": None,
        }
    recorded = minutes_of(db, meeting) is not None
    agenda = coordination_agenda(db, meeting, now=now)
    return {
        "minutes_recorded": recorded,
        "may_record_minutes": not recorded and meeting.starts_at <= now and may_record,
        "held_sittings": [],
        "may_record_sittings": False,
        "agenda": shown_to(db, user, agenda) if agenda is not None else None,
    }


def protocol(meeting_id: int) -> ResponseReturnValue:
    """Send the minutes as a DOCX protocol in Russian (default) or Kazakh (``?lang=kk``); a
    series' sitting is named by ``?sitting=``."""
    db = db_session()
    meeting = _meeting(meeting_id)
    locale = request.args.get("lang", "ru")
    if locale not in PROTOCOL_LOCALES:
        abort(400)
    held = held_meeting(db, _user(), meeting, now=utcnow(), sitting=_sitting(meeting))
    if held is None:
        abort(404)
    zone = settings_of(current_app).zone
    # The agenda's statutory tasks are titled in the protocol's language.
    held = replace(held, agenda=agenda_in(db, held.agenda, locale))
    body = build_protocol(held, locale=locale, zone=zone)
    response = current_app.response_class(
        body,
        mimetype="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{protocol_filename(held, locale, zone)}"'
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _offer_choices(form: MinutesForm, agencies: list[Agency], people: list[User]) -> None:
    locale = current_locale()
    district = district_agencies()
    names = {a.id: a.name(locale) for a in district}
    form.people.choices = [
        SelectChoice(p.id, f"{p.full_name} ({names.get(p.agency_id, '')})") for p in people
    ]
    form.agencies.choices = [SelectChoice(a.id, a.name(locale)) for a in agencies]
    agency_choices = [SelectChoice("", "—")] + [
        SelectChoice(str(agency_id), name) for agency_id, name in names.items()
    ]
    staff = task_assignees(db_session(), district)
    person_choices = [SelectChoice("", "—")] + [
        SelectChoice(str(p.id), f"{p.full_name} ({names[p.agency_id]})") for p in staff
    ]
    for entry in form.decisions.entries:
        entry.form.agency.choices = agency_choices
        entry.form.assignee.choices = person_choices


def _rows_on_page(refusal: MinutesError, filled: list[int]) -> dict[str, str]:
    """Name each refused decision's field by its row on the page: the domain counts only the
    rows filled in."""
    renamed = {}
    for name in refusal.errors:
        if name and name.startswith("decisions-"):
            _prefix, index, sub = name.split("-", 2)
            renamed[name] = f"decisions-{filled[int(index)]}-{sub}"
    return renamed
