"""Assemble and run the background side of one process: broker, actors, workers, tick."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

import dramatiq
from dramatiq import Broker
from sqlalchemy.engine import Engine
from sqlmodel import Session

from models.base import utcnow
from models.db import make_engine
from models.notifications import due_notification_ids
from models.settings import Settings
from workers.actors import Actors, declare_actors
from workers.broker import build_broker
from workers.feed_publisher import FeedPublisher
from workers.feed_store import FeedStore
from workers.mail import Mailer, make_mailer

__all__ = ["Runtime", "build_runtime", "run_scheduler", "start_worker", "tick", "tick_feeds"]

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """What the web and the workers of one process share."""

    settings: Settings
    engine: Engine
    broker: Broker
    actors: Actors
    mailer: Mailer
    feeds: FeedPublisher


def build_runtime(settings: Settings, engine: Engine | None = None) -> Runtime:
    """Build the engine (unless given), the broker, the mailer and the actors. Connects to
    nothing yet: RabbitMQ connections open on first use, one per thread."""
    engine = engine or make_engine(settings.database_url)
    broker = build_broker(settings.broker_url)
    mailer = make_mailer(settings.smtp)
    feeds = FeedPublisher(settings, engine, FeedStore(settings.feeds_path))
    actors = declare_actors(broker, settings, engine, mailer, feeds)
    return Runtime(
        settings=settings, engine=engine, broker=broker, actors=actors, mailer=mailer, feeds=feeds
    )


def start_worker(runtime: Runtime, threads: int = 4) -> dramatiq.Worker:
    """Start Dramatiq worker threads consuming this runtime's queue."""
    worker = dramatiq.Worker(
        runtime.broker, queues={runtime.settings.queue_name}, worker_threads=threads
    )
    worker.start()
    return worker


def tick(runtime: Runtime) -> int:
    """Nudge the workers for every notification that is due and not in flight; return how many.

    The database says what is due, so a lost broker message, a restarted broker or a second
    scheduler only changes timing.
    """
    with Session(runtime.engine) as session:
        ids = due_notification_ids(session, now=utcnow())
    for notification_id in ids:
        runtime.actors.send_notification.send(notification_id)
    if ids:
        log.info("tick: nudged %s notifications", len(ids))
    tick_feeds(runtime)
    return len(ids)


def tick_feeds(runtime: Runtime) -> int:
    """Hand every feed whose changes have settled to a publishing worker; return how many."""
    feed_ids = runtime.feeds.due()
    for feed_id in feed_ids:
        runtime.actors.publish_feed.send(feed_id)
    if feed_ids:
        log.info("tick: %s feeds to publish", len(feed_ids))
    return len(feed_ids)


def run_scheduler(runtime: Runtime, stop: threading.Event) -> None:
    """Run :func:`tick` every ``tick_seconds`` until *stop* is set; survive a failing tick."""
    while not stop.is_set():
        try:
            tick(runtime)
        except Exception:
            log.exception("tick failed; trying again at the next one")
        stop.wait(runtime.settings.tick_seconds)
