from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue

from models.db import database_reachable
from web import runtime
from workers.broker import broker_reachable

bp = Blueprint("health", __name__)


def healthz() -> ResponseReturnValue:
    rt = runtime(current_app)
    checks = {
        "database": database_reachable(rt.engine),
        "broker": broker_reachable(rt.settings.broker_url),
    }
    body = {name: "ok" if ok else "unreachable" for name, ok in checks.items()}
    body["status"] = "ok" if all(checks.values()) else "degraded"
    response = jsonify(body)
    response.status_code = 200 if all(checks.values()) else 503
    response.headers["Cache-Control"] = "no-store"
    return response


bp.add_url_rule("/healthz", view_func=healthz)
