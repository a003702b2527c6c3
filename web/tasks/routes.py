from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from models.casework.operations import find_case
from models.core.base import require_id, utcnow
from models.people.access import oversees_district
from models.people.tables import Agency, User
from models.tasks.assignees import reassign_agencies, task_assignees
from models.tasks.lists import TaskBucket, TaskScope, list_tasks, task_rows
from models.tasks.notices import unsent_task_emails
from models.tasks.operations import (
    TaskError,
    cancel_task,
    check_create_task,
    complete_task,
    create_task,
    may_create_tasks,
    may_manage_task,
    may_see_task,
    reassign_task,
)
from models.tasks.tables import Task
from web.context import db_session, settings_of
from web.formhelpers import district_agencies, query_id, show_error
from web.nudge import nudge_workers
from web.tasks.forms import NOBODY, CancelForm, CompleteForm, ReassignForm, TaskForm
from web.templating import current_locale

bp = Blueprint("tasks", __name__)


def _user() -> User:
    user: User = current_user._get_current_object()
    return user


def _choice(value: str, enum: type[TaskScope] | type[TaskBucket], default: str) -> str:
    return value if value in enum.__members__.values() else default


def index() -> ResponseReturnValue:
    db = db_session()
    user = _user()
    settings = settings_of(current_app)
    sees_district = oversees_district(db, user)
    scope = TaskScope(
        _choice(request.args.get("scope", ""), TaskScope, "district" if sees_district else "agency")
    )
    bucket = TaskBucket(_choice(request.args.get("bucket", ""), TaskBucket, "open"))
    agency_id = query_id("agency")
    case_code = request.args.get("case", "").strip()
    case = find_case(db, user, case_code) if case_code else None
    now = utcnow()
    local_today = now.astimezone(settings.zone).date()
    end_of_today = datetime.combine(local_today + timedelta(days=1), time(0), settings.zone)
    page = list_tasks(
        db,
        user,
        scope=scope,
        bucket=bucket,
        now=now,
        end_of_today=end_of_today,
        agency_id=agency_id,
        case_id=(case.id if case else -1) if case_code else None,
        page=request.args.get("page", 1, type=int) or 1,
    )
    own = db.get(Agency, user.agency_id)
    assert own is not None
    return render_template(
        "tasks/list.html",
        rows=task_rows(db, own.district_id, page.tasks, now=now),
        page=page,
        scope=scope.value,
        bucket=bucket.value,
        agency_id=agency_id,
        case_code=case_code,
        agencies=district_agencies() if sees_district else [own],
        sees_district=sees_district,
        may_create=may_create_tasks(user),
    )


def new_task() -> ResponseReturnValue:
    if not may_create_tasks(_user()):
        abort(403)
    db = db_session()
    user = _user()
    settings = settings_of(current_app)
    form = TaskForm()
    form.agency.choices = [
        SelectChoice(str(a.id), a.name(current_locale())) for a in district_agencies()
    ]
    if request.method == "GET":
        form.case_code.data = request.args.get("case", "")
    valid = form.is_submitted() and form.validate()
    if form.is_submitted() and "csrf_token" not in form.errors:
        case = None
        if form.case_code.data and not form.case_code.errors:
            case = find_case(db, user, form.case_code.data)
            if case is None:
                form.case_code.errors = [_("There is no case with this code.")]
        if not valid or form.case_code.errors:
            # Show the domain's problems beside the form's own, all at once.
            try:
                check_create_task(
                    db,
                    user,
                    title=form.title.data or "",
                    # Only a value the form accepted reaches the domain (no stray ids).
                    agency_id=form.agency.data if not form.agency.errors else None,
                    due_at=form.due_at(settings.zone) if form.has_due_at() else None,
                    now=utcnow(),
                    case=case,
                )
            except TaskError as exc:
                show_error(form, exc, {"due_at": "due_date"})
        else:
            try:
                task = create_task(
                    db,
                    user,
                    settings=settings,
                    title=form.title.data or "",
                    agency_id=form.agency.data or 0,
                    due_at=form.due_at(settings.zone),
                    now=utcnow(),
                    case=case,
                )
            except TaskError as exc:
                db.rollback()
                show_error(form, exc, {"due_at": "due_date"})
            else:
                db.commit()
                nudge_workers(unsent_task_emails(db, [require_id(task)]))
                flash(_("The task is added."), "success")
                return redirect(url_for("tasks.show", task_id=task.id))
    failed = form.is_submitted() and (form.errors or form.form_errors)
    return render_template("tasks/new.html", form=form), 400 if failed else 200


def _task_or_404(task_id: int) -> Task:
    db = db_session()
    task = db.get(Task, task_id)
    if task is None or not may_see_task(db, _user(), task):
        abort(404)
    return task


def _reassign_form(task: Task) -> ReassignForm:
    db = db_session()
    form = ReassignForm(prefix="reassign")
    agencies = reassign_agencies(db, _user(), task)
    form.agency.choices = [SelectChoice(str(a.id), a.name(current_locale())) for a in agencies]
    people = task_assignees(db, agencies)
    form.assignee.choices = [SelectChoice(str(NOBODY), _("The whole agency"))] + [
        SelectChoice(str(p.id), p.full_name) for p in people
    ]
    if request.endpoint != "tasks.reassign":
        form.agency.data = task.responsible_agency_id
        form.assignee.data = task.assignee_id or NOBODY
    return form


def show(task_id: int) -> ResponseReturnValue:
    task = _task_or_404(task_id)
    return _render_task(task, CompleteForm(prefix="complete"), CancelForm(prefix="cancel"))


def _render_task(
    task: Task, complete: CompleteForm, cancel: CancelForm, reassign: ReassignForm | None = None
) -> ResponseReturnValue:
    db = db_session()
    row = task_rows(db, task.district_id, [task], now=utcnow())[0]
    assignee = db.get(User, task.assignee_id) if task.assignee_id else None
    status = (
        400 if any(f.errors or f.form_errors for f in (complete, cancel, reassign) if f) else 200
    )
    return render_template(
        "tasks/show.html",
        row=row,
        assignee=assignee,
        complete=complete,
        cancel=cancel,
        reassign=reassign or _reassign_form(task),
        may_manage=may_manage_task(db, _user(), task),
    ), status


def complete(task_id: int) -> ResponseReturnValue:
    db = db_session()
    task = _task_or_404(task_id)
    form = CompleteForm(prefix="complete")
    if form.validate_on_submit():
        try:
            events = complete_task(db, _user(), task, note=form.note.data or "", now=utcnow())
        except TaskError as exc:
            db.rollback()
            show_error(form, exc)
        else:
            db.commit()
            nudge_workers(require_id(n) for n in events)
            flash(_("The task is done."), "success")
            return redirect(url_for("tasks.show", task_id=task.id))
    return _render_task(task, form, CancelForm(prefix="cancel"))


def cancel(task_id: int) -> ResponseReturnValue:
    db = db_session()
    task = _task_or_404(task_id)
    form = CancelForm(prefix="cancel")
    if form.validate_on_submit():
        try:
            cancel_task(db, _user(), task, reason=form.reason.data or "", now=utcnow())
        except TaskError as exc:
            db.rollback()
            show_error(form, exc)
        else:
            db.commit()
            flash(_("The task is cancelled."), "success")
            return redirect(url_for("tasks.show", task_id=task.id))
    return _render_task(task, CompleteForm(prefix="complete"), form)


def reassign(task_id: int) -> ResponseReturnValue:
    db = db_session()
    task = _task_or_404(task_id)
    form = _reassign_form(task)
    if form.validate_on_submit():
        try:
            reassign_task(
                db,
                _user(),
                task,
                agency_id=form.agency.data or 0,
                assignee_id=form.assignee_id(),
                now=utcnow(),
            )
        except TaskError as exc:
            db.rollback()
            show_error(form, exc)
        else:
            db.commit()
            flash(_("The task is reassigned."), "success")
            return redirect(url_for("tasks.show", task_id=task.id))
    return _render_task(task, CompleteForm(prefix="complete"), CancelForm(prefix="cancel"), form)


bp.add_url_rule("/tasks", view_func=login_required(index))
bp.add_url_rule("/tasks/new", view_func=login_required(new_task), methods=["GET", "POST"])
bp.add_url_rule("/tasks/<int:task_id>", view_func=login_required(show))
bp.add_url_rule(
    "/tasks/<int:task_id>/complete", view_func=login_required(complete), methods=["POST"]
)
bp.add_url_rule("/tasks/<int:task_id>/cancel", view_func=login_required(cancel), methods=["POST"])
bp.add_url_rule(
    "/tasks/<int:task_id>/reassign", view_func=login_required(reassign), methods=["POST"]
)
