"""The ceiling of bench/portal.py: a bare Flask app answering each measured path with the
bytes the portal gave for it, under the same gunicorn. Reads them from BENCH_CEILING_DIR."""

from __future__ import annotations

import json
import os
from pathlib import Path

from flask import Flask, Response, request

app = Flask(__name__)
_FOLDER = Path(os.environ.get("BENCH_CEILING_DIR", "."))
_INDEX = (
    json.loads((_FOLDER / "index.json").read_text()) if (_FOLDER / "index.json").exists() else {}
)
_BODIES = {path: ((_FOLDER / name).read_bytes(), kind) for path, (name, kind) in _INDEX.items()}


@app.route("/", defaults={"path": ""})
@app.route("/<path:path>")
def same_bytes(path: str) -> Response:
    body, kind = _BODIES[request.full_path.rstrip("?")]
    return Response(body, content_type=kind)
