"""``/api/v1``: reports from other systems in, their cases' state out. JSON only, a token per
integration, problem details for every error, ``Cache-Control: no-store`` on every answer.
Request bodies are never logged."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for
from flask.typing import ResponseReturnValue
from pydantic import ValidationError

from models.cases.tables import Case
from models.casework.operations import CaseError
from models.casework.reports import (
    IdempotencyConflict,
    Report,
    district_case,
    receive_report,
    report_tasks,
)
from models.casework.restricted import RestrictedDetails
from models.core.base import utcnow
from models.core.text import has_forbidden_controls
from models.integrations.idempotency import is_valid_key, request_hash
from models.integrations.tokens import Integration, Scope, authenticate, take_request
from models.meetings.sittings import district_zone
from web.api.openapi import OPERATIONS, openapi_document
from web.api.problems import field_errors, problem
from web.api.schemas import (
    FieldError,
    ReportCreated,
    ReportIn,
    ReportStatus,
    TaskOut,
    TaskStatusOut,
)
from web.context import db_session, settings_of
from web.nudge import nudge_workers

__all__ = ["bp"]

bp = Blueprint("api", __name__, url_prefix="/api/v1")


class Refusal(Exception):
    """Stop the request with this answer."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


@bp.errorhandler(Refusal)
def _refused(refusal: Refusal) -> ResponseReturnValue:
    return refusal.response


@bp.after_request
def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def _integration(scope: Scope) -> Integration:
    """The integration of the request's bearer token, counted against its rate limit."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    challenge = {"WWW-Authenticate": 'Bearer realm="birge"'}
    if scheme.lower() != "bearer" or not token.strip():
        raise Refusal(problem(401, "Send an integration token as a Bearer token.", (), challenge))
    db = db_session()
    integration = authenticate(db, token.strip())
    if integration is None:
        raise Refusal(problem(401, "The token is unknown or revoked.", (), challenge))
    if not integration.allows(scope):
        raise Refusal(problem(403, f"The token lacks the scope {scope.value}."))
    wait = take_request(
        db, integration, per_minute=settings_of(current_app).api_requests_per_minute
    )
    db.commit()  # counted even when the request then fails
    if wait is not None:
        raise Refusal(
            problem(429, "Too many requests with this token.", (), {"Retry-After": str(wait)})
        )
    return integration


def receive() -> ResponseReturnValue:
    integration = _integration(Scope.REPORTS_WRITE)
    if not request.is_json:
        raise Refusal(problem(415, "Send the report as application/json."))
    body: Any = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise Refusal(problem(400, "The body is not a JSON object."))
    key = request.headers.get("Idempotency-Key")
    if key is not None and not is_valid_key(key):
        errors = [FieldError(field="Idempotency-Key", message="Use 1 to 200 printable characters.")]
        raise Refusal(problem(422, "The Idempotency-Key header is not valid.", errors))
    try:
        report = ReportIn.model_validate_json(request.get_data())
    except ValidationError as exc:
        raise Refusal(problem(422, "The report is not well formed.", field_errors(exc))) from None
    db = db_session()
    now = utcnow()
    child = report.child
    try:
        received = receive_report(
            db,
            integration,
            Report(
                source=report.source.value,
                reference=report.reference,
                received_at=report.received_at,
                category=report.category.value,
                receiving_agency=report.receiving_agency,
                signs_of_offence=report.signs_of_offence,
                child_removed=report.child_removed,
                restricted=RestrictedDetails(
                    child_name=(child.name or "") if child else "",
                    birth_date=child.birth_date if child else None,
                    address=(child.address or "") if child else "",
                    school_class=(child.school_class or "") if child else "",
                    notes=report.notes or "",
                ),
            ),
            key=key,
            digest=request_hash(body),
            now=now,
        )
    except IdempotencyConflict as exc:
        db.rollback()
        raise Refusal(problem(409, exc.message)) from None
    except CaseError as exc:
        db.rollback()
        errors = [FieldError(field=exc.field or "", message=exc.message)]
        raise Refusal(problem(422, "The report cannot be received.", errors)) from None
    db.commit()
    nudge_workers(n.id for n in received.outgoing if n.id is not None)  # the webhook's event
    zone = district_zone(db, received.case.district_id)
    answer = ReportCreated(
        case_code=received.case.code,
        url=_case_url(received.case),
        tasks=[
            TaskOut(
                rule=row.rule,
                agency=row.agency,
                due_at=row.task.due_at.astimezone(zone).isoformat(),
            )
            for row in report_tasks(db, received.case, now=now)
        ],
    )
    response = jsonify(answer.model_dump())
    response.status_code = 201 if received.created else 200
    response.headers["Location"] = url_for("api.read", case_code=received.case.code)
    return response


def read(case_code: str) -> ResponseReturnValue:
    integration = _integration(Scope.REPORTS_READ)
    db = db_session()
    now = utcnow()
    # No code holds a control character; PostgreSQL would refuse a NUL with an error.
    case = (
        None
        if has_forbidden_controls(case_code)
        else district_case(db, integration, case_code, now=now)
    )
    if case is None:
        raise Refusal(problem(404, "No case of your district has this code."))
    db.commit()
    zone = district_zone(db, case.district_id)
    answer = ReportStatus(
        case_code=case.code,
        status=case.status,
        tasks=[
            TaskStatusOut(
                rule=row.rule,
                agency=row.agency,
                due_at=row.task.due_at.astimezone(zone).isoformat(),
                state=row.state,
                completed_at=(
                    row.task.completed_at.astimezone(zone).isoformat()
                    if row.task.completed_at
                    else None
                ),
            )
            for row in report_tasks(db, case, now=now)
        ],
    )
    return jsonify(answer.model_dump())


def openapi() -> ResponseReturnValue:
    return jsonify(openapi_document())


def docs() -> ResponseReturnValue:
    """The API's reference, rendered here from the same document (no script, no CDN)."""
    return render_template("api/docs.html", doc=openapi_document(), operations=OPERATIONS)


def _case_url(case: Case) -> str:
    return f"{settings_of(current_app).base_url}{url_for('cases.show', code=case.code)}"


bp.add_url_rule("/reports", view_func=receive, methods=["POST"])
bp.add_url_rule("/reports/<case_code>", endpoint="read", view_func=read)
bp.add_url_rule("/openapi.json", view_func=openapi)
bp.add_url_rule("/docs", view_func=docs)
