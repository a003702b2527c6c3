"""The webhook edge (issue 17, point 6): a signed POST with one deadline and no redirects,
refused again at send time when the URL breaks the rule; and, in a worker's batch, a webhook
receiver that is away holds back its own events only, an away mail server none of them."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col
from standardwebhooks import Webhook

from models.casework.reports import Report, receive_report
from models.core.base import utcnow
from models.core.settings import Settings
from models.integrations.tokens import create_integration
from models.integrations.webhooks import WebhookTarget, set_webhook
from models.outbox.notifications import Notification, add_notification
from tests import services
from tests.factories import District
from workers.delivery import deliver_notifications
from workers.mail import MailError, Outgoing
from workers.webhooks import WebhookError, WebhookGone, post_webhook

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
BODY = (
    '{"type":"case.opened","timestamp":"2026-12-07T04:00:00Z","data":{"case_code":"D-2026-0001"}}'
)
MOMENT = datetime(2026, 12, 7, 4, 0, 0, 700_000, tzinfo=UTC)


@dataclass
class Receiver:
    """A loopback HTTP server that records what it is sent and answers *status*."""

    port: int = 0
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook?from=birge"


@pytest.fixture
def receivers() -> Iterator[list[Receiver]]:
    """Two receivers; each test sets their answers."""
    made: list[tuple[Receiver, ThreadingHTTPServer]] = []
    for _ in range(2):
        state = Receiver()

        class Handler(BaseHTTPRequestHandler):
            receiver = state

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                headers = {k.lower(): v for k, v in self.headers.items()}
                self.receiver.requests.append((self.path, headers, body))
                self.send_response(self.receiver.status)
                for name, value in self.receiver.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                """Quiet."""

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        state.port = server.server_address[1]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        made.append((state, server))
    yield [state for state, _ in made]
    for _, server in made:
        server.shutdown()
        server.server_close()


def target(url: str) -> WebhookTarget:
    return WebhookTarget(url=url, secret=SECRET, message_id="webhook:1:case:7:case.opened")


def test_an_event_is_posted_once_with_the_standard_webhooks_headers(
    receivers: list[Receiver],
) -> None:
    (receiver, _) = receivers
    receiver.status = 204
    post_webhook(target(receiver.url), BODY, allow_loopback=True, now=MOMENT)
    ((path, headers, body),) = receiver.requests
    assert (path, body) == ("/hook?from=birge", BODY.encode())
    assert headers["content-type"] == "application/json"
    assert headers["webhook-id"] == "webhook:1:case:7:case.opened"
    assert headers["webhook-timestamp"] == str(int(MOMENT.timestamp()))
    signature = Webhook(SECRET).sign("webhook:1:case:7:case.opened", MOMENT, BODY.encode())
    assert headers["webhook-signature"] == signature
    # and a receiver verifies it with the same package, at the moment it arrives
    sent_now = utcnow()
    post_webhook(target(receiver.url), BODY, allow_loopback=True, now=sent_now)
    assert Webhook(SECRET).verify(receiver.requests[1][2], receiver.requests[1][1])


@pytest.mark.parametrize(
    ("status", "away"),
    [(503, True), (500, True), (429, True), (408, True), (400, False), (404, False)],
)
def test_an_answer_other_than_2xx_is_a_failed_attempt(
    receivers: list[Receiver], status: int, away: bool
) -> None:
    (receiver, _) = receivers
    receiver.status = status
    with pytest.raises(WebhookError, match=f"HTTP {status}") as raised:
        post_webhook(target(receiver.url), BODY, allow_loopback=True)
    assert raised.value.server_unavailable is away
    assert not isinstance(raised.value, WebhookGone)


def test_410_gone_voids_the_event_and_a_redirect_is_not_followed(
    receivers: list[Receiver],
) -> None:
    (receiver, elsewhere) = receivers
    receiver.status = 410
    with pytest.raises(WebhookGone):
        post_webhook(target(receiver.url), BODY, allow_loopback=True)
    receiver.status = 307
    receiver.headers = {"Location": elsewhere.url}
    with pytest.raises(WebhookError, match="not followed") as raised:
        post_webhook(target(receiver.url), BODY, allow_loopback=True)
    assert raised.value.server_unavailable is False
    assert elsewhere.requests == []


def test_the_url_is_checked_again_when_the_event_is_posted(receivers: list[Receiver]) -> None:
    (receiver, _) = receivers
    with pytest.raises(WebhookError, match="refused") as raised:  # loopback, the setting off
        post_webhook(target(receiver.url), BODY)
    assert raised.value.server_unavailable is False
    with pytest.raises(WebhookError, match="refused"):  # DNS now says a private address
        post_webhook(
            target("https://hooks.helpline.example/birge"),
            BODY,
            resolve=lambda host, port: ["10.20.30.40"],
        )
    with pytest.raises(WebhookError, match="does not resolve") as unresolved:
        post_webhook(target("https://hooks.helpline.example/birge"), BODY, resolve=_nowhere)
    assert unresolved.value.server_unavailable is True
    assert receiver.requests == []


def _nowhere(host: str, port: int) -> list[str]:
    raise OSError("Name or service not known")


def test_a_receiver_that_is_not_listening_is_away() -> None:
    port = services.free_port()
    with pytest.raises(WebhookError, match="could not connect") as raised:
        post_webhook(target(f"http://127.0.0.1:{port}/hook"), BODY, allow_loopback=True)
    assert raised.value.server_unavailable is True


def test_a_receiver_answering_a_byte_at_a_time_is_cut_off_at_the_deadline() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    stop = threading.Event()

    def dribble() -> None:
        connection, _ = listener.accept()
        with connection:
            for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"x" * 1000:
                if stop.is_set():
                    return
                try:
                    connection.sendall(bytes([byte]))
                except OSError:
                    return
                time.sleep(0.1)

    thread = threading.Thread(target=dribble, daemon=True)
    thread.start()
    started = time.monotonic()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/hook"
    try:
        with pytest.raises(WebhookError, match="no answer within 1 s") as raised:
            post_webhook(target(url), BODY, allow_loopback=True, timeout=1.0)
    finally:
        stop.set()
        listener.close()
    assert 0.9 < time.monotonic() - started < 2.5
    assert raised.value.server_unavailable is True


# -- in a worker's batch -----------------------------------------------------------------------


class AwayMailServer:
    def send(self, email: Outgoing) -> None:
        raise MailError("ConnectionRefusedError: the mail server is away")

    def close(self) -> None:
        """Nothing to close."""


def opened_events(session: Session, district: District, receivers: list[Receiver]) -> list[int]:
    """Two reports by an integration whose webhook is the first receiver, one by another's
    whose webhook is the second; return their case.opened events' ids."""
    now = utcnow()
    integrations = []
    for name, receiver in (("helpline-111", receivers[0]), ("police", receivers[1])):
        integrations.append(
            create_integration(session, name=name, district_id=district.row.id or 0).integration
        )
        set_webhook(session, name, receiver.url, allow_loopback=True, now=now)
    ids = []
    for number, integration in enumerate((integrations[0], integrations[0], integrations[1])):
        report = Report(
            source="helpline_111",
            reference=f"R-{number}",
            received_at=now - timedelta(hours=1),
            category="neglect",
            receiving_agency="education",
        )
        received = receive_report(session, integration, report, key=None, digest="d", now=now)
        ids += [n.id for n in received.outgoing if n.id is not None]
    session.commit()
    return ids


def test_an_away_receiver_holds_back_its_own_events_and_an_away_mail_server_none(
    session: Session,
    engine: Engine,
    settings: Settings,
    district: District,
    receivers: list[Receiver],
) -> None:
    down, up = receivers
    down.status = 503
    email = add_notification(
        session,
        district_id=district.row.id or 0,
        dedupe_key="test:email:1",
        recipient="coord@education.test",
        subject="Тема",
        body="Текст",
        locale="ru",
    )
    session.commit()
    assert email is not None and email.id is not None
    first, second, other = opened_events(session, district, receivers)
    batch = [email.id, first, second, other]  # the email fails first, then the receivers
    sent = deliver_notifications(
        settings.replace(webhook_allow_loopback=True), engine, AwayMailServer(), batch
    )

    assert sent == 1
    rows = {
        n.id: n
        for n in session.scalars(select(Notification).where(col(Notification.id).in_(batch)))
    }
    for row in rows.values():
        session.refresh(row)
    assert (rows[email.id].status, rows[email.id].attempts) == ("pending", 1)
    assert (rows[first].status, rows[first].attempts) == ("pending", 1)  # tried, refused
    assert (rows[second].status, rows[second].attempts) == ("pending", 0)  # given back untried
    assert "the receiver failed" in (rows[second].last_error or "")
    assert rows[other].status == "sent"  # another receiver, and webhooks need no mail server
    assert (len(down.requests), len(up.requests)) == (1, 1)
