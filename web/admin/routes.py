from __future__ import annotations

from flask import Blueprint
from flask_login import login_required

from web.admin.agencies import agencies, edit_agency, new_agency
from web.admin.imports import apply_import_view, import_view
from web.admin.integrations import integrations_view, revoke_view
from web.admin.users import edit_user, new_user, users

bp = Blueprint("admin", __name__, url_prefix="/admin")

bp.add_url_rule("/users", view_func=login_required(users))
bp.add_url_rule("/users/new", view_func=login_required(new_user), methods=["GET", "POST"])
bp.add_url_rule(
    "/users/<int:user_id>", view_func=login_required(edit_user), methods=["GET", "POST"]
)
bp.add_url_rule("/agencies", view_func=login_required(agencies))
bp.add_url_rule("/agencies/new", view_func=login_required(new_agency), methods=["GET", "POST"])
bp.add_url_rule(
    "/agencies/<int:agency_id>", view_func=login_required(edit_agency), methods=["GET", "POST"]
)
bp.add_url_rule("/import", view_func=login_required(import_view), methods=["GET", "POST"])
bp.add_url_rule("/import/apply", view_func=login_required(apply_import_view), methods=["POST"])
bp.add_url_rule(
    "/integrations", view_func=login_required(integrations_view), methods=["GET", "POST"]
)
bp.add_url_rule(
    "/integrations/<name>/revoke", view_func=login_required(revoke_view), methods=["POST"]
)
