"""The actors: thin, idempotent, declared on an explicit broker.

An actor takes ids, loads rows, calls a domain operation and performs one side effect.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import dramatiq
from dramatiq import Broker
from sqlalchemy.engine import Engine
from sqlmodel import Session

from models.base import utcnow
from models.notifications import claim, mark_failed_attempt, mark_sent, mark_voided
from models.reminders import why_not_send
from models.settings import Settings
from workers.feed_publisher import FeedPublisher
from workers.leases import LeaseKeeper
from workers.mail import Mailer, MailError, build_message
from workers.metrics import Metrics

__all__ = ["Actors", "declare_actors", "deliver_notification"]

log = logging.getLogger(__name__)

#: Well under RabbitMQ's 30-minute consumer_timeout, after which it would requeue the message.
_TIME_LIMIT_MS = 2 * 60 * 1000


@dataclass(frozen=True)
class Actors:
    """The actors declared on one broker."""

    send_notification: dramatiq.Actor[[int], None]
    publish_feed: dramatiq.Actor[[int], None]


def deliver_notification(
    settings: Settings,
    engine: Engine,
    mailer: Mailer,
    notification_id: int,
    *,
    leases: LeaseKeeper | None = None,
    metrics: Metrics | None = None,
) -> bool:
    """Claim the notification, check it is still wanted, send it and record the outcome;
    return whether it was sent.

    A notification already sent, failed, voided, or leased to another worker is left alone,
    which is what makes a repeated message harmless. The claim's short lease is renewed by
    *leases* while the send lasts.
    """
    with Session(engine, expire_on_commit=False) as session:
        lease = timedelta(seconds=settings.notification_lease_seconds)
        notification = claim(session, notification_id, now=utcnow(), lease=lease)
        if notification is None:
            log.info("notification %s: not claimable, nothing to send", notification_id)
            return False
        reason = why_not_send(session, notification, now=utcnow())
        if reason is not None:
            mark_voided(session, notification, reason=reason)
            if metrics is not None:
                metrics.voided.inc()
            log.info("notification %s: voided (%s)", notification_id, reason)
            return False
        message = build_message(notification, mail_from=settings.mail_from)
        try:
            if leases is not None:
                with leases.held(notification_id, notification.attempts):
                    mailer.send(message)
            else:
                mailer.send(message)
        except MailError as exc:
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
                notification_id,
                notification.attempts,
                type(exc.__cause__).__name__,
                notification.status,
            )
            return False
        mark_sent(session, notification, now=utcnow())
        if metrics is not None:
            metrics.sends.inc()
        log.info("notification %s: sent", notification_id)
        return True


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

    def send_notification(notification_id: int) -> None:
        deliver_notification(
            settings, engine, mailer, notification_id, leases=leases, metrics=metrics
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
        send_notification=dramatiq.Actor(
            send_notification,
            broker=broker,
            actor_name="send_notification",
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
