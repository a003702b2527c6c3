"""The OpenAPI 3.1 document of the API, assembled by apispec from the routes' declarations
(:data:`OPERATIONS`) and the pydantic models' JSON Schemas, so that it cannot drift from the
code that validates and answers."""

from __future__ import annotations

from functools import cache
from typing import Any

from apispec import APISpec
from pydantic import BaseModel

from web.api.schemas import Problem, ReportCreated, ReportIn, ReportStatus

__all__ = ["OPERATIONS", "openapi_document"]

_REF = "#/components/schemas/{model}"


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": {"$ref": _REF.format(model="Problem")}}},
    }


def _json(model: type[BaseModel], description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": _REF.format(model=model.__name__)}}},
    }


_AUTH = {
    "401": _problem("No token, or an unknown or revoked one."),
    "403": _problem("The token lacks the scope this needs."),
    "429": {
        **_problem("The token's requests per minute are used up."),
        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
    },
    "503": {
        **_problem("The database is unavailable for now; nothing was received or read."),
        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
    },
}

#: Path -> method -> operation, read by the routes' tests and by :func:`openapi_document`.
OPERATIONS: dict[str, dict[str, dict[str, Any]]] = {
    "/reports": {
        "post": {
            "operationId": "receiveReport",
            "summary": "Receive a report",
            "description": (
                "Open a case with the statutory tasks of the report, every deadline counted "
                "from `received_at` on the district's working-day calendar. Sent again (the same "
                "`Idempotency-Key`, or the same `source` and `reference`), it answers 200 with "
                "the first case; the same key with a different body is 409."
            ),
            "security": [{"token": ["reports:write"]}],
            "parameters": [
                {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "required": False,
                    "schema": {"type": "string", "minLength": 1, "maxLength": 200},
                }
            ],
            "requestBody": {"required": True, **_json(ReportIn, "The report.")},
            "responses": {
                "201": {
                    **_json(ReportCreated, "The case was opened."),
                    "headers": {"Location": {"schema": {"type": "string"}}},
                },
                "200": _json(ReportCreated, "The report was received before: its first case."),
                "400": _problem("The body is not a JSON object."),
                "409": _problem("The Idempotency-Key was used for a different report."),
                "413": _problem("The body is larger than a megabyte."),
                "415": _problem("The body is not sent as application/json."),
                "422": _problem("The report is not well formed; `errors` says where."),
                **_AUTH,
            },
        }
    },
    "/reports/{case_code}": {
        "get": {
            "operationId": "readReport",
            "summary": "Read a case's state",
            "description": "The case's status and its tasks, for a token of the case's district.",
            "security": [{"token": ["reports:read"]}],
            "parameters": [
                {
                    "name": "case_code",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "maxLength": 20},
                }
            ],
            "responses": {
                "200": _json(ReportStatus, "The case and its tasks."),
                "404": _problem("No case of the token's district has this code."),
                **_AUTH,
            },
        }
    },
}


@cache
def openapi_document() -> dict[str, Any]:
    """The API's OpenAPI 3.1 document."""
    spec = APISpec(
        title="Birge intake API",
        version="1",
        openapi_version="3.1.0",
        info={
            "description": (
                "Reports from the 111 helpline and other systems become cases with their "
                "statutory tasks. Authenticate with an integration token: "
                "`Authorization: Bearer birge_…`. Errors are RFC 9457 problem details."
            )
        },
        servers=[{"url": "/api/v1"}],
    )
    spec.components.security_scheme("token", {"type": "http", "scheme": "bearer"})
    for model in (ReportIn, ReportCreated, ReportStatus, Problem):
        schema = model.model_json_schema(ref_template=_REF)
        for name, nested in schema.pop("$defs", {}).items():
            if name not in spec.components.schemas:
                spec.components.schema(name, nested)
        spec.components.schema(model.__name__, schema)
    for path, operations in OPERATIONS.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()
