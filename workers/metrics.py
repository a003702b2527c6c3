"""Prometheus metrics: what this process did (sends, failures, ticks) and what the outbox
holds (read from the database when scraped).

Each process counts its own work in its own registry: ``birge run`` serves everything on
``GET /metrics``; ``birge worker`` and ``birge scheduler`` serve theirs with
``--metrics-port``. The outbox gauges come from the database, so any one process shows them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.engine import Engine
from sqlmodel import Session

from models.core.base import utcnow
from models.overview.outbox import outbox_snapshot

__all__ = ["Metrics", "OutboxCollector", "exposition"]


class Metrics:
    """The counters of one process, in a registry of its own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.sends = Counter(
            "birge_notification_sends", "Emails handed to the mail server.", registry=self.registry
        )
        self.failures = Counter(
            "birge_notification_send_failures",
            "Attempts to send an email that failed (each is retried, up to the limit).",
            registry=self.registry,
        )
        self.voided = Counter(
            "birge_notifications_voided",
            "Emails not sent because what they announced changed (e.g. a cancelled meeting).",
            registry=self.registry,
        )
        self.planned = Counter(
            "birge_notifications_planned",
            "Emails the scheduler's tick wrote (reminders).",
            registry=self.registry,
        )
        self.nudges = Counter(
            "birge_notification_nudges",
            "Messages the scheduler's tick published for due emails.",
            registry=self.registry,
        )
        self.tick_duration = Histogram(
            "birge_scheduler_tick_duration_seconds",
            "How long one scheduler tick took.",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )


class OutboxCollector(Collector):
    """Gauges of the outbox, read from the database at each scrape."""

    def __init__(
        self, engine: Engine, dead_letters: Callable[[], int | None] | None = None
    ) -> None:
        self.engine = engine
        self.dead_letters = dead_letters

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = utcnow()
        with Session(self.engine) as session:
            snapshot = outbox_snapshot(session, now=now)
        by_status = GaugeMetricFamily(
            "birge_notifications",
            "Emails to be sent, being sent or given up, by district and status.",
            labels=["district", "status"],
        )
        for (district, status), count in sorted(snapshot.by_district.items(), key=_by_label):
            by_status.add_metric([_label(district), status], count)
        yield by_status
        yield GaugeMetricFamily(
            "birge_notification_oldest_due_age_seconds",
            "Age of the oldest notification that is due and not sent (0 when none).",
            value=snapshot.oldest_due_age.total_seconds(),
        )
        retrying = GaugeMetricFamily(
            "birge_notifications_retrying",
            "Emails waiting to be retried after a failed attempt (the mail server away or "
            "refusing), by district; above 0 means mail is not flowing.",
            labels=["district"],
        )
        for district, count in sorted(snapshot.retrying.items(), key=lambda i: _label(i[0])):
            retrying.add_metric([_label(district)], count)
        yield retrying
        dead = self.dead_letters() if self.dead_letters is not None else None
        if dead is not None:  # left out when the broker does not answer: no false zero
            yield GaugeMetricFamily(
                "birge_dead_letter_messages",
                "Messages in the broker's dead-letter queue (actors that failed for good; "
                "nothing reads them, so anything above 0 needs a look).",
                value=dead,
            )


def _label(district_id: int | None) -> str:
    """A district's label: its id ("none" for the rows of no district)."""
    return "none" if district_id is None else str(district_id)


def _by_label(item: tuple[tuple[int | None, str], int]) -> tuple[str, str]:
    (district, status), _count = item
    return _label(district), status


def exposition(
    engine: Engine, metrics: Metrics, dead_letters: Callable[[], int | None] | None = None
) -> bytes:
    """Return the Prometheus text of ``GET /metrics``: the outbox gauges read from *engine*'s
    database now (and the dead-letter count *dead_letters* reads from the broker), then the
    counters of *metrics* (this process's)."""
    outbox = CollectorRegistry(auto_describe=False)
    outbox.register(OutboxCollector(engine, dead_letters))
    return generate_latest(outbox) + generate_latest(metrics.registry)
