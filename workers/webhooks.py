"""The webhook edge: post one event to another system's URL, signed by Standard Webhooks.

The request is a ``POST`` of the event's JSON with the scheme's three headers: ``webhook-id``
(the same on every retry of one event), ``webhook-timestamp`` (seconds since the epoch, at this
attempt) and ``webhook-signature`` (``v1,`` + an HMAC-SHA256 of ``id.timestamp.body``), made by
the ``standardwebhooks`` package with which the receiver verifies it.

Before each post the URL's rule is applied again (:func:`models.integrations.urls.
check_webhook_url`: DNS may have changed since it was registered), and the connection goes to
an address it checked, never to a second DNS answer. The whole exchange has one deadline
(10 s); redirects are never followed. A 2xx answer is a delivery, ``410 Gone`` a receiver that
wants no more of this event; anything else is a failed attempt, which the outbox retries.
"""

from __future__ import annotations

import contextlib
import http.client
import math
import socket
import ssl
import threading
import time
from datetime import datetime

from standardwebhooks import Webhook

from models.core.base import utcnow
from models.integrations.urls import (
    CheckedUrl,
    Resolver,
    UnresolvedHost,
    WebhookUrlError,
    check_webhook_url,
    resolve_host,
)
from models.integrations.webhooks import WebhookTarget

__all__ = ["WEBHOOK_TIMEOUT_SECONDS", "WebhookError", "WebhookGone", "post_webhook"]

#: The deadline of one post: connecting, sending and reading the answer's status.
WEBHOOK_TIMEOUT_SECONDS = 10.0


class WebhookError(Exception):
    """The event was not delivered; the outbox will retry it.

    ``server_unavailable`` tells a receiver that is away (unreachable, silent, answering 5xx,
    408 or 429), which is retried as long as an away mail server is, from a refusal of this
    event (a 4xx, a redirect, a URL that now breaks the rule), which counts towards the
    outbox's attempts and is then given up as failed.
    """

    def __init__(self, message: str, *, server_unavailable: bool = True) -> None:
        super().__init__(message)
        self.server_unavailable = server_unavailable


class WebhookGone(WebhookError):
    """The event is no longer to be posted (voided): the receiver answered ``410 Gone``, or
    the integration's webhook was cleared, moved or revoked."""

    def __init__(self, message: str = "HTTP 410: the receiver wants no more of this event") -> None:
        super().__init__(message, server_unavailable=False)


def post_webhook(
    target: WebhookTarget,
    body: str,
    *,
    allow_loopback: bool = False,
    timeout: float = WEBHOOK_TIMEOUT_SECONDS,
    now: datetime | None = None,
    resolve: Resolver = resolve_host,
) -> None:
    """Post *body* to *target*, signed with its secret at *now*.

    Raises:
      WebhookGone: the receiver answered 410.
      WebhookError: anything else than a 2xx answer within *timeout* seconds.
    """
    try:
        checked = check_webhook_url(target.url, allow_loopback=allow_loopback, resolve=resolve)
    except UnresolvedHost:
        raise WebhookError("the URL's host does not resolve") from None
    except WebhookUrlError as exc:
        raise WebhookError(f"refused: {exc}", server_unavailable=False) from None
    data = body.encode("utf-8")
    moment = now or utcnow()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Birge-Webhooks/1",
        "webhook-id": target.message_id,
        "webhook-timestamp": str(math.floor(moment.timestamp())),
        "webhook-signature": Webhook(target.secret).sign(target.message_id, moment, data),
    }
    status = _exchange(checked, data, headers, timeout)
    if 200 <= status < 300:
        return
    if status == 410:
        raise WebhookGone()
    if 300 <= status < 400:
        raise WebhookError(f"HTTP {status}: redirects are not followed", server_unavailable=False)
    raise WebhookError(f"HTTP {status}", server_unavailable=status >= 500 or status in (408, 429))


def _exchange(checked: CheckedUrl, data: bytes, headers: dict[str, str], timeout: float) -> int:
    """POST *data* to the first of *checked*'s addresses that takes the connection; return the
    answer's status.

    One deadline for all of it: a timer shuts the socket down when it comes, so that a
    receiver answering a byte at a time cannot hold the worker longer than *timeout*.
    """
    deadline = time.monotonic() + timeout
    refused: list[str] = []
    for address in checked.addresses:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        connection = _connection(checked, address, remaining)
        cut = threading.Event()
        watchdog = threading.Timer(remaining, _cut, (connection, cut))
        watchdog.daemon = True
        watchdog.start()
        try:
            try:
                connection.connect()
            except OSError as exc:  # not connected: the next address may take it
                refused.append(f"{address}: {type(exc).__name__}")
                continue
            # Connected: from here a failure is this attempt's (another address might
            # receive the event a second time).
            connection.request("POST", checked.target, body=data, headers=headers)
            return connection.getresponse().status
        except (OSError, http.client.HTTPException) as exc:
            if cut.is_set() or isinstance(exc, TimeoutError):
                raise WebhookError(f"no answer within {timeout:g} s") from exc
            raise WebhookError(f"{type(exc).__name__}: {exc}"[:300]) from exc
        finally:
            watchdog.cancel()
            connection.close()
    if not refused:
        raise WebhookError(f"no answer within {timeout:g} s")
    raise WebhookError("could not connect: " + ", ".join(refused))


def _cut(connection: http.client.HTTPConnection, cut: threading.Event) -> None:
    """End the exchange at the deadline: a blocked read returns at once."""
    cut.set()
    sock = connection.sock
    if sock is not None:
        with contextlib.suppress(OSError):  # closed meanwhile
            sock.shutdown(socket.SHUT_RDWR)


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Plain HTTP (loopback, in tests) to one checked address, whatever DNS says now."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to one checked address; the certificate is verified for the URL's host name."""

    def __init__(
        self, host: str, port: int, address: str, timeout: float, context: ssl.SSLContext
    ) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self._address = address
        self._tls = context

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        try:
            self.sock = self._tls.wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise


def _connection(checked: CheckedUrl, address: str, timeout: float) -> http.client.HTTPConnection:
    if checked.scheme == "https":
        context = ssl.create_default_context()
        return _PinnedHTTPSConnection(checked.host, checked.port, address, timeout, context)
    return _PinnedHTTPConnection(checked.host, checked.port, address, timeout)
