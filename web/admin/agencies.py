"""Agencies: the list, adding one, changing its names, kind and head (administrators)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select
from sqlmodel import col

from models.people.administration import AdminError, AgencyChange, create_agency, update_agency
from models.people.tables import Agency
from web.admin.common import agency_manager
from web.admin.forms import AGENCY_KIND_LABELS, AgencyForm
from web.context import db_session
from web.formhelpers import show_error

__all__ = ["agencies", "edit_agency", "new_agency"]


def agencies() -> ResponseReturnValue:
    actor = agency_manager()
    db = db_session()
    own = db.get(Agency, actor.agency_id)
    assert own is not None
    rows = db.scalars(
        select(Agency).where(col(Agency.district_id) == own.district_id).order_by(col(Agency.id))
    ).all()
    return render_template("admin/agencies.html", agencies=rows, kind_labels=AGENCY_KIND_LABELS)


def _change(form: AgencyForm) -> AgencyChange:
    return AgencyChange(
        slug=(form.slug.data or "").strip().lower(),
        kind=form.kind.data or "",
        name_ru=form.name_ru.data or "",
        name_kk=form.name_kk.data or "",
        name_en=form.name_en.data or "",
        head_email=form.head_email.data or "",
        head_locale=form.head_locale.data or "",
    )


def new_agency() -> ResponseReturnValue:
    actor = agency_manager()
    db = db_session()
    form = AgencyForm()
    if form.validate_on_submit():
        try:
            agency = create_agency(db, actor, _change(form))
        except AdminError as exc:
            db.rollback()
            show_error(form, exc)
        else:
            db.commit()
            flash(_("%(agency)s is added.", agency=agency.name_ru), "success")
            return redirect(url_for("admin.agencies"))
    status = 400 if form.is_submitted() else 200
    return render_template("admin/agency.html", form=form, agency=None), status


def edit_agency(agency_id: int) -> ResponseReturnValue:
    actor = agency_manager()
    db = db_session()
    agency = db.get(Agency, agency_id)
    own = db.get(Agency, actor.agency_id)
    if agency is None or own is None or agency.district_id != own.district_id:
        abort(404)
    form = AgencyForm(obj=agency)
    if form.validate_on_submit():
        try:
            update_agency(db, actor, agency, _change(form))
        except AdminError as exc:
            db.rollback()
            db.refresh(agency)
            show_error(form, exc)
        else:
            db.commit()
            flash(_("%(agency)s is saved.", agency=agency.name_ru), "success")
            return redirect(url_for("admin.agencies"))
    status = 400 if form.is_submitted() else 200
    return render_template("admin/agency.html", form=form, agency=agency), status
