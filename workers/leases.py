"""Keep the claims of the emails this process is sending alive while the send lasts.

A claim is a short lease (``notification_lease_seconds``, 30 s by default) so that the rows
of a worker killed mid-send are free again within that time. The sending thread extends its
batch's lease before each email (:func:`models.outbox.claims.confirm_and_extend`); one
thread per process also renews, every third of the lease, the claims of every batch in
progress, in one statement, so that a slow SMTP server never makes a live send look dead.
Leases are set by the database's clock, never this process's.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session

from models.outbox.claims import renew_leases

__all__ = ["LeaseKeeper"]

log = logging.getLogger(__name__)


class LeaseKeeper:
    """Renew the leases of the batches being sent in this process, by their claim ids."""

    def __init__(self, engine: Engine, lease: timedelta) -> None:
        self.engine = engine
        self.lease = lease
        #: Claim id -> how many blocks hold it (one batch, one block, in practice).
        self._claims: dict[str, int] = {}
        #: Claims a renewal found holding no row any more: their holders must not mark them.
        self._lost: set[str] = set()
        self._failing = False
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @contextmanager
    def held(self, claim_id: str | None) -> Iterator[None]:
        """Keep the claim *claim_id* renewed while the block runs, and until it ends: a claim
        is dropped only by the batch that made it, never by an older batch of the same rows."""
        if claim_id is None:
            yield
            return
        with self._lock:
            self._claims[claim_id] = self._claims.get(claim_id, 0) + 1
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="birge-lease-keeper", daemon=True
                )
                self._thread.start()
        try:
            yield
        finally:
            with self._lock:
                left = self._claims.pop(claim_id, 1) - 1
                if left > 0:
                    self._claims[claim_id] = left
                else:
                    self._lost.discard(claim_id)

    def lost(self, claim_id: str | None) -> bool:
        """Tell whether a renewal found that *claim_id* holds no row any more."""
        with self._lock:
            return claim_id in self._lost

    def stop(self) -> None:
        self._stop.set()

    def renew(self) -> None:
        """Renew every claim held now, in one statement (the thread does, every third of the
        lease); remember those that hold nothing any more. A failure is logged once per
        outage, not at every try."""
        with self._lock:
            claims = [c for c in self._claims if c not in self._lost]
        if not claims:
            return
        try:
            with Session(self.engine) as session:
                held = renew_leases(session, claims, lease=self.lease)
        except Exception as exc:  # the database is away: the claims may lapse, nothing is lost
            if not self._failing:
                log.warning("could not renew %s leases (%s)", len(claims), type(exc).__name__)
            self._failing = True
            return
        if self._failing:
            log.info("leases renewed again")
        self._failing = False
        gone = set(claims) - held
        if gone:
            with self._lock:
                self._lost.update(c for c in gone if c in self._claims)

    def _run(self) -> None:
        interval = self.lease.total_seconds() / 3
        while not self._stop.wait(interval):
            self.renew()
