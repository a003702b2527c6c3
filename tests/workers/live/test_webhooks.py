"""Webhooks on real RabbitMQ and PostgreSQL (issue 17, point 6): a receiver that is down for a
while gets every event once when it comes back, each signed by the Standard Webhooks scheme."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select
from sqlmodel import Session, col
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from models.casework.changes import choose_lead_agency, close_case
from models.casework.reports import Report, receive_report
from models.core.base import utcnow
from models.core.settings import Settings
from models.integrations.tokens import create_integration
from models.integrations.webhooks import set_webhook
from models.outbox.notifications import Notification, NotificationKind
from models.tasks.operations import cancel_task, complete_task
from models.tasks.tables import StatutoryRule, Task
from tests.factories import CHILD, District
from workers.runtime import Runtime, build_runtime, start_worker, tick


@dataclass
class Receiver:
    """A loopback HTTP server that verifies every request's signature with the secret it is
    given, and answers 503 while ``down``, 200 after."""

    secret: str = ""
    down: bool = True
    refused: int = 0
    #: Requests answered 200, by ``webhook-id``.
    accepted: Counter[str] = field(default_factory=Counter)
    #: The events' types as they arrived, by ``webhook-id``.
    types: dict[str, str] = field(default_factory=dict)
    bad_signatures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, body: bytes, headers: dict[str, str]) -> int:
        try:
            payload = Webhook(self.secret).verify(body, headers)
        except WebhookVerificationError as exc:
            with self.lock:
                self.bad_signatures.append(str(exc))
            return 400
        with self.lock:
            if self.down:
                self.refused += 1
                return 503
            self.accepted[headers["webhook-id"]] += 1
            self.types[headers["webhook-id"]] = payload["type"]
            return 200


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, int]]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            status = state.handle(body, {k.lower(): v for k, v in self.headers.items()})
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: the test reads the state, not the log."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state, server.server_address[1]
    server.shutdown()
    server.server_close()


def make_events(session: Session, district: District, url: str, cases: int) -> str:
    """Register the webhook, then let an integration report *cases* cases, each opened, its
    lead-agency task completed, its lead chosen and the case closed: four events a case.
    Returns the secret."""
    now = utcnow()
    issued = create_integration(session, name="helpline-111", district_id=district.row.id or 0)
    secret = set_webhook(session, "helpline-111", url, allow_loopback=True, now=now).secret
    lead_rule = session.scalars(
        select(col(StatutoryRule.id)).where(col(StatutoryRule.slug) == "lead-agency-to-akimat")
    ).one()
    for number in range(cases):
        report = Report(
            source="helpline_111",
            reference=f"111-{number}",
            received_at=now - timedelta(hours=1),
            category="neglect",
            receiving_agency="education",
            restricted=CHILD,
        )
        case = receive_report(
            session, issued.integration, report, key=None, digest=str(number), now=now
        ).case
        for task in session.scalars(select(Task).where(col(Task.case_id) == case.id)):
            if task.rule_id == lead_rule:
                complete_task(session, district.coordinator, task, note="", now=now)
            else:
                cancel_task(session, district.chair, task, reason="Не требуется", now=now)
        choose_lead_agency(session, district.chair, case, district.police, now=now)
        close_case(session, district.chair, case, reason="Готово", now=now)
    session.commit()
    return secret


def webhook_rows(runtime: Runtime) -> list[Notification]:
    with Session(runtime.engine) as session:
        return list(
            session.scalars(
                select(Notification).where(col(Notification.kind) == NotificationKind.WEBHOOK.value)
            )
        )


def test_a_receiver_down_for_a_while_then_gets_every_event_once_signed(
    production_settings: Settings,
    district: District,
    receiver: tuple[Receiver, int],
) -> None:
    state, port = receiver
    settings = production_settings.replace(
        webhook_allow_loopback=True, notification_retry_base_seconds=0.3
    )
    runtime = build_runtime(settings)
    try:
        with Session(runtime.engine, expire_on_commit=False) as session:
            state.secret = make_events(session, district, f"http://127.0.0.1:{port}/hook", 3)
        rows = webhook_rows(runtime)
        assert len(rows) == 12
        worker = start_worker(runtime, threads=2)
        try:
            runtime.nudge([row.id for row in rows if row.id is not None])
            deadline = time.monotonic() + 60
            went_down_at: float | None = None
            while time.monotonic() < deadline:
                if state.refused and went_down_at is None:
                    went_down_at = time.monotonic()
                if state.down and went_down_at and time.monotonic() - went_down_at > 1.5:
                    state.down = False  # the receiver comes back after several refusals
                rows = webhook_rows(runtime)
                if all(row.status == "sent" for row in rows):
                    break
                tick(runtime)
                time.sleep(0.2)
        finally:
            worker.stop()
    finally:
        runtime.close()
        runtime.engine.dispose()

    assert [row.status for row in rows] == ["sent"] * 12
    assert state.refused >= 3, "the receiver was never down"
    assert max(row.attempts for row in rows) > 1  # some were retried after a refusal
    assert state.bad_signatures == []  # every request, refused or accepted, was signed right
    assert state.accepted == Counter({row.dedupe_key: 1 for row in rows})  # each once
    assert Counter(state.types.values()) == Counter(
        {"case.opened": 3, "task.completed": 3, "case.lead_agency_chosen": 3, "case.closed": 3}
    )
