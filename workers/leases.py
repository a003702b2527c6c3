"""Keep the claims of the emails this process is sending alive while the send lasts.

A claim is a short lease (``notification_lease_seconds``, 30 s by default) so that the rows
of a worker killed mid-send are free again within that time; one thread per process renews
the leases of every send in progress every third of the lease, so a slow SMTP server never
makes a live send look dead.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session

from models.core.base import utcnow
from models.outbox.notifications import renew_leases

__all__ = ["LeaseKeeper"]

log = logging.getLogger(__name__)


class LeaseKeeper:
    """Renew the leases of the sends in progress in this process."""

    def __init__(self, engine: Engine, lease: timedelta) -> None:
        self.engine = engine
        self.lease = lease
        self._claims: dict[int, int] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @contextmanager
    def held(self, claims: Mapping[int, int]) -> Iterator[None]:
        """Keep the *claims* (notification id -> attempts) renewed while the block runs."""
        with self._lock:
            self._claims.update(claims)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="birge-lease-keeper", daemon=True
                )
                self._thread.start()
        try:
            yield
        finally:
            with self._lock:
                for notification_id in claims:
                    self._claims.pop(notification_id, None)

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        interval = self.lease.total_seconds() / 3
        while not self._stop.wait(interval):
            with self._lock:
                claims = list(self._claims.items())
            if not claims:
                continue
            try:
                with Session(self.engine) as session:
                    renew_leases(session, claims, now=utcnow(), lease=self.lease)
            except Exception as exc:  # the database is away: the claim may lapse, nothing is lost
                log.warning("could not renew %s leases (%s)", len(claims), type(exc).__name__)
