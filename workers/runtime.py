"""Assemble and run the background side of one process: broker, actors, workers, tick."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

import dramatiq
from dramatiq import Broker
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from models.core.base import utcnow
from models.core.db import make_engine
from models.core.marks import install_change_marks
from models.core.settings import Settings
from models.outbox.notifications import due_notification_ids, record_nudges
from models.tick import plan_due, prune_old_rows
from workers.actors import Actors, declare_actors, nudge_batches
from workers.broker import (
    broker_reachable,
    build_broker,
    close_broker,
    dead_letter_count,
    keep_alive,
    quiet_consumer_logs,
)
from workers.feed_publisher import FeedPublisher
from workers.feed_store import FeedStore
from workers.leases import LeaseKeeper
from workers.mail import Mailer, make_mailer
from workers.metrics import Metrics, exposition

__all__ = [
    "Runtime",
    "build_runtime",
    "run_scheduler",
    "start_worker",
    "tick",
    "tick_feeds",
    "worker_engine",
]

#: How often an idle scheduler services its broker connection (heartbeats, loss detection).
_KEEP_ALIVE_SECONDS = 5.0
_NUDGE_BATCH = 500
_MAX_NUDGE_BATCHES = 40
#: How often an idle scheduler looks for rows past their retention (a backlog: every tick).
_PRUNE_EVERY = 600.0

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """What the web and the workers of one process share."""

    settings: Settings
    engine: Engine
    broker: Broker
    actors: Actors
    mailer: Mailer
    leases: LeaseKeeper
    feeds: FeedPublisher
    metrics: Metrics = field(default_factory=Metrics)
    #: When (time.monotonic) the tick next prunes the tables that only grow.
    next_prune_at: float = 0.0

    def nudge(self, notification_ids: Iterable[int]) -> None:
        """Ask the workers to send these committed notifications.

        A lost nudge loses nothing: if the broker is down or blocked the rows stay pending
        and the scheduler's tick resends them, so this logs a warning and stops.
        """
        actor = self.actors.send_notifications
        for batch in nudge_batches(list(notification_ids)):
            try:
                actor.send(batch)
            except Exception as exc:  # the broker is down or blocked: the outbox rows stay pending
                log.warning(
                    "could not enqueue %s notifications (%s); the tick will retry",
                    len(batch),
                    type(exc).__name__,
                )
                return

    def answer_reset_requests(self) -> None:
        """Ask a worker to answer the committed password-reset requests (a lost message only
        delays them until the tick)."""
        try:
            self.actors.answer_reset_requests.send()
        except Exception as exc:  # the broker is down or blocked: the requests wait
            log.warning(
                "could not enqueue the reset requests (%s); the tick will answer them",
                type(exc).__name__,
            )

    def broker_reachable(self) -> bool:
        """Tell whether the broker accepts a connection now (always true for the stub)."""
        return broker_reachable(self.settings.broker_url)

    def metrics_exposition(self) -> bytes:
        """Return the Prometheus text of ``GET /metrics``: the outbox, read from the database
        now, and this process's counters."""
        settings = self.settings
        return exposition(
            self.engine,
            self.metrics,
            partial(dead_letter_count, self.broker, settings.broker_url, settings.queue_name),
        )

    def close(self) -> None:
        """Close the broker's connections and the mail connections (at shutdown)."""
        self.leases.stop()
        close_broker(self.broker)
        self.mailer.close()


def build_runtime(settings: Settings, engine: Engine | None = None) -> Runtime:
    """Build the engine (unless given), the broker, the mailer and the actors. Connects to
    nothing yet: RabbitMQ connections open on first use, one per thread. Installs the change
    marks, so that what this process commits shows on the portal's next page view."""
    install_change_marks()
    engine = engine or make_engine(settings.database_url, timeouts=settings.database_timeouts)
    broker = build_broker(settings.broker_url)
    mailer = make_mailer(settings.smtp)
    leases = LeaseKeeper(engine, timedelta(seconds=settings.notification_lease_seconds))
    metrics = Metrics()
    feeds = FeedPublisher(settings, engine, FeedStore(settings.feeds_path))
    actors = declare_actors(
        broker, settings, engine, mailer, feeds=feeds, leases=leases, metrics=metrics
    )
    return Runtime(
        settings=settings,
        engine=engine,
        broker=broker,
        actors=actors,
        mailer=mailer,
        leases=leases,
        feeds=feeds,
        metrics=metrics,
    )


def worker_engine(settings: Settings, threads: int) -> Engine:
    """The engine of a worker process with *threads* threads: a pooled connection for each
    thread's batch and each feed build's claim renewal, plus the lease keeper's, so that no
    thread waits for a connection while its claims lapse."""
    return make_engine(
        settings.database_url, timeouts=settings.database_timeouts, pool_size=2 * threads + 2
    )


def start_worker(runtime: Runtime, threads: int = 4) -> dramatiq.Worker:
    """Start Dramatiq worker threads consuming this runtime's queue."""
    quiet_consumer_logs(runtime.settings.queue_name)
    worker = dramatiq.Worker(
        runtime.broker, queues={runtime.settings.queue_name}, worker_threads=threads
    )
    worker.start()
    return worker


def tick(runtime: Runtime, *, now: datetime | None = None) -> int:
    """Plan what is due, then nudge the workers for every notification that is due and not
    in flight; return how many were nudged.

    The database says what is due, so a lost broker message, a restarted broker or a second
    scheduler only changes timing. A row nudged less than ``notification_grace_seconds`` ago
    is not nudged again: its message is still on its way (or the workers are down, and a
    pile of repeated nudges would only delay them when they return).
    """
    started = time.perf_counter()
    now = now or utcnow()
    settings = runtime.settings
    grace = timedelta(seconds=settings.notification_grace_seconds)
    keep_alive(runtime.broker)
    nudged = 0
    with Session(runtime.engine) as session:
        planned = plan_due(session, settings, now=now)
        session.commit()
        # Batches of 500, so that a backlog goes out in one tick rather than 500 per tick.
        for _ in range(_MAX_NUDGE_BATCHES):
            due = due_notification_ids(session, now=now, nudge_grace=grace, limit=_NUDGE_BATCH)
            # Recorded only once published: a scheduler killed in between leaves the rows for
            # the next tick rather than waiting out the grace for a nudge never sent.
            ids = record_nudges(session, due, now=now, nudge_grace=grace, commit=False)
            for batch in nudge_batches(ids):
                runtime.actors.send_notifications.send(batch)
            session.commit()
            nudged += len(ids)
            if len(due) < _NUDGE_BATCH:
                break
    tick_feeds(runtime)
    prune(runtime, now=now)
    if planned or nudged:
        log.info("tick: planned %s, nudged %s notifications", planned, nudged)
    runtime.metrics.planned.inc(planned)
    runtime.metrics.nudges.inc(nudged)
    runtime.metrics.tick_duration.observe(time.perf_counter() - started)
    return nudged


def prune(runtime: Runtime, *, now: datetime) -> None:
    """Delete a batch of each only-growing table's rows past their retention, every
    ``_PRUNE_EVERY`` seconds, or at every tick while a backlog lasts."""
    if time.monotonic() < runtime.next_prune_at:
        return
    batch = runtime.settings.prune_batch
    with Session(runtime.engine) as session:
        more = prune_old_rows(session, runtime.settings, now=now, batch=batch)
    runtime.next_prune_at = time.monotonic() + (0 if more else _PRUNE_EVERY)


def tick_feeds(runtime: Runtime) -> int:
    """Hand every feed whose changes have settled to a publishing worker; return how many."""
    feed_ids = runtime.feeds.due()
    for feed_id in feed_ids:
        runtime.actors.publish_feed.send(feed_id)
    if feed_ids:
        log.info("tick: %s feeds to publish", len(feed_ids))
    return len(feed_ids)


def run_scheduler(runtime: Runtime, stop: threading.Event) -> None:
    """Run :func:`tick` every ``tick_seconds`` until *stop* is set; survive a failing tick.

    A database that is away is one warning line when it goes and one when it is back, not a
    traceback per tick. Between ticks the broker connection is serviced every few seconds,
    so it keeps its heartbeats and a lost one is noticed (and reopened) before the next
    publish needs it.
    """
    database_away = False
    while not stop.is_set():
        try:
            tick(runtime)
        except DBAPIError as exc:
            if not database_away:
                log.warning(
                    "tick failed: the database is away (%s); trying at every tick",
                    type(exc.orig or exc).__name__,
                )
            database_away = True
        except Exception:
            log.exception("tick failed; trying again at the next one")
        else:
            if database_away:
                log.warning("tick: the database is back")
            database_away = False
        deadline = time.monotonic() + runtime.settings.tick_seconds
        while not stop.wait(min(_KEEP_ALIVE_SECONDS, max(deadline - time.monotonic(), 0))):
            if time.monotonic() >= deadline:
                break
            keep_alive(runtime.broker)
