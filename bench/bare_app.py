"""The yardstick for the web's feed route: a bare Flask route returning the same bytes.

    gunicorn 'bench.bare_app:create_app()'   # with BENCH_FEED_FILE=/path/to/feed.ics

It answers every GET with the bytes read once at start, and nothing else: no database, no
conditional requests, no headers beyond Flask's own.
"""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask, Response


def create_app() -> Flask:
    body = Path(os.environ["BENCH_FEED_FILE"]).read_bytes()
    app = Flask(__name__)

    def feed(token: str) -> Response:
        return Response(body, content_type="text/calendar; charset=utf-8")

    app.add_url_rule("/calendars/<token>.ics", view_func=feed)
    return app
