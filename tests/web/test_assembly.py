"""The web uses its runtime through methods (nudge, broker check, metrics); only web.assembly
imports the workers."""

from __future__ import annotations

import json
import logging

import pytest
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client import CONTENT_TYPE_LATEST

from tests.factories import District
from web.assembly import Runtime
from web.nudge import nudge_workers
from workers.actors import BATCH


def queued(rt: Runtime) -> list[list[int]]:
    queue = rt.broker.queues[rt.settings.queue_name]  # type: ignore[attr-defined]
    return [json.loads(body)["args"][0] for body in list(queue.queue)]


def test_the_web_nudge_sends_the_ids_in_batches(app: Flask, runtime: Runtime) -> None:
    ids = list(range(1, 2 * BATCH + 2))
    with app.app_context():
        nudge_workers(iter(ids))
    assert queued(runtime) == [ids[:BATCH], ids[BATCH : 2 * BATCH], ids[2 * BATCH :]]


def test_a_lost_nudge_is_logged_and_raises_nothing(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    attempts: list[list[int]] = []

    def broker_down(batch: list[int]) -> None:
        attempts.append(batch)
        raise ConnectionError("broker down")

    monkeypatch.setattr(runtime.actors.send_notifications, "send", broker_down)
    with caplog.at_level(logging.WARNING):
        runtime.nudge(range(1, 2 * BATCH + 2))
    assert len(attempts) == 1  # the rest is left to the tick too
    assert "could not enqueue 20 notifications (ConnectionError); the tick will retry" in (
        caplog.text
    )


def test_metrics_answer_with_the_runtime_exposition(
    client: FlaskClient, runtime: Runtime, district: District
) -> None:
    runtime.metrics.sends.inc(3)
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.content_type == CONTENT_TYPE_LATEST
    # An empty outbox has no age to move between two scrapes: the bodies are the same.
    assert response.get_data() == runtime.metrics_exposition()
    text = response.get_data(as_text=True)
    assert text.index("birge_notifications{") < text.index("birge_notification_sends_total 3.0")


def test_healthz_asks_the_runtime_about_the_broker(
    client: FlaskClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert runtime.broker_reachable()  # the stub broker
    ok = client.get("/healthz")
    assert (ok.status_code, ok.get_json()) == (
        200,
        {"database": "ok", "broker": "ok", "status": "ok"},
    )
    monkeypatch.setattr(runtime, "broker_reachable", lambda: False)
    down = client.get("/healthz")
    assert (down.status_code, down.get_json()) == (
        503,
        {"database": "ok", "broker": "unreachable", "status": "degraded"},
    )
    assert down.headers["Cache-Control"] == "no-store"
