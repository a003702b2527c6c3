from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

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

from calendars.recurrence import monthly_rule_like
from models.cases.access import may_see_case
from models.cases.tables import Case
from models.core.base import require_id, utcnow
from models.meetings.access import may_change_meeting, may_schedule_meetings
from models.meetings.answers import answers_by_agency
from models.meetings.awaited import responses_awaited
from models.meetings.facts import agencies_by_meeting, meeting_agencies
from models.meetings.invitable import invitable_agencies
from models.meetings.notices import describe_rule
from models.meetings.presets import PRESETS, preset_agency_ids
from models.meetings.scheduling import SchedulingError, check_schedule_meeting, schedule_meeting
from models.meetings.tables import KIND_LABELS, MeetingAgency, MeetingKind, MeetingResponse
from models.overview.dashboard import OverviewCache, dashboard_for, meeting_page
from models.overview.outbox import Undelivered, undelivered, warned_of_undelivered_emails
from models.people.access import oversees_district
from models.people.tables import Agency, AgencyKind, User
from web.context import db_session, settings_of
from web.formhelpers import show_error
from web.fragments import cached, cached_html, my_view, our_view
from web.meetings import answers, changes, minutes
from web.meetings.common import flash_warnings, meeting_for_view
from web.meetings.forms import REPEAT_MONTHLY, REPEAT_RULE, ConfirmForm, MeetingForm
from web.meetings.history import meeting_history
from web.nudge import nudge_workers
from web.templating import current_locale

bp = Blueprint("meetings", __name__)


def dashboard() -> ResponseReturnValue:
    """Home: my next meetings and the answers awaited; the district at a glance for the chair
    and the secretary. The panels are kept (``web.fragments``): the agency's for everyone of
    the agency and role, the answers panel per sign-in."""
    db = db_session()
    user = current_user._get_current_object()
    now = utcnow()
    heading = cached_html("home-heading", our_view(), lambda: _heading(user))
    # Those who oversee the district open on its record; their invitations fold away.
    oversees = oversees_district(db, user)
    district_record = (
        cached_html("home-district", our_view(), lambda: _district_record(user, now))
        if oversees
        else ""
    )
    answers_panel = cached_html(
        "home-answers", my_view(), lambda: _answers_panel(user, now, fold=oversees)
    )
    board_panels = cached_html("home-board", our_view(), lambda: _board_panels(user, now))
    emails = Undelivered(count=0, retrying=0)
    settings = settings_of(current_app)
    if warned_of_undelivered_emails(user):
        stuck_after = timedelta(seconds=settings.notification_stuck_seconds)
        # Counted at most once a minute: sending moves no change mark, and is not instant.
        count, _, retrying = cached(
            "undelivered",
            our_view(),
            lambda: "{0.count}:{0.retrying}".format(
                undelivered(db, user, now=now, stuck_after=stuck_after)
            ),
        ).partition(":")
        emails = Undelivered(count=int(count), retrying=int(retrying or 0))
    return render_template(
        "meetings/dashboard.html",
        heading=heading,
        district_record=district_record,
        answers_panel=answers_panel,
        board_panels=board_panels,
        undelivered=emails,
        retry_hours=round(settings.notification_retry_hours),
    )


def _heading(user: User) -> str:
    return render_template(
        "meetings/_heading.html",
        oversees=oversees_district(db_session(), user),
        may_schedule=may_schedule_meetings(user),
    )


def _answers_panel(user: User, now: datetime, *, fold: bool) -> str:
    responses = responses_awaited(db_session(), user, now=now)
    return render_template(
        "meetings/_answers.html",
        responses=responses,
        answer_form=ConfirmForm(formdata=None),
        fold=fold,
    )


def _district_record(user: User, now: datetime) -> str:
    cache = current_app.extensions.setdefault("birge.overview_cache", OverviewCache())
    _overview, record = cache.both(db_session(), user, now=now)
    return render_template("meetings/_district_record.html", record=record)


def _board_panels(user: User, now: datetime) -> str:
    db = db_session()
    cache = current_app.extensions.setdefault("birge.overview_cache", OverviewCache())
    board = dashboard_for(db, user, now=now, cache=cache)
    agencies = agencies_by_meeting(db, board.next_meetings)
    return render_template(
        "meetings/_board.html",
        board=board,
        now=now,
        meetings=[(m, agencies[require_id(m)]) for m in board.next_meetings],
    )


def index() -> ResponseReturnValue:
    """Every meeting the user may see, a page at a time: coming or past, by kind."""
    db = db_session()
    past = request.args.get("when") == "past"
    kind = request.args.get("kind", "")
    kind = kind if kind in KIND_LABELS else ""
    page = request.args.get("page", "1")
    number = int(page) if page.isdigit() and 0 < len(page) < 7 else 1
    user = current_user._get_current_object()

    def render_page() -> str:
        listing = meeting_page(
            db, user, now=utcnow(), page=number, past=past, kinds=[kind] if kind else []
        )
        agencies = agencies_by_meeting(db, listing.meetings)
        return render_template(
            "meetings/_list.html",
            listing=listing,
            meetings=[(m, agencies[require_id(m)]) for m in listing.meetings],
            past=past,
            kind=kind,
        )

    return render_template(
        "meetings/index.html",
        listing_part=cached_html("meetings", (our_view(), past, kind, number), render_page),
        past=past,
        kind=kind,
        kinds=list(KIND_LABELS),
        may_schedule=may_schedule_meetings(user),
    )


def new_meeting() -> ResponseReturnValue:
    user = current_user._get_current_object()
    if not may_schedule_meetings(user):
        abort(403)
    db = db_session()
    settings = settings_of(current_app)
    own = db.get(Agency, current_user.agency_id)
    assert own is not None
    agencies = invitable_agencies(db, own.district_id)
    form = MeetingForm()
    locale = current_locale()
    form.agencies.choices = [
        SelectChoice(str(a.id), a.name(locale)) for a in agencies if a.id != own.id
    ]
    schools = [a for a in agencies if a.kind == AgencyKind.SCHOOL]
    form.school.choices = [SelectChoice("", "—")] + [
        SelectChoice(str(a.id), a.name(locale)) for a in schools
    ]
    if not form.is_submitted() and own.kind == AgencyKind.SCHOOL:
        form.school.data = own.id
    preset = request.form.get("preset")
    if form.is_submitted() and preset in PRESETS:
        # A preset button ticks agencies and shows the form again; nothing is checked yet.
        try:
            ids = preset_agency_ids(
                db, user, preset, case_code=form.case_code.data, school_id=form.school.data
            )
        except SchedulingError as refusal:
            show_error(form, refusal)
        else:
            form.agencies.data = [i for i in ids if i != own.id]
        return _form_page(form, own)
    if form.is_submitted():
        valid = form.validate()
        if valid or "csrf_token" not in form.errors:
            starts_at, ends_at = form.times(settings.zone)
            rrule = None
            if form.kind.data == MeetingKind.PREVENTION_COUNCIL and starts_at is not None:
                if form.repeat.data == REPEAT_MONTHLY:
                    rrule = monthly_rule_like(starts_at.astimezone(settings.zone))
                elif form.repeat.data == REPEAT_RULE:
                    rrule = form.rrule.data or None
            asked: dict[str, Any] = {
                "organizer": user,
                "kind": form.kind.data or "",
                "title": form.title.data or "",
                "starts_at": starts_at,
                "ends_at": ends_at,
                "agency_ids": form.agencies.data or [],
                "location": form.location.data or "",
                "case_code": form.case_code.data or None,
                "address": form.address.data or "",
                "school_id": form.school.data,
                "rrule": rrule,
            }
            if not valid:  # show the domain's problems too, all at once; nothing is written
                try:
                    check_schedule_meeting(db, settings, **asked)
                except SchedulingError as refusal:
                    show_error(form, refusal)
                return _form_page(form, own)
            try:
                scheduled = schedule_meeting(db, settings, **asked)
            except SchedulingError as refusal:
                db.rollback()
                show_error(form, refusal)
            else:
                db.commit()
                nudge_workers(scheduled.notification_ids)
                flash(
                    _("The meeting is scheduled and the invitations are on their way."),
                    "success",
                )
                flash_warnings(scheduled.warnings)
                return redirect(url_for("meetings.show", meeting_id=scheduled.meeting.id))
    return _form_page(form, own)


def _form_page(form: MeetingForm, own: Agency) -> ResponseReturnValue:
    has_errors = bool(form.errors or form.form_errors)
    status = 400 if form.is_submitted() and has_errors else 200
    return render_template("meetings/new.html", form=form, own_agency=own), status


def show(meeting_id: int) -> ResponseReturnValue:
    meeting = meeting_for_view(meeting_id)
    db = db_session()
    settings = settings_of(current_app)
    agencies = meeting_agencies(db, meeting)
    case = db.get(Case, meeting.case_id) if meeting.case_id else None
    knows_case = case is None or may_see_case(db, current_user, case)
    if not knows_case:
        case = None  # invited to the meeting, but not on the case: no code, no address
    school = db.get(Agency, meeting.school_agency_id) if meeting.school_agency_id else None
    mine = db.scalars(
        select(MeetingResponse)
        .where(col(MeetingResponse.meeting_id) == meeting.id)
        .where(col(MeetingResponse.user_id) == current_user.id)
    ).first()
    invited = db.get(MeetingAgency, (meeting.id, current_user.agency_id)) is not None
    may_change = may_change_meeting(db, current_user, meeting)
    return render_template(
        "meetings/show.html",
        meeting=meeting,
        agencies=agencies,
        case=case,
        knows_case=knows_case,
        school=school,
        repeats=describe_rule(meeting.rrule, meeting.starts_at, settings.zone, current_locale())
        if meeting.rrule
        else None,
        answers=answers_by_agency(db, meeting, agencies)
        if may_change or oversees_district(db, current_user)
        else None,
        history=meeting_history(meeting),
        my_answer=mine.answer if mine else None,
        invited=invited,
        may_change=may_change,
        held=meeting.starts_at <= utcnow(),
        answer_form=ConfirmForm(formdata=None),
        **minutes.summary(meeting),
    )


# fmt: off
bp.add_url_rule("/", view_func=login_required(dashboard))
bp.add_url_rule("/meetings", view_func=login_required(index))
bp.add_url_rule("/meetings/new", view_func=login_required(new_meeting), methods=["GET", "POST"])
bp.add_url_rule("/meetings/<int:meeting_id>", view_func=login_required(show))
bp.add_url_rule("/meetings/<int:meeting_id>/reschedule", view_func=login_required(changes.reschedule), methods=["GET", "POST"])  # noqa: E501
bp.add_url_rule("/meetings/<int:meeting_id>/cancel", view_func=login_required(changes.cancel), methods=["GET", "POST"])  # noqa: E501
bp.add_url_rule("/meetings/<int:meeting_id>/participants", view_func=login_required(changes.participants), methods=["GET", "POST"])  # noqa: E501
bp.add_url_rule("/meetings/<int:meeting_id>/outcome", view_func=login_required(changes.outcome), methods=["GET", "POST"])  # noqa: E501
bp.add_url_rule("/meetings/<int:meeting_id>/series", view_func=login_required(changes.series))
bp.add_url_rule("/meetings/<int:meeting_id>/sittings/move", view_func=login_required(changes.move), methods=["POST"])  # noqa: E501
bp.add_url_rule("/meetings/<int:meeting_id>/sittings/cancel", view_func=login_required(changes.cancel_one), methods=["GET", "POST"])  # noqa: E501
bp.add_url_rule("/meetings/<int:meeting_id>/series/end", view_func=login_required(changes.end), methods=["POST"])  # noqa: E501
bp.add_url_rule("/meetings/<int:meeting_id>/answer/<value>", view_func=login_required(answers.answer), methods=["POST"])  # noqa: E501
bp.add_url_rule("/respond/<token>", view_func=answers.respond, methods=["GET", "POST"])
bp.add_url_rule("/meetings/<int:meeting_id>/minutes", view_func=login_required(minutes.minutes), methods=["GET", "POST"])  # noqa: E501
bp.add_url_rule("/meetings/<int:meeting_id>/protocol.docx", view_func=login_required(minutes.protocol))  # noqa: E501
# fmt: on
