"""The actors: thin, idempotent, declared on an explicit broker.

An actor takes ids, loads rows, calls a domain operation and performs one side effect.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import dramatiq
from dramatiq import Broker
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from models.core.base import utcnow
from models.core.settings import Settings
from models.people.passwords import answer_reset_requests
from workers.delivery import deliver_notifications
from workers.feed_publisher import FeedPublisher
from workers.leases import LeaseKeeper
from workers.mail import Mailer
from workers.metrics import Metrics

__all__ = ["BATCH", "Actors", "declare_actors", "nudge_batches"]

log = logging.getLogger(__name__)

#: Emails per message: enough to spread the fixed cost of a message, a claim and a commit,
#: few enough that a batch is done in well under a second.
BATCH = 20

#: Well under RabbitMQ's 30-minute consumer_timeout, after which it would requeue the message.
_TIME_LIMIT_MS = 10 * 60 * 1000


@dataclass(frozen=True)
class Actors:
    """The actors declared on one broker."""

    #: Takes a list of notification ids: one message per batch of due emails.
    send_notifications: dramatiq.Actor[[list[int]], None]
    publish_feed: dramatiq.Actor[[int], None]
    #: Takes nothing: answers the waiting password-reset requests and sends their links.
    answer_reset_requests: dramatiq.Actor[[], None]


@contextmanager
def _left_to_the_tick(what: str) -> Iterator[None]:
    """Turn a failure of the block into one log line: the scheduler's tick retries *what*."""
    try:
        yield
    except SQLAlchemyError as exc:
        log.warning(
            "%s not done now: the database is away (%s); the tick retries",
            what,
            type(getattr(exc, "orig", None) or exc).__name__,
        )
    except Exception:
        log.exception("%s not done now; the tick retries", what)


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

    # The tick is the retry of every actor: rows not sent stay due (or their claim lapses), a
    # feed not built stays marked changed, a reset request stays waiting. So a failure is one
    # log line and a return (`_left_to_the_tick`), never a message retried by Dramatiq into
    # the dead-letter queue.

    def send_notifications(notification_ids: list[int]) -> None:
        with _left_to_the_tick(f"{len(notification_ids)} notifications"):
            deliver_notifications(
                settings, engine, mailer, notification_ids, leases=leases, metrics=metrics
            )

    def publish_feed(feed_id: int) -> None:
        with _left_to_the_tick(f"feed {feed_id}"):
            feeds.publish(feed_id)

    def answer_reset_requests_now() -> None:
        # The message carries nothing: the addresses stay in the database.
        with _left_to_the_tick("the reset requests"):
            with Session(engine, expire_on_commit=False) as session:
                emails = answer_reset_requests(session, settings, now=utcnow())
                session.commit()
            if emails:
                ids = [n.id for n in emails if n.id is not None]
                deliver_notifications(settings, engine, mailer, ids, leases=leases, metrics=metrics)

    # No Dramatiq retries: the tick retries from what the database says is due, and a
    # message whose retries ran out would sit in the dead-letter queue, where nothing reads it.
    options: dict[str, Any] = {"time_limit": 2 * 60 * 1000, "max_retries": 0}
    send_options: dict[str, Any] = {"time_limit": _TIME_LIMIT_MS, "max_retries": 0}
    return Actors(
        send_notifications=dramatiq.Actor(
            send_notifications,
            broker=broker,
            actor_name="send_notifications",
            queue_name=settings.queue_name,
            priority=0,
            options=send_options,
        ),
        publish_feed=dramatiq.Actor(
            publish_feed,
            broker=broker,
            actor_name="publish_feed",
            queue_name=settings.queue_name,
            priority=10,
            options=options,
        ),
        answer_reset_requests=dramatiq.Actor(
            answer_reset_requests_now,
            broker=broker,
            actor_name="answer_reset_requests",
            queue_name=settings.queue_name,
            priority=0,
            options=options,
        ),
    )


def nudge_batches(notification_ids: Sequence[int]) -> Iterator[list[int]]:
    """Split due notifications into the batches one ``send_notifications`` message carries."""
    for start in range(0, len(notification_ids), BATCH):
        yield list(notification_ids[start : start + BATCH])
