from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlmodel import col

from models.core.base import utcnow
from models.people.tables import Agency, User
from models.tasks.escalation.ladder import EscalationRecipient, EscalationStep, district_policy
from models.tasks.escalation.policy import EscalationError, save_policy
from models.tasks.rules import RuleError, may_change_statutory_rules, update_rule
from models.tasks.tables import StatutoryRule
from web.context import db_session
from web.deadlines.forms import PolicyForm, RuleForm
from web.formhelpers import show_error

bp = Blueprint("deadlines", __name__)


def _user_who_may_change_rules() -> User:
    user: User = current_user._get_current_object()
    if not may_change_statutory_rules(user):
        abort(403)
    return user


def rules() -> ResponseReturnValue:
    _user_who_may_change_rules()
    rows = db_session().scalars(
        select(StatutoryRule).order_by(col(StatutoryRule.position), col(StatutoryRule.id))
    )
    return render_template("deadlines/rules.html", rules=list(rows))


def edit_rule(rule_id: int) -> ResponseReturnValue:
    user = _user_who_may_change_rules()
    db = db_session()
    rule = db.get(StatutoryRule, rule_id)
    if rule is None:
        abort(404)
    form = RuleForm(obj=rule if request.method == "GET" else None)
    if form.validate_on_submit():
        try:
            update_rule(
                db,
                user,
                rule,
                responsible=form.responsible.data or "",
                period_kind=form.period_kind.data or "",
                period_days=form.period_days.data or 0,
                active=bool(form.active.data),
                legal_source=form.legal_source.data or "",
                now=utcnow(),
            )
        except RuleError as exc:
            db.rollback()
            show_error(form, exc)
        else:
            db.commit()
            flash(_("The rule is saved."), "success")
            return redirect(url_for("deadlines.rules"))
    failed = form.is_submitted() and (form.errors or form.form_errors)
    return render_template("deadlines/rule.html", form=form, rule=rule), 400 if failed else 200


def escalation() -> ResponseReturnValue:
    user = _user_who_may_change_rules()
    db = db_session()
    agency = db.get(Agency, user.agency_id)
    assert agency is not None
    form = PolicyForm()
    refused = False
    if request.method == "GET":
        policy = district_policy(db, agency.district_id)
        form = PolicyForm(
            data={
                "steps": [
                    {"working_days": s.working_days, "recipient": s.recipient.value} for s in policy
                ]
            }
        )
    elif form.validate_on_submit():
        steps = [
            EscalationStep(
                level, entry.working_days.data or 0, EscalationRecipient(entry.recipient.data)
            )
            for level, entry in enumerate(form.steps)
        ]
        try:
            save_policy(db, user, steps, now=utcnow())
        except EscalationError as exc:
            db.rollback()
            refused = True
            # The ladder numbers its steps; the form shows each step's days on its row.
            rows = {
                f"{name}_{index}": f"{form.steps.name}-{index}-working_days"
                for name in ("level", "days")
                for index in range(len(form.steps))
            }
            show_error(form, exc, rows)
        else:
            db.commit()
            flash(_("The escalation policy is saved."), "success")
            return redirect(url_for("deadlines.escalation"))
    failed = refused or (form.is_submitted() and (form.errors or form.form_errors))
    return render_template("deadlines/escalation.html", form=form), 400 if failed else 200


bp.add_url_rule("/admin/rules", view_func=login_required(rules))
bp.add_url_rule(
    "/admin/rules/<int:rule_id>", view_func=login_required(edit_rule), methods=["GET", "POST"]
)
bp.add_url_rule("/admin/escalation", view_func=login_required(escalation), methods=["GET", "POST"])
