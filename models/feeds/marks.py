"""Feed dirty marks: the outbox pattern for publishing feeds.

A change that shows in a feed calls :func:`mark_feeds_dirty` in its own transaction; that
inserts one row per live feed concerned (insert only: concurrent changes never wait on each
other). The scheduler's tick :func:`release_dirty_feeds` once their oldest mark is older than
the debounce, so a burst of changes becomes one rebuild; the publishing actor
:func:`claim_feed`\\ s the feed, rebuilds it and :func:`finish_publishing` deletes the marks it
has covered. Marks that arrive during a rebuild stay for the next round.

A claim is a short lease (``BIRGE_FEED_LEASE_SECONDS``) that the building worker renews
(:func:`renew_feed_claim`) while it builds; the claim's end moment is its fencing token, so a
worker whose claim lapsed and was taken by another renews, writes and finishes nothing. When a
worker dies, its claim lapses within the lease and the next tick releases the feed again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import and_, case, delete, func, insert, literal, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlmodel import Field, Session, SQLModel, col

from models.core.base import UTCDateTime, utc_field, utcnow
from models.feeds.tokens import FeedToken

__all__ = [
    "PUBLISH_LEASE",
    "FeedChange",
    "claim_feed",
    "finish_publishing",
    "latest_change_id",
    "mark_feeds_dirty",
    "mark_stale_feeds",
    "release_dirty_feeds",
    "release_feed",
    "renew_feed_claim",
]

#: How long a released mark, or a worker's claim on a feed, stands before it is retried
#: (the default of ``BIRGE_FEED_LEASE_SECONDS``).
PUBLISH_LEASE = timedelta(seconds=20)


class FeedChange(SQLModel, table=True):
    """One change that a live feed has not yet been rebuilt for."""

    __tablename__ = "feed_change"

    id: int | None = Field(default=None, primary_key=True)
    feed_id: int = Field(foreign_key="feed_token.id", index=True, ondelete="CASCADE")
    marked_at: datetime = utc_field(default_factory=utcnow)
    released_at: datetime | None = utc_field(default=None, nullable=True)


def mark_feeds_dirty(
    session: Session,
    *,
    agency_ids: Iterable[int | None] = (),
    user_ids: Iterable[int | None] = (),
    now: datetime | None = None,
) -> None:
    """Mark the live feeds of these agencies and people as changed, in the caller's transaction.

    Owners without a live token have nothing published; their feed is built on its first
    request, so they get no mark.
    """
    agencies = sorted({a for a in agency_ids if a is not None})
    people = sorted({u for u in user_ids if u is not None})
    if not agencies and not people:
        return
    owners = []
    if agencies:
        owners.append(col(FeedToken.agency_id).in_(agencies))
    if people:
        owners.append(col(FeedToken.user_id).in_(people))
    marked_at = literal(now or utcnow(), UTCDateTime())
    live = select(col(FeedToken.id), marked_at).where(
        col(FeedToken.revoked_at).is_(None), or_(*owners)
    )
    session.execute(
        insert(FeedChange).from_select([col(FeedChange.feed_id), col(FeedChange.marked_at)], live)
    )


def release_dirty_feeds(
    session: Session, *, now: datetime, debounce: timedelta, lease: timedelta = PUBLISH_LEASE
) -> list[int]:
    """Return the feeds to rebuild now and mark their changes released. Commits.

    A feed is due once its oldest waiting change is *debounce* old, and not while a release
    of it is in flight or a worker holds a live claim on it. A release whose message found
    the feed claimed (and was dropped), or whose worker died, is released again once it is a
    *lease* old and no live claim is left: a dead worker's feed waits a lease and a tick.
    """
    c = FeedChange
    waiting = or_(col(c.released_at).is_(None), col(c.released_at) < now - lease)
    in_flight = case((and_(col(c.released_at).is_not(None), col(c.released_at) >= now - lease), 1))
    claimed = (
        select(col(FeedToken.id))
        .where(col(FeedToken.id) == col(c.feed_id), col(FeedToken.publishing_until) >= now)
        .exists()
    )
    due = session.execute(
        select(col(c.feed_id))
        .where(~claimed)
        .group_by(col(c.feed_id))
        .having(func.min(case((waiting, col(c.marked_at)))) <= now - debounce)
        .having(func.count(in_flight) == 0)
        .order_by(col(c.feed_id))
    ).all()
    feed_ids = [row[0] for row in due]
    if feed_ids:
        session.execute(
            update(c).where(col(c.feed_id).in_(feed_ids), waiting).values(released_at=now)
        )
    session.commit()
    return feed_ids


def mark_stale_feeds(session: Session, *, now: datetime, max_age: timedelta) -> int:
    """Mark live feeds published longer than *max_age* ago (time moves events out of a feed:
    old meetings, cancellations kept two weeks). Returns how many. Commits."""
    stale = select(col(FeedToken.id)).where(
        col(FeedToken.revoked_at).is_(None),
        col(FeedToken.published_at) < now - max_age,
        ~select(col(FeedChange.id)).where(col(FeedChange.feed_id) == col(FeedToken.id)).exists(),
    )
    ids = [i for i in session.scalars(stale) if i is not None]
    for feed_id in ids:
        session.add(FeedChange(feed_id=feed_id, marked_at=now - max_age))
    session.commit()
    return len(ids)


def latest_change_id(session: Session, feed_id: int) -> int | None:
    """Return the newest mark of *feed_id*: a rebuild starting now covers it and all before."""
    found = session.scalar(
        select(func.max(col(FeedChange.id))).where(col(FeedChange.feed_id) == feed_id)
    )
    return int(found) if found is not None else None


def claim_feed(
    session: Session, feed_id: int, *, now: datetime, lease: timedelta = PUBLISH_LEASE
) -> datetime | None:
    """Lease *feed_id* to the caller for a rebuild; return the claim (the moment it ends, which
    renewing and finishing must quote), or None if another worker holds it. Commits.

    Two workers writing one feed at once could finish in the wrong order and leave the older
    bytes published; the conditional UPDATE leaves exactly one of them.
    """
    t = FeedToken
    until = now + lease
    result = session.execute(
        update(t)
        .where(
            col(t.id) == feed_id,
            or_(col(t.publishing_until).is_(None), col(t.publishing_until) < now),
        )
        .values(publishing_until=until)
    )
    session.commit()
    return until if cast("CursorResult[Any]", result).rowcount == 1 else None


def renew_feed_claim(
    session: Session, feed_id: int, *, held: datetime, now: datetime, lease: timedelta
) -> datetime | None:
    """Extend the claim *held* on *feed_id*; return the renewed claim, or None if it is no
    longer the caller's (it lapsed and another worker took it, or it was released). Commits."""
    until = now + lease
    result = session.execute(
        update(FeedToken)
        .where(col(FeedToken.id) == feed_id, col(FeedToken.publishing_until) == held)
        .values(publishing_until=until)
    )
    session.commit()
    return until if cast("CursorResult[Any]", result).rowcount == 1 else None


def finish_publishing(
    session: Session,
    feed_id: int,
    *,
    covered_up_to: int | None,
    now: datetime,
    held: datetime | None = None,
) -> None:
    """Record a finished rebuild: drop the marks it covered and give up the claim *held*
    (a claim another worker has taken since is left to it). Commits."""
    if covered_up_to is not None:
        session.execute(
            delete(FeedChange).where(
                col(FeedChange.feed_id) == feed_id, col(FeedChange.id) <= covered_up_to
            )
        )
    mine = col(FeedToken.id) == feed_id
    if held is not None:
        mine = and_(mine, col(FeedToken.publishing_until) == held)
    session.execute(update(FeedToken).where(mine).values(published_at=now, publishing_until=None))
    session.commit()


def release_feed(session: Session, feed_ids: Sequence[int]) -> None:
    """Give up the lease on *feed_ids* after a failed rebuild, so it is retried. Commits."""
    session.execute(
        update(FeedToken).where(col(FeedToken.id).in_(feed_ids)).values(publishing_until=None)
    )
    session.execute(
        update(FeedChange).where(col(FeedChange.feed_id).in_(feed_ids)).values(released_at=None)
    )
    session.commit()
