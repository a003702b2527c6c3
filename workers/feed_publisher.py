"""Publish feeds: build one feed's bytes and write them into the feeds directory.

The publishing actor calls :meth:`FeedPublisher.publish` with a feed id; the web calls
:meth:`FeedPublisher.publish_on_request` for a feed never published yet. Both share one
:class:`~calendars.feed.EventCache` per process, so in the embedded deployment the web's
first build warms the workers' cache and the other way round.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session

from calendars.feed import EventCache
from models.core.base import utcnow
from models.core.settings import Settings
from models.feeds.marks import (
    claim_feed,
    finish_publishing,
    latest_change_id,
    mark_stale_feeds,
    release_dirty_feeds,
    release_feed,
    renew_feed_claim,
)
from models.feeds.tokens import FeedToken, feed_for_token, live_feeds, token_of
from models.overview.feed import build_feed_bytes
from models.overview.feed_scopes import scope_of_feed
from workers.feed_store import FeedStore

__all__ = ["STALE_AFTER", "FeedPublisher"]

log = logging.getLogger(__name__)

#: A feed is rebuilt at least this often, as time moves meetings out of it.
STALE_AFTER = timedelta(hours=6)


@dataclass
class FeedPublisher:
    """Builds and writes the feeds of one deployment."""

    settings: Settings
    engine: Engine
    store: FeedStore
    cache: EventCache = field(default_factory=EventCache)
    #: How many feeds this process has built (the tests count rebuilds with it).
    builds: int = 0

    def publish(self, feed_id: int) -> bool:
        """Rebuild *feed_id* if it is live and no other worker is at it; return whether it
        was built. Idempotent: a repeated message finds nothing left to do and builds nothing.

        The claim is a short lease renewed by a thread of its own while the build lasts, so
        a worker killed mid-build holds the feed only until its lease runs out.
        """
        lease = timedelta(seconds=self.settings.feed_lease_seconds)
        with Session(self.engine, expire_on_commit=False) as session:
            held = claim_feed(session, feed_id, now=utcnow(), lease=lease)
            if held is None:
                # Dropped: the tick releases the feed again once that claim is gone.
                log.info("feed %s: another worker is publishing it", feed_id)
                return False
            claim = _Claim(self.engine, feed_id, held, lease)
            try:
                return self._publish_claimed(session, feed_id, claim)
            except BaseException:
                session.rollback()
                release_feed(session, [feed_id])
                raise
            finally:
                claim.stop()

    def _publish_claimed(self, session: Session, feed_id: int, claim: _Claim) -> bool:
        covered = latest_change_id(session, feed_id)
        feed = session.get(FeedToken, feed_id)
        token = token_of(feed, self.settings.secret_key) if feed is not None else None
        scope = scope_of_feed(session, feed) if feed is not None else None
        if feed is None or feed.revoked_at is not None or token is None or scope is None:
            # Revoked, or its owner is gone: nothing to publish; drop the marks.
            finish_publishing(
                session, feed_id, covered_up_to=covered, now=utcnow(), held=claim.held
            )
            if token is not None:
                self.store.remove([token])
            log.info("feed %s: not live, nothing published", feed_id)
            return False
        if covered is None and feed.published_at is not None and self.store.path(token).exists():
            # A repeated message (the first one's worker published already): nothing changed.
            finish_publishing(session, feed_id, covered_up_to=None, now=utcnow(), held=claim.held)
            log.info("feed %s: no change since it was published", feed_id)
            return False
        body = build_feed_bytes(session, self.settings, scope, self.cache)
        self.builds += 1
        if not claim.renew():
            # Paused past the lease: another worker has the feed now and writes it.
            log.warning("feed %s: claim lost during the build, nothing written", feed_id)
            return False
        written = self.store.publish(token, body)
        finish_publishing(session, feed_id, covered_up_to=covered, now=utcnow(), held=claim.held)
        # A rotation that committed while we built must not leave the old file behind: it
        # removes the file after committing, we check after writing, so one of us removes it.
        session.expire_all()
        if not self._still_live(session, feed_id):
            self.store.remove([token])
            return False
        log.info("feed %s: published %s bytes%s", feed_id, len(body), "" if written else " (same)")
        return True

    def _still_live(self, session: Session, feed_id: int) -> bool:
        feed = session.get(FeedToken, feed_id)
        live = feed is not None and feed.revoked_at is None
        return live and feed is not None and scope_of_feed(session, feed) is not None

    def publish_on_request(self, token: str) -> bytes | None:
        """Publish *token*'s feed now (a first request) and return its bytes; None if the
        token opens no live feed. If another worker is writing it this very moment, the bytes
        are built here too, for this one answer."""
        with Session(self.engine, expire_on_commit=False) as session:
            feed = feed_for_token(session, token)
            if feed is None or feed.id is None:
                return None
            feed_id = feed.id
            if not self.publish(feed_id):
                scope = scope_of_feed(session, feed)
                if scope is None:
                    return None
                return build_feed_bytes(session, self.settings, scope, self.cache)
        try:
            return self.store.path(token).read_bytes()
        except FileNotFoundError:  # rotated in the meantime
            return None

    def due(self) -> list[int]:
        """Return the feeds the scheduler should hand to workers now; sweep dead files."""
        now = utcnow()
        debounce = timedelta(seconds=self.settings.feed_debounce_seconds)
        with Session(self.engine, expire_on_commit=False) as session:
            mark_stale_feeds(session, now=now, max_age=STALE_AFTER)
            feed_ids = release_dirty_feeds(
                session,
                now=now,
                debounce=debounce,
                lease=timedelta(seconds=self.settings.feed_lease_seconds),
            )
            known_at = time.time()
            live = {token_of(feed, self.settings.secret_key) for feed in live_feeds(session)}
        self.store.sweep({t for t in live if t is not None}, known_at=known_at)
        return feed_ids


class _Claim:
    """A worker's claim on one feed, renewed every third of its lease while the build lasts."""

    def __init__(self, engine: Engine, feed_id: int, held: datetime, lease: timedelta) -> None:
        self.engine = engine
        self.feed_id = feed_id
        self.held: datetime | None = held
        self.lease = lease
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"birge-feed-{feed_id}")
        self._thread.daemon = True
        self._thread.start()

    def renew(self) -> bool:
        """Extend the claim now; False if it is no longer ours."""
        with self._lock:
            if self.held is None:
                return False
            try:
                with Session(self.engine) as session:
                    self.held = renew_feed_claim(
                        session, self.feed_id, held=self.held, now=utcnow(), lease=self.lease
                    )
            except Exception as exc:  # the database is away: the claim may lapse, nothing is lost
                log.warning("feed %s: could not renew the claim (%s)", self.feed_id, exc)
                return True
            return self.held is not None

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self.lease.total_seconds() / 3):
            if not self.renew():
                return
