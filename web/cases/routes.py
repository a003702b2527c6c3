from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlmodel import col
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from models.cases.access import (
    may_change_case,
    may_choose_lead_agency,
    may_open_cases,
    may_read_restricted,
    visible_cases,
)
from models.cases.tables import Case, CaseAgency, CaseFlag, CaseRestricted
from models.casework.changes import choose_lead_agency, close_case, set_case_flag
from models.casework.history import case_audit_trail
from models.casework.operations import CaseError, find_case, open_case, overdue_on_arrival
from models.casework.restricted import read_restricted, update_restricted
from models.core.base import require_id, utcnow
from models.meetings.tables import Meeting
from models.people.tables import Agency, User
from models.tasks.deadlines import rule_gaps
from models.tasks.lists import PAGE_SIZE, overdue_counts, task_rows
from models.tasks.operations import may_create_tasks
from models.tasks.tables import StatutoryRule, Task
from web.cases.forms import CaseForm, CloseForm, LeadAgencyForm, RestrictedForm
from web.context import db_session, settings_of
from web.formhelpers import district_agencies, show_error
from web.nudge import nudge_workers
from web.templating import current_locale

bp = Blueprint("cases", __name__)


def _user() -> User:
    user: User = current_user._get_current_object()
    return user


def _case_or_404(code: str) -> Case:
    case = find_case(db_session(), _user(), code)
    if case is None:
        abort(404)  # need to know: an unknown case and a case one may not see look the same
    return case


def index() -> ResponseReturnValue:
    db = db_session()
    page = request.args.get("page", 1, type=int) or 1
    query = visible_cases(db, _user())
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    cases = db.scalars(
        query.order_by(col(Case.status).desc(), col(Case.opened_at).desc(), col(Case.id).desc())
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    ).all()
    overdue = overdue_counts(db, [require_id(c) for c in cases], utcnow())
    return render_template(
        "cases/list.html",
        cases=cases,
        overdue=overdue,
        page=page,
        pages=pages,
        may_open=may_open_cases(_user()),
    )


def new_case() -> ResponseReturnValue:
    if not may_open_cases(_user()):
        abort(403)
    db = db_session()
    settings = settings_of(current_app)
    agencies = district_agencies()
    choices = [SelectChoice(str(a.id), a.name(current_locale())) for a in agencies]
    form = CaseForm()
    form.receiving_agency.choices = choices
    form.lead_agency.choices = choices
    form.agencies.choices = choices
    if request.method == "GET":
        form.receiving_agency.data = current_user.agency_id
        form.lead_agency.data = current_user.agency_id
    late: list[StatutoryRule] = []
    if form.validate_on_submit():
        now = utcnow()
        late = overdue_on_arrival(
            db,
            _user(),
            received_at=form.received_at(settings.zone),
            signs_of_offence=bool(form.signs_of_offence.data),
            child_removed=bool(form.child_removed.data),
            now=now,
        )
    if form.is_submitted() and not form.errors and not (late and not form.confirm_late.data):
        now = utcnow()
        try:
            opened = open_case(
                db,
                _user(),
                received_at=form.received_at(settings.zone),
                source=form.source.data or "",
                category=form.category.data or "",
                receiving_agency_id=form.receiving_agency.data or 0,
                lead_agency_id=form.lead_agency.data or 0,
                agency_ids=form.agencies.data or [],
                signs_of_offence=bool(form.signs_of_offence.data),
                child_removed=bool(form.child_removed.data),
                restricted=form.details(),
                now=now,
            )
        except CaseError as exc:
            db.rollback()
            show_error(form, exc, {"received_at": "received_date"})
        else:
            db.commit()
            flash(
                _(
                    "Case %(code)s is open with %(count)d statutory tasks.",
                    code=opened.case.code,
                    count=len(opened.tasks),
                ),
                "success",
            )
            return redirect(url_for("cases.show", code=opened.case.code))
    status = 400 if form.is_submitted() and (form.errors or form.form_errors) else 200
    late_titles = [rule.title(current_locale()) for rule in late]
    return render_template("cases/new.html", form=form, late=late_titles), status


def show(code: str) -> ResponseReturnValue:
    return _render_case(_case_or_404(code), CloseForm())


def _lead_form(case: Case, form: LeadAgencyForm | None = None) -> LeadAgencyForm:
    """The form that hands *case* to another lead agency: every agency of the district but
    the one leading it."""
    form = form or LeadAgencyForm()
    form.lead_agency.choices = [
        SelectChoice(str(a.id), a.name(current_locale()))
        for a in district_agencies()
        if a.id != case.lead_agency_id
    ]
    return form


def _render_case(
    case: Case, close_form: CloseForm, lead_form: LeadAgencyForm | None = None
) -> ResponseReturnValue:
    db = db_session()
    user = _user()
    now = utcnow()
    may_choose_lead = case.status == "open" and may_choose_lead_agency(db, user, case)
    lead_form = _lead_form(case, lead_form) if may_choose_lead else None
    agencies = list(
        db.scalars(
            select(Agency)
            .join(CaseAgency, col(CaseAgency.agency_id) == col(Agency.id))
            .where(col(CaseAgency.case_id) == case.id)
            .order_by(col(Agency.id))
        )
    )
    tasks = db.scalars(
        select(Task).where(col(Task.case_id) == case.id).order_by(col(Task.due_at), col(Task.id))
    ).all()
    meetings = db.scalars(
        select(Meeting).where(col(Meeting.case_id) == case.id).order_by(col(Meeting.starts_at))
    ).all()
    history = case_audit_trail(db, case)
    restricted: CaseRestricted | None = None
    may_read = may_read_restricted(db, user, case)
    if may_read:
        restricted = read_restricted(db, user, case, now=now)
        db.commit()
    return render_template(
        "cases/show.html",
        case=case,
        agencies={a.id: a for a in agencies},
        rows=task_rows(db, case.district_id, tasks, now=now),
        meetings=meetings,
        history=history,
        may_read=may_read,
        restricted=restricted,
        may_change=may_change_case(db, user, case),
        may_add_task=may_create_tasks(user),
        gaps=rule_gaps(db, case),
        close_form=close_form,
        lead_form=lead_form,
    ), (400 if any(f.errors or f.form_errors for f in (close_form, lead_form) if f) else 200)


def edit_restricted(code: str) -> ResponseReturnValue:
    db = db_session()
    user = _user()
    case = _case_or_404(code)
    if not may_read_restricted(db, user, case):
        abort(404)
    form = RestrictedForm()
    if request.method == "GET":
        row = read_restricted(db, user, case, now=utcnow())
        db.commit()
        if row is not None:
            form.process(obj=row)
    elif form.validate_on_submit():
        try:
            update_restricted(db, user, case, form.details(), now=utcnow())
        except CaseError as exc:
            db.rollback()
            show_error(form, exc)
        else:
            db.commit()
            flash(_("The child's details are saved."), "success")
            return redirect(url_for("cases.show", code=case.code))
    status = 400 if form.is_submitted() and (form.errors or form.form_errors) else 200
    return render_template("cases/restricted.html", form=form, case=case), status


def set_flag(code: str) -> Response:
    db = db_session()
    case = _case_or_404(code)
    form = CloseForm()  # only for its CSRF check
    flag = request.form.get("flag", "")
    if not form.validate_on_submit() or flag not in CaseFlag.__members__.values():
        abort(400)
    try:
        result = set_case_flag(db, _user(), case, CaseFlag(flag), now=utcnow())
    except CaseError as exc:
        db.rollback()
        flash(_(str(exc)), "error")
    else:
        db.commit()
        flash(_("%(count)d statutory tasks were added.", count=len(result.tasks)), "success")
    return redirect(url_for("cases.show", code=case.code))


def close(code: str) -> ResponseReturnValue:
    db = db_session()
    case = _case_or_404(code)
    form = CloseForm()
    if form.validate_on_submit():
        try:
            events = close_case(db, _user(), case, reason=form.reason.data or "", now=utcnow())
        except CaseError as exc:
            db.rollback()
            show_error(form, exc)
        else:
            db.commit()
            nudge_workers(require_id(n) for n in events)
            flash(_("The case is closed."), "success")
            return redirect(url_for("cases.show", code=case.code))
    return _render_case(case, form)


def choose_lead(code: str) -> ResponseReturnValue:
    db = db_session()
    case = _case_or_404(code)
    if case.status != "open" or not may_choose_lead_agency(db, _user(), case):
        abort(403)
    form = _lead_form(case)
    if form.validate_on_submit():
        agency = db.get(Agency, form.lead_agency.data)
        assert agency is not None  # one of the form's choices: the district's agencies
        try:
            events = choose_lead_agency(db, _user(), case, agency, now=utcnow())
        except CaseError as exc:
            db.rollback()
            show_error(form, exc)
        else:
            db.commit()
            nudge_workers(require_id(n) for n in events)
            flash(_("The lead agency is chosen."), "success")
            return redirect(url_for("cases.show", code=case.code))
    return _render_case(case, CloseForm(), form)


bp.add_url_rule("/cases", view_func=login_required(index))
bp.add_url_rule("/cases/new", view_func=login_required(new_case), methods=["GET", "POST"])
bp.add_url_rule("/cases/<code>", view_func=login_required(show))
bp.add_url_rule(
    "/cases/<code>/restricted", view_func=login_required(edit_restricted), methods=["GET", "POST"]
)
bp.add_url_rule("/cases/<code>/flags", view_func=login_required(set_flag), methods=["POST"])
bp.add_url_rule("/cases/<code>/close", view_func=login_required(close), methods=["POST"])
bp.add_url_rule("/cases/<code>/lead", view_func=login_required(choose_lead), methods=["POST"])
