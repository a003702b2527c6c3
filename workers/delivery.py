"""Sending a batch of outbox rows: claim them, check each is still wanted, send each (an
email by SMTP, a webhook by HTTP) under the batch's fencing token, and record every outcome
as it happens. The ``send_notifications`` actor (:mod:`workers.actors`) calls
:func:`deliver_notifications`."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from datetime import datetime, timedelta
from functools import partial
from typing import TypeVar

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from models.core.base import utcnow
from models.core.settings import Settings
from models.integrations.webhooks import WebhookTarget, webhook_target
from models.outbox.claims import (
    claim_batch,
    confirm_and_extend,
    mark_failed_attempt,
    mark_voided,
    release,
    retry_delay,
)
from models.outbox.notifications import Notification, NotificationKind
from models.tick import why_not_send
from workers.leases import LeaseKeeper
from workers.mail import Mailer, MailError, render
from workers.metrics import Metrics
from workers.webhooks import WebhookError, WebhookGone, post_webhook

__all__ = ["deliver_notifications", "worker_now"]

log = logging.getLogger(__name__)

#: A batch starts no email after this many seconds, so that it ends within the time limit
#: even when its last email meets every SMTP timeout (30 s each for the connection and each
#: of its commands: about three minutes at worst); the rest of the batch is given back.
_SEND_BUDGET_SECONDS = 6 * 60.0

_T = TypeVar("_T")


def worker_now(settings: Settings) -> datetime:
    """This process's clock as the workers read it (tests may put it off, see
    ``Settings.clock_offset_seconds``). Leases never depend on it: the database's clock sets
    and judges them."""
    return utcnow() + timedelta(seconds=settings.clock_offset_seconds)


class _Connection:
    """The batch's one database connection, reopened after a database error."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._connection: Connection | None = None
        self._session: Session | None = None
        self._autocommit = False

    def autocommit(self) -> None:
        """From now on each statement is its own transaction: a mark is one round trip to
        the database (its statement) instead of three (BEGIN, the statement, COMMIT). Only
        for single-statement writes: the claim and its checks run before, in one transaction."""
        self._autocommit = True
        if self._connection is not None:
            self._connection.execution_options(isolation_level="AUTOCOMMIT")

    def session(self) -> Session:
        if self._session is None:
            self._connection = self.engine.connect()
            if self._autocommit:
                self._connection.execution_options(isolation_level="AUTOCOMMIT")
            if self.engine.dialect.name == "postgresql":
                # A batch's claims and marks do not wait for the WAL to reach the disk: a crash
                # of PostgreSQL itself may forget the last "sent" marks of a moment, and those
                # emails go again (the same Message-ID), which is the window a worker's own
                # crash has anyway; nothing is ever lost. Per email it saves a disk flush.
                self._connection.exec_driver_sql("SET synchronous_commit TO off")
                self._connection.commit()  # a session on a connection in a transaction would
                # join it, and its commits would commit nothing
            self._session = Session(self._connection, expire_on_commit=False)
        return self._session

    def reset(self) -> None:
        if self._connection is not None and self.engine.dialect.name == "postgresql":
            try:  # the pooled connection goes back as it came
                self._connection.rollback()
                self._connection.exec_driver_sql("RESET synchronous_commit")
                self._connection.commit()
            except Exception as exc:  # broken: it is discarded, not pooled
                log.debug("resetting a connection: %s", type(exc).__name__)
        session, connection, self._session, self._connection = (
            self._session,
            self._connection,
            None,
            None,
        )
        for thing in (session, connection):
            try:
                if thing is not None:
                    thing.close()
            except Exception as exc:  # already broken: forgetting it is all that matters
                log.debug("closing a broken connection: %s", type(exc).__name__)

    def retrying(self, what: str, until: float, run: Callable[[Session], _T]) -> _T | None:
        """Run *run* on the session; after a database error, again on a fresh connection,
        backing off, until the monotonic moment *until* (when the claim may have lapsed).
        Returns None when the database did not come back in time, after one warning line."""
        delay = 0.25
        while True:
            try:
                return run(self.session())
            except DBAPIError as exc:
                self.reset()
                if time.monotonic() + delay >= until:
                    log.warning(
                        "could not record %s: the database is away (%s); the claim lapses and "
                        "the tick retries",
                        what,
                        type(exc.orig).__name__ if exc.orig is not None else type(exc).__name__,
                    )
                    return None
                time.sleep(delay)
                delay = min(delay * 2, 2.0)


def deliver_notifications(
    settings: Settings,
    engine: Engine,
    mailer: Mailer,
    notification_ids: Sequence[int],
    *,
    leases: LeaseKeeper | None = None,
    metrics: Metrics | None = None,
    budget_seconds: float | None = None,
) -> int:
    """Claim the notifications, check each is still wanted, send them and record each
    outcome as it happens; return how many were sent.

    A notification already sent, failed, voided, or leased to another worker is left alone,
    which is what makes a repeated message harmless. The claim is a fencing token: before
    each email one statement records the previous one sent, extends the lease of the rest of
    the batch and says whether the next is still this claim's (not voided since, not
    re-claimed by a worker that judged this one dead); an email that is not is skipped. A
    reminder or an escalation is checked again just before it goes when its batch's check is
    more than a moment old. A "sent" mark that fails on a database error is retried while the
    claim lasts. When the mail server goes away the batch's other emails are given back
    untried, and so are its other events for a webhook receiver that is away; when the batch
    has used its time (*budget_seconds*, so that it ends well within the actor's time limit),
    all of its rest.

    A webhook row is posted by HTTP (:func:`workers.webhooks.post_webhook`) to the URL and
    with the secret its integration has at the claim; it is voided if the integration has
    since lost that webhook, or if the receiver answers ``410 Gone``.
    """
    lease = timedelta(seconds=settings.notification_lease_seconds)
    budget = _SEND_BUDGET_SECONDS if budget_seconds is None else budget_seconds
    started = time.monotonic()
    db = _Connection(engine)
    try:
        # One connection for the whole batch: the claim and the checks share a transaction,
        # and each mark reuses the connection instead of checking out (and pinging) another.
        session = db.session()
        wanted = []
        targets: dict[int | None, WebhookTarget | None] = {}  # where each webhook row goes
        claimed = claim_batch(session, notification_ids, lease=lease, commit=False)
        for notification in claimed:
            reason = why_not_send(session, notification, now=worker_now(settings))
            if reason is None:
                wanted.append(notification)
                if notification.kind == NotificationKind.WEBHOOK:
                    targets[notification.id] = webhook_target(session, notification)
                continue
            mark_voided(session, notification, reason=reason, commit=False)
            if metrics is not None:
                metrics.voided.inc()
            log.info("notification %s: voided (%s)", notification.id, reason)
        session.commit()
        db.autocommit()
        checked_at = held_until = time.monotonic()
        held_until += lease.total_seconds()
        for notification_id in set(notification_ids) - {n.id for n in claimed}:
            log.info("notification %s: not claimable, nothing to send", notification_id)
        if not wanted:
            return 0
        claim_id = wanted[0].claim_id
        sent = 0
        previous: Notification | None = None  # taken by the server, not yet marked sent
        given_back: set[int | None] = set()  # released untried while the batch goes on

        def confirm(keep: Sequence[Notification]) -> set[int] | None:
            """Mark *previous* sent and extend *keep*; None when the database stayed away."""
            nonlocal previous, sent, held_until
            if previous is None and not keep:
                return set()
            asked_at = time.monotonic()
            held = db.retrying(
                f"notification {previous.id}" if previous is not None else "the batch's claim",
                held_until,
                lambda s: confirm_and_extend(s, claim_id, sent=previous, keep=keep, lease=lease),
            )
            if held is None:
                return None
            held_until = asked_at + lease.total_seconds()
            if previous is not None:
                if previous.id in held:
                    sent += 1
                    if metrics is not None:
                        metrics.sends.inc()
                    log.info("notification %s: sent", previous.id)
                else:
                    log.warning("notification %s: sent, but its claim was lost", previous.id)
            previous = None
            return held

        with leases.held(claim_id) if leases is not None else nullcontext():
            for done, notification in enumerate(wanted):
                if notification.id in given_back:
                    continue
                rest = [n for n in wanted[done:] if n.id not in given_back]
                if time.monotonic() - started > budget:
                    if confirm([]) is not None:
                        db.retrying(
                            "released emails",
                            held_until,
                            partial(
                                _release, rest, timedelta(0), "not tried yet: the batch ran long"
                            ),
                        )
                    log.info("%s notifications: batch out of time, given back", len(rest))
                    return sent
                if notification.kind in _CHECKED_KINDS and time.monotonic() - checked_at > _RECHECK:
                    reason = _why_not_send_now(db, settings, notification, held_until)
                    if reason is not None:
                        if confirm([]) is None:
                            return sent
                        if mark_voided(db.session(), notification, reason=reason):
                            if metrics is not None:
                                metrics.voided.inc()
                            log.info("notification %s: voided (%s)", notification.id, reason)
                        continue
                # The next email's lease is extended here; the rest of the batch's by the
                # lease keeper, every third of the lease, in one statement for every batch.
                held = confirm(rest[:1] if leases is not None else rest)
                if held is None:
                    return sent
                if notification.id not in held:
                    log.info("notification %s: no longer this worker's, skipped", notification.id)
                    continue
                try:
                    if notification.kind == NotificationKind.WEBHOOK:
                        _post(settings, notification, targets.get(notification.id))
                    else:
                        mailer.send(render(notification, mail_from=settings.mail_from))
                except WebhookGone as exc:
                    if mark_voided(db.session(), notification, reason=str(exc)):
                        if metrics is not None:
                            metrics.voided.inc()
                        log.info("notification %s: voided (%s)", notification.id, exc)
                    continue
                except (MailError, WebhookError) as exc:
                    _record_failure(settings, db, notification, exc, metrics, held_until)
                    if exc.server_unavailable:
                        # The mail server (or this webhook's receiver) is away: the batch's
                        # other rows for it wait with this one, untried; the rest go on.
                        waiting = [
                            n
                            for n in wanted[done + 1 :]
                            if n.id not in given_back and _same_edge(n, notification)
                        ]
                        delay = retry_delay(
                            notification.attempts, settings.notification_retry_base_seconds
                        )
                        db.retrying(
                            "released emails",
                            held_until,
                            partial(
                                _release,
                                waiting,
                                delay,
                                f"not tried, {_edge_name(notification)} failed: {exc}",
                            ),
                        )
                        given_back.update(n.id for n in waiting)
                    continue
                previous = notification
            if previous is not None:
                confirm([])
        return sent
    finally:
        db.reset()


def _release(
    rest: Sequence[Notification], retry_in: timedelta, error: str, session: Session
) -> int:
    return release(session, rest, retry_in=retry_in, error=error)


def _post(settings: Settings, notification: Notification, target: WebhookTarget | None) -> None:
    """Post the webhook row *notification* to *target* (None: no longer wanted, voided)."""
    if target is None:
        raise WebhookGone("the integration's webhook was cleared, moved or revoked")
    post_webhook(target, notification.body, allow_loopback=settings.webhook_allow_loopback)


def _same_edge(row: Notification, failed: Notification) -> bool:
    """Tell whether *row* goes through what just failed for *failed*: the mail server for an
    email, the same receiver for a webhook."""
    webhook = NotificationKind.WEBHOOK.value
    if failed.kind == webhook:
        return row.kind == webhook and row.recipient == failed.recipient
    return row.kind != webhook


def _edge_name(notification: Notification) -> str:
    return "the receiver" if notification.kind == NotificationKind.WEBHOOK else "the mail server"


#: Kinds whose email may stop being true after it was claimed (a task closed, a meeting
#: moved); checked again before sending when the batch's check is older than _RECHECK seconds.
#: (Closing a task or changing a meeting also voids the rows being sent, which the fence
#: before each email finds: this check is the second wall, not the first.)
_CHECKED_KINDS = frozenset({"meeting_reminder", "task_reminder", "escalation"})
_RECHECK = 1.0


def _why_not_send_now(
    db: _Connection, settings: Settings, notification: Notification, until: float
) -> str | None:
    """Ask :func:`why_not_send` again on the batch's connection, reading the meeting or task
    anew (what the batch's check loaded is forgotten first; the batch's own rows stay)."""

    def check(session: Session) -> str | None:
        for row in list(session.identity_map.values()):
            if not isinstance(row, Notification):
                session.expunge(row)
        return why_not_send(session, notification, now=worker_now(settings))

    return db.retrying(f"notification {notification.id}", until, check)


def _record_failure(
    settings: Settings,
    db: _Connection,
    notification: Notification,
    exc: MailError | WebhookError,
    metrics: Metrics | None,
    until: float,
) -> None:
    recorded = db.retrying(
        f"notification {notification.id}",
        until,
        lambda s: mark_failed_attempt(
            s,
            notification,
            error=str(exc),
            max_attempts=settings.notification_max_attempts,
            retry_base_seconds=settings.notification_retry_base_seconds,
            server_unavailable=exc.server_unavailable,
            keep_trying=timedelta(hours=settings.notification_retry_hours),
        ),
    )
    if metrics is not None:
        metrics.failures.inc()
    log.warning(
        "notification %s: attempt %s failed (%s), status %s",
        notification.id,
        notification.attempts,
        type(exc.__cause__ or exc).__name__,
        notification.status if recorded else "left to the claim's lapse",
    )
