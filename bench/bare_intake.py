"""The ceiling of bench/intake.py: a bare Flask route that takes the same POST and inserts one
row through the same driver (psycopg under SQLAlchemy, the engine Birge makes).

    gunicorn 'bench.bare_intake:create_app()'   # with the BIRGE_* settings of the database

It reads the JSON body, inserts its reference into ``bench_report`` (:data:`REPORTS`, made by
bench/intake.py before it starts) in one transaction and answers 201: no token, no validation,
no case, tasks, audit or outbox.
"""

from __future__ import annotations

from flask import Flask, Response, jsonify, request
from sqlalchemy import Column, Integer, MetaData, String, Table, insert

from models.core.db import make_engine
from models.core.settings import load_settings

#: The one table the ceiling writes.
REPORTS = Table(
    "bench_report",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("reference", String(100), nullable=False, unique=True),
)


def create_app() -> Flask:
    settings = load_settings()
    engine = make_engine(settings.database_url, timeouts=settings.database_timeouts)
    app = Flask(__name__)

    def receive() -> tuple[Response, int]:
        body = request.get_json()
        with engine.begin() as connection:
            connection.execute(insert(REPORTS).values(reference=body["reference"]))
        return jsonify(reference=body["reference"]), 201

    def healthz() -> str:
        return "ok"

    app.add_url_rule("/api/v1/reports", view_func=receive, methods=["POST"])
    app.add_url_rule("/healthz", view_func=healthz)
    return app
