from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify
from flask.typing import ResponseReturnValue
from prometheus_client import CONTENT_TYPE_LATEST

from models.core.db import database_reachable
from web.context import runtime

bp = Blueprint("health", __name__)

#: A hung database makes /healthz answer 503 within about this long, not hang with it.
_DATABASE_CHECK_SECONDS = 2.0


def healthz() -> ResponseReturnValue:
    rt = runtime(current_app)
    checks = {
        "database": database_reachable(rt.engine, timeout=_DATABASE_CHECK_SECONDS),
        "broker": rt.broker_reachable(),
    }
    body = {name: "ok" if ok else "unreachable" for name, ok in checks.items()}
    body["status"] = "ok" if all(checks.values()) else "degraded"
    response = jsonify(body)
    response.status_code = 200 if all(checks.values()) else 503
    response.headers["Cache-Control"] = "no-store"
    return response


def metrics() -> ResponseReturnValue:
    """Prometheus text format: the outbox from the database, and this process's counters
    (in ``birge run`` that is the web, the workers and the scheduler together)."""
    body = runtime(current_app).metrics_exposition()
    return Response(body, content_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})


def favicon() -> ResponseReturnValue:
    """The icon of clients that ask /favicon.ico instead of the pages' linked one."""
    return current_app.send_static_file("favicon.ico")


bp.add_url_rule("/healthz", view_func=healthz)
bp.add_url_rule("/favicon.ico", view_func=favicon)
bp.add_url_rule("/metrics", view_func=metrics)
