"""``/region`` for a regional viewer and ``/deployment`` for a deployment administrator; and the
fence that keeps both out of every district's pages."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from models.core.base import utcnow
from models.meetings.tables import KIND_LABELS
from models.people.access import administers_deployment, views_region
from models.people.administration import AdminError, UserChange, create_staff
from models.people.districts import (
    DistrictDraft,
    DistrictError,
    DistrictListing,
    create_district,
    district_akimat,
    list_districts,
    list_regions,
    regional_viewers,
)
from models.people.tables import Region, Role, User
from models.region.figures import RegionCache
from web.admin.forms import AGENCY_KIND_LABELS
from web.context import db_session, settings_of
from web.formhelpers import show_error
from web.nudge import nudge_workers
from web.oversight.forms import AdministratorForm, DistrictForm, RegionalViewerForm
from web.templating import current_locale

__all__ = ["bp", "confine"]

bp = Blueprint("oversight", __name__)

#: What an account above the districts may reach besides this blueprint: its own account,
#: signing in and out, the language switch, static files and the health checks (and the API,
#: which knows integration tokens only).
_OPEN_TO_OVERSIGHT = frozenset({"api", "auth", "health", "oversight"})


def confine() -> ResponseReturnValue | None:
    """Keep an account above the districts (a regional viewer, a deployment administrator) to
    its own pages: its home is its page, anything of a district is a 404, as for a district's
    object one may not see. Run before every request."""
    # Asked first, without loading the user: a health check must not wait for the database.
    if request.blueprint in _OPEN_TO_OVERSIGHT or request.endpoint in (None, "static"):
        return None
    if not current_user.is_authenticated or Role(current_user.role).works_in_district:
        return None
    if request.endpoint == "meetings.dashboard":
        return redirect(url_for(_home()))
    abort(404)


def _home() -> str:
    return (
        "oversight.region" if Role(current_user.role) is Role.REGIONAL else "oversight.deployment"
    )


@bp.route("/region")
@login_required
def region() -> ResponseReturnValue:
    """The regional viewer's region: per district and agency kind, counts only."""
    region_id = views_region(current_user)
    db = db_session()
    found = db.get(Region, region_id) if region_id is not None else None
    if found is None:
        abort(404)
    cache = current_app.extensions.setdefault("birge.region_cache", RegionCache())
    figures = cache.get(db, found, now=utcnow())
    return render_template(
        "oversight/region.html",
        figures=figures,
        meeting_kinds=KIND_LABELS,
        agency_kind_labels=AGENCY_KIND_LABELS,
        region_name=found.name_kk if current_locale() == "kk" else found.name_ru,
    )


def _administrator() -> User:
    user = db_session().get(User, current_user.id)
    if user is None or not administers_deployment(user):
        abort(404)
    return user


@bp.route("/deployment")
@login_required
def deployment() -> ResponseReturnValue:
    """The deployment's regions and districts, with the forms that add to them."""
    _administrator()
    return _deployment_page()


def _deployment_page(
    district_form: DistrictForm | None = None,
    administrator_form: AdministratorForm | None = None,
    viewer_form: RegionalViewerForm | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    db = db_session()
    listings = list_districts(db)
    regions = list_regions(db)
    administrator_form = administrator_form or AdministratorForm(formdata=None)
    viewer_form = viewer_form or RegionalViewerForm(formdata=None)
    _choices(administrator_form, viewer_form, listings, regions)
    return (
        render_template(
            "oversight/deployment.html",
            listings=listings,
            regions=regions,
            viewers=regional_viewers(db),
            district_form=district_form or DistrictForm(formdata=None),
            administrator_form=administrator_form,
            viewer_form=viewer_form,
        ),
        status,
    )


def _choices(
    administrator_form: AdministratorForm,
    viewer_form: RegionalViewerForm,
    listings: list[DistrictListing],
    regions: list[Region],
) -> None:
    kk = current_locale() == "kk"
    administrator_form.district_id.choices = [
        SelectChoice(item.district.id, item.district.name_kk if kk else item.district.name_ru)
        for item in listings
    ]
    viewer_form.region_id.choices = [
        SelectChoice(r.id, r.name_kk if kk else r.name_ru) for r in regions
    ]


@bp.route("/deployment/districts", methods=["POST"])
@login_required
def new_district() -> ResponseReturnValue:
    actor = _administrator()
    db = db_session()
    form = DistrictForm()
    if form.validate_on_submit():
        draft = DistrictDraft(
            region=form.region.data or "",
            region_kk=form.region_kk.data or "",
            name_ru=form.name_ru.data or "",
            name_kk=form.name_kk.data or "",
            case_prefix=form.case_prefix.data or "",
            timezone=form.timezone.data or "",
        )
        try:
            district = create_district(db, draft, created_by=actor.id)
        except DistrictError as exc:
            db.rollback()
            show_error(form, exc)
        else:
            db.commit()
            flash(
                _(
                    "District %(name)s is made (id %(id)s). Add its first administrator.",
                    name=district.name_ru,
                    id=district.id,
                ),
                "success",
            )
            return redirect(url_for("oversight.deployment"))
    return _deployment_page(district_form=form, status=400)


@bp.route("/deployment/administrators", methods=["POST"])
@login_required
def new_administrator() -> ResponseReturnValue:
    """A district's administrator, in its akimat, emailed a link to choose a password."""
    actor = _administrator()
    db = db_session()
    form = AdministratorForm()
    if form.validate_on_submit():
        akimat = district_akimat(db, form.district_id.data)
        if akimat is None:
            form.district_id.errors = [_("Choose a district.")]
        else:
            return _create(actor, form, agency_id=akimat.id, role=Role.ADMIN)
    return _deployment_page(administrator_form=form, status=400)


@bp.route("/deployment/viewers", methods=["POST"])
@login_required
def new_viewer() -> ResponseReturnValue:
    """A regional viewer, emailed a link to choose a password."""
    actor = _administrator()
    form = RegionalViewerForm()
    if form.validate_on_submit():
        return _create(actor, form, region_id=form.region_id.data, role=Role.REGIONAL)
    return _deployment_page(viewer_form=form, status=400)


def _create(
    actor: User,
    form: AdministratorForm | RegionalViewerForm,
    *,
    role: Role,
    agency_id: int | None = None,
    region_id: int | None = None,
) -> ResponseReturnValue:
    db = db_session()
    change = UserChange(
        email=form.email.data or "",
        full_name=form.full_name.data or "",
        role=role.value,
        locale=form.locale.data or "ru",
        agency_id=agency_id,
        region_id=region_id,
    )
    try:
        user, notification = create_staff(db, settings_of(current_app), actor, change)
    except AdminError as exc:
        db.rollback()
        show_error(form, exc, aliases={"agency_id": "district_id"})
        if isinstance(form, AdministratorForm):
            return _deployment_page(administrator_form=form, status=400)
        return _deployment_page(viewer_form=form, status=400)
    db.commit()
    if notification is not None and notification.id is not None:
        nudge_workers([notification.id])
    flash(
        _("%(email)s is added and gets an email to choose a password.", email=user.email),
        "success",
    )
    return redirect(url_for("oversight.deployment"))
