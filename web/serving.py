"""Serve the portal from ``birge run`` with an access log that keeps feed tokens out."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from werkzeug.serving import WSGIRequestHandler, run_simple

__all__ = ["redact_path", "serve"]

_FEED_PATH = re.compile(r"/calendars/[^/\s?]+\.ics")
_RESET_PATH = re.compile(r"/password/reset/[^/\s?]+")


def redact_path(line: str) -> str:
    """Replace the secret token of a feed URL or a password-reset link in *line* by ``***``."""
    return _RESET_PATH.sub("/password/reset/***", _FEED_PATH.sub("/calendars/***.ics", line))


class _RedactingHandler(WSGIRequestHandler):
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
        request_handler=_RedactingHandler,
    )
