"""Serve the portal from ``birge run`` with an access log that keeps links' secrets out."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

from flask import Flask
from werkzeug.serving import WSGIRequestHandler, run_simple

__all__ = ["RedactingHandler", "redact_path", "serve"]

#: Paths whose last part is a secret: a feed's token, a reset link's, an invitation answer's.
_SECRET_PATHS = re.compile(
    r"(/calendars/)[^/\s?]+(\.ics)|(/password/reset/|/respond/)[^/\s?]+", re.IGNORECASE
)


def redact_path(line: str) -> str:
    """Replace every secret of a link in *line* by ``***``, however its path was written.

    A client may encode any character of a path (``/calendars%2F<token>.ics`` is served like
    ``/calendars/<token>.ics``), even twice; the line is decoded until nothing changes before the
    secrets are looked for, so the log shows the decoded form.
    """
    for _ in range(5):
        decoded = unquote(line)
        if decoded == line:
            break
        line = decoded
    return _SECRET_PATHS.sub(_mask, line)


def _mask(found: re.Match[str]) -> str:
    if found.group(1):
        return f"{found.group(1)}***{found.group(2)}"
    return f"{found.group(3)}***"


class RedactingHandler(WSGIRequestHandler):
    def log(self, type: str, message: str, *args: Any) -> None:
        super().log(type, redact_path(message % args) if args else redact_path(message))


def serve(app: Flask, host: str, port: int) -> None:
    """Serve *app* with threads until interrupted (the embedded deployment's web server)."""
    run_simple(
        host,
        port,
        app,
        threaded=True,
        use_reloader=False,
        use_debugger=False,
        request_handler=RedactingHandler,
    )
