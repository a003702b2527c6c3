"""Errors of the API as RFC 9457 problem details, never echoing what the client sent."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from flask import Response, jsonify
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException

from web.api.schemas import FieldError, Problem

__all__ = ["PROBLEM_TYPE", "field_errors", "http_problem", "problem"]

PROBLEM_TYPE = "application/problem+json"

_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Request too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}


def problem(
    status: int,
    detail: str | None = None,
    errors: Iterable[FieldError] = (),
    headers: Mapping[str, str] | None = None,
) -> Response:
    """An answer of *status* with problem details."""
    body = Problem(
        title=_TITLES.get(status, "Error"), status=status, detail=detail, errors=list(errors)
    )
    response = jsonify(body.model_dump())
    response.status_code = status
    response.content_type = PROBLEM_TYPE
    response.headers["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def http_problem(error: HTTPException) -> Response:
    """The problem details of an HTTP error raised before or outside a view (no such route, a
    method not allowed, a body too large), with the headers it carries: a 405 names the
    methods allowed in ``Allow``, as RFC 9110 requires."""
    headers = {name: value for name, value in error.get_headers() if name.lower() != "content-type"}
    return problem(error.code or 500, headers=headers)


def field_errors(error: ValidationError) -> list[FieldError]:
    """The fields pydantic refused and why, in its words without the input it was given (a
    restricted value must never come back)."""
    return [
        FieldError(
            field=".".join(str(part) for part in item["loc"]),
            message=_message(item["type"], item["msg"]),
        )
        for item in error.errors(include_input=False, include_url=False, include_context=False)
    ]


def _message(kind: str, message: str) -> str:
    if kind == "extra_forbidden":
        return "This field is not part of a report."
    if kind == "missing":
        return "This field is required."
    return message
