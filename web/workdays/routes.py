from __future__ import annotations

from datetime import date, datetime

from babel.dates import format_date, format_datetime
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from models.core.base import utcnow
from models.people.tables import Agency
from models.tasks.calendar_changes import (
    PastDateUnconfirmed,
    add_override,
    may_change_calendar,
    remove_override,
)
from models.workdays.calendar import (
    FIRST_YEAR,
    LAST_YEAR,
    CalendarDay,
    CalendarError,
    OverrideChange,
    OverrideKind,
    calendar_year,
    district_calendar,
)
from models.workdays.holiday_names import holiday_label
from web.context import db_session
from web.formhelpers import show_error
from web.templating import current_locale
from web.workdays.forms import CalculatorForm, OverrideForm

bp = Blueprint("workdays", __name__)


def _district_id() -> int:
    agency = db_session().get(Agency, current_user.agency_id)
    assert agency is not None
    return agency.district_id


def calculator() -> ResponseReturnValue:
    db = db_session()
    district_id = _district_id()
    calendar = district_calendar(db, district_id)
    form = CalculatorForm(request.args)
    due = received = None
    days_off: list[CalendarDay] = []
    if request.args and form.validate():
        received = form.received_at(calendar.zone).astimezone(calendar.zone)
        due = calendar.due(received, form.period()).astimezone(calendar.zone)
        days_off = _days_off_between(district_id, received.date(), due.date())
    elif not request.args:
        now = utcnow().astimezone(calendar.zone)
        form.received_date.data = now.date()
        form.received_time.data = now.time().replace(second=0, microsecond=0)
        form.days.data = 1
    status = 400 if request.args and form.errors else 200
    return render_template(
        "workdays/calculator.html",
        form=form,
        received=received,
        due=due,
        days_off=days_off,
        label=_label,
    ), status


def overrides() -> ResponseReturnValue:
    _require_may_change_calendar()
    db = db_session()
    district_id = _district_id()
    zone = district_calendar(db, district_id).zone
    year = request.args.get("year", type=int) or utcnow().astimezone(zone).year
    if not FIRST_YEAR <= year <= LAST_YEAR:
        abort(404)
    form = OverrideForm()
    ask_past = False
    if form.validate_on_submit():
        assert form.day.data is not None
        try:
            change = add_override(
                db,
                current_user._get_current_object(),
                district_id=district_id,
                day=form.day.data,
                kind=form.kind.data or "",
                note=form.note.data or "",
                confirm_past=bool(form.confirm_past.data),
            )
        except CalendarError as exc:
            db.rollback()
            ask_past = isinstance(exc, PastDateUnconfirmed)
            show_error(form, exc)
        else:
            db.commit()
            flash(_added_message(change), "success")
            return redirect(url_for("workdays.overrides", year=form.day.data.year))
    status = 400 if form.is_submitted() and (form.errors or form.form_errors) else 200
    return render_template(
        "workdays/overrides.html",
        form=form,
        year=year,
        days=calendar_year(db, district_id, year),
        label=_label,
        ask_past=ask_past,
    ), status


def _added_message(change: OverrideChange) -> str:
    day = local_weekday_date(change.day)
    if change.kind is OverrideKind.DAY_OFF:
        return _("Added: %(day)s is now a day off.", day=day)
    return _("Added: %(day)s is now a working day.", day=day)


def remove(day: str) -> ResponseReturnValue:
    """Ask whether to remove the date's override (GET), then remove it (POST)."""
    _require_may_change_calendar()
    form = FlaskForm()
    try:
        wanted = date.fromisoformat(day)
    except ValueError:
        abort(404)
    db = db_session()
    if request.method == "GET":
        if not FIRST_YEAR <= wanted.year <= LAST_YEAR:
            abort(404)
        found = next(
            (d for d in calendar_year(db, _district_id(), wanted.year) if d.day == wanted), None
        )
        if found is None or found.override is None:
            abort(404)
        return render_template("workdays/remove.html", day=found, form=form)
    if not form.validate_on_submit() or request.form.get("confirm") != "yes":
        abort(400)
    try:
        remove_override(
            db, current_user._get_current_object(), district_id=_district_id(), day=wanted
        )
    except CalendarError as exc:
        db.rollback()
        flash(_(str(exc)), "info")
    else:
        db.commit()
        flash(
            _(
                "Removed: %(day)s follows the national calendar again.",
                day=local_weekday_date(wanted),
            ),
            "success",
        )
    return redirect(url_for("workdays.overrides", year=wanted.year))


def _require_may_change_calendar() -> None:
    if not may_change_calendar(current_user):
        abort(403)


def _label(day: CalendarDay) -> str:
    if day.override is not None:
        return day.override.note
    return holiday_label(day.label, current_locale())


def _days_off_between(district_id: int, first: date, last: date) -> list[CalendarDay]:
    """Return the listed days off after ``first`` up to ``last`` (the ones a period skips)."""
    db = db_session()
    found = []
    for year in range(first.year, last.year + 1):
        found += [
            d
            for d in calendar_year(db, district_id, year)
            if first < d.day <= last and not d.working
        ]
    return found


def local_weekday_datetime(moment: datetime) -> str:
    """Write an aware moment in its own zone with the weekday: "Thursday, 26 March 2026, 18:00"."""
    return format_datetime(
        moment, "EEEE, d MMMM y, HH:mm", tzinfo=moment.tzinfo, locale=current_locale()
    )


def local_weekday_date(day: date) -> str:
    return format_date(day, "EEE, d MMMM y", locale=current_locale())


bp.add_app_template_filter(local_weekday_datetime, "local_weekday_datetime")
bp.add_app_template_filter(local_weekday_date, "local_weekday_date")
bp.add_url_rule("/working-days/calculator", view_func=login_required(calculator))
bp.add_url_rule(
    "/working-days/overrides", view_func=login_required(overrides), methods=["GET", "POST"]
)
bp.add_url_rule(
    "/working-days/overrides/<day>/remove",
    view_func=login_required(remove),
    methods=["GET", "POST"],
)
