from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue
from sqlalchemy import text
from sqlalchemy.engine import Engine

from web import runtime
from workers.broker import broker_reachable

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


def healthz() -> ResponseReturnValue:
    rt = runtime(current_app)
    checks = {
        "database": _database_ok(rt.engine),
        "broker": broker_reachable(rt.settings.broker_url),
    }
    body = {name: "ok" if ok else "unreachable" for name, ok in checks.items()}
    body["status"] = "ok" if all(checks.values()) else "degraded"
    response = jsonify(body)
    response.status_code = 200 if all(checks.values()) else 503
    response.headers["Cache-Control"] = "no-store"
    return response


def _database_ok(engine: Engine) -> bool:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:
        log.warning("database not reachable: %s", type(exc).__name__)
        return False
    return True


bp.add_url_rule("/healthz", view_func=healthz)
