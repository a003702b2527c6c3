"""The actors: thin, idempotent, declared on an explicit broker.

An actor takes ids, loads rows, calls a domain operation and performs one side effect.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import dramatiq
from dramatiq import Broker
from sqlalchemy.engine import Engine
from sqlmodel import Session

from models.core.base import require_id, utcnow
from models.core.settings import Settings
from models.outbox.notifications import (
    Notification,
    NotificationStatus,
    claim_batch,
    mark_failed_attempt,
    mark_sent,
    mark_voided,
    release,
    retry_delay,
)
from models.tick import why_not_send
from workers.feed_publisher import FeedPublisher
from workers.leases import LeaseKeeper
from workers.mail import Mailer, MailError, render
from workers.metrics import Metrics

__all__ = ["Actors", "declare_actors", "deliver_notifications", "nudge_batches"]

log = logging.getLogger(__name__)

#: Emails per message: enough to spread the fixed cost of a message, a claim and a commit,
#: few enough that a batch is done in well under a second.
BATCH = 20

#: Well under RabbitMQ's 30-minute consumer_timeout, after which it would requeue the message.
_TIME_LIMIT_MS = 2 * 60 * 1000


@dataclass(frozen=True)
class Actors:
    """The actors declared on one broker."""

    #: Takes a list of notification ids: one message per batch of due emails.
    send_notifications: dramatiq.Actor[[list[int]], None]
    publish_feed: dramatiq.Actor[[int], None]


def deliver_notifications(
    settings: Settings,
    engine: Engine,
    mailer: Mailer,
    notification_ids: Sequence[int],
    *,
    leases: LeaseKeeper | None = None,
    metrics: Metrics | None = None,
) -> int:
    """Claim the notifications, check each is still wanted, send them and record each
    outcome as it happens; return how many were sent.

    A notification already sent, failed, voided, or leased to another worker is left alone,
    which is what makes a repeated message harmless. The claims' short leases are renewed
    by *leases* while the batch lasts; each email is marked sent right after the server took
    it, so a crash can repeat at most the one in flight. When the mail server goes away, the
    rest of the batch is given back untried, due at the same retry moment.
    """
    lease = timedelta(seconds=settings.notification_lease_seconds)
    # One connection for the whole batch: the claim and the checks share a transaction, and
    # each "sent" mark reuses the connection instead of checking out (and pinging) another.
    with engine.connect() as connection, Session(connection, expire_on_commit=False) as session:
        wanted = []
        claimed = claim_batch(session, notification_ids, now=utcnow(), lease=lease, commit=False)
        for notification in claimed:
            reason = why_not_send(session, notification, now=utcnow())
            if reason is None:
                wanted.append(notification)
                continue
            mark_voided(session, notification, reason=reason, commit=False)
            if metrics is not None:
                metrics.voided.inc()
            log.info("notification %s: voided (%s)", notification.id, reason)
        session.commit()
        for notification_id in set(notification_ids) - {n.id for n in claimed}:
            log.info("notification %s: not claimable, nothing to send", notification_id)
        claims = {require_id(n): n.attempts for n in wanted}
        with leases.held(claims) if leases is not None else nullcontext():
            for done, notification in enumerate(wanted):
                try:
                    mailer.send(render(notification, mail_from=settings.mail_from))
                except MailError as exc:
                    _record_failure(settings, session, notification, exc, metrics)
                    if exc.server_unavailable:
                        delay = retry_delay(
                            notification.attempts, settings.notification_retry_base_seconds
                        )
                        release(
                            session,
                            wanted[done + 1 :],
                            retry_at=utcnow() + delay,
                            error=f"not tried, the mail server failed: {exc}",
                        )
                        break
                    continue
                mark_sent(session, notification, now=utcnow())
                if metrics is not None:
                    metrics.sends.inc()
                log.info("notification %s: sent", notification.id)
        return sum(n.status == NotificationStatus.SENT for n in wanted)


def _record_failure(
    settings: Settings,
    session: Session,
    notification: Notification,
    exc: MailError,
    metrics: Metrics | None,
) -> None:
    mark_failed_attempt(
        session,
        notification,
        error=str(exc),
        now=utcnow(),
        max_attempts=settings.notification_max_attempts,
        retry_base_seconds=settings.notification_retry_base_seconds,
    )
    if metrics is not None:
        metrics.failures.inc()
    log.warning(
        "notification %s: attempt %s failed (%s), status %s",
        notification.id,
        notification.attempts,
        type(exc.__cause__).__name__,
        notification.status,
    )


def declare_actors(
    broker: Broker,
    settings: Settings,
    engine: Engine,
    mailer: Mailer,
    *,
    feeds: FeedPublisher,
    leases: LeaseKeeper | None = None,
    metrics: Metrics | None = None,
) -> Actors:
    """Declare Birge's actors on *broker*, bound to this process's engine, mailer and feeds."""

    def send_notifications(notification_ids: list[int]) -> None:
        deliver_notifications(
            settings, engine, mailer, notification_ids, leases=leases, metrics=metrics
        )

    def publish_feed(feed_id: int) -> None:
        feeds.publish(feed_id)

    options: dict[str, Any] = {
        "time_limit": _TIME_LIMIT_MS,
        # SMTP failures are retried by the outbox; these retries cover a database hiccup.
        "max_retries": 3,
        "min_backoff": 1000,
        "max_backoff": 30_000,
    }
    return Actors(
        send_notifications=dramatiq.Actor(
            send_notifications,
            broker=broker,
            actor_name="send_notifications",
            queue_name=settings.queue_name,
            priority=0,
            options=options,
        ),
        publish_feed=dramatiq.Actor(
            publish_feed,
            broker=broker,
            actor_name="publish_feed",
            queue_name=settings.queue_name,
            priority=10,
            options=options,
        ),
    )


def nudge_batches(notification_ids: Sequence[int]) -> Iterator[list[int]]:
    """Split due notifications into the batches one ``send_notifications`` message carries."""
    for start in range(0, len(notification_ids), BATCH):
        yield list(notification_ids[start : start + BATCH])
