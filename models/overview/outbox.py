"""What administrators see of the outbox, and what they may do: failed and long-pending
emails, their count for the chair's dashboard, retrying them, and the figures for metrics.

A district's administrators and chair see their own district's emails only: each email is
written with the district whose business it is (``Notification.district_id``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlmodel import Session, col

from models.core.audit import record_event
from models.core.errors import Refused
from models.outbox.notifications import UNSENT, Notification, NotificationStatus
from models.people.access import administers_district, agency_of
from models.people.tables import District, Role, User

__all__ = [
    "COUNTED",
    "OutboxError",
    "OutboxSnapshot",
    "Undelivered",
    "may_retry_emails",
    "outbox_snapshot",
    "retry_notifications",
    "troubled_notifications",
    "undelivered",
    "warned_of_undelivered_emails",
]


class OutboxError(Refused):
    """The user may not act on the outbox."""


#: The statuses /metrics counts per district: those still to be sent, or given up. Sent and
#: voided rows are the bulk of the table and only grow; the workers' counters tell their rate.
COUNTED = (
    NotificationStatus.PENDING.value,
    NotificationStatus.SENDING.value,
    NotificationStatus.FAILED.value,
)


@dataclass(frozen=True)
class OutboxSnapshot:
    #: (district id, or None for a row of no district, status) to how many emails.
    by_district: dict[tuple[int | None, str], int]
    oldest_due_age: timedelta
    #: Per district: pending emails whose last attempt failed (the mail server away or refusing).
    retrying: dict[int | None, int]


@dataclass(frozen=True)
class Undelivered:
    """What the chair's home page says of emails not delivered."""

    #: Failed for good, long unsent, or retrying after a failed attempt.
    count: int
    #: Of those, the ones still being retried.
    retrying: int


def _retrying() -> ColumnElement[bool]:
    """A pending email whose attempt failed: told at once, not after ``stuck_after``."""
    n = Notification
    return and_(col(n.status) == NotificationStatus.PENDING.value, col(n.attempts) > 0)


def _troubled(now: datetime, stuck_after: timedelta) -> ColumnElement[bool]:
    n = Notification
    return or_(
        col(n.status) == NotificationStatus.FAILED.value,
        and_(col(n.status).in_(UNSENT), col(n.created_at) <= now - stuck_after),
        _retrying(),
    )


def _readers_district(session: Session, reader: User) -> ColumnElement[bool]:
    """The emails of *reader*'s district."""
    return col(Notification.district_id) == agency_of(session, reader).district_id


def troubled_notifications(
    session: Session, reader: User, *, now: datetime, stuck_after: timedelta, limit: int = 200
) -> Sequence[Notification]:
    """Return the failed notifications of *reader*'s district and those unsent for longer
    than *stuck_after*, oldest first."""
    return list(
        session.scalars(
            select(Notification)
            .where(_readers_district(session, reader), _troubled(now, stuck_after))
            .order_by(col(Notification.created_at), col(Notification.id))
            .limit(limit)
        )
    )


def undelivered(
    session: Session, reader: User, *, now: datetime, stuck_after: timedelta
) -> Undelivered:
    """Count the emails of *reader*'s district that the home page warns of, and those of them
    still retried."""
    count, retrying = session.execute(
        select(func.count(), func.count().filter(_retrying()))
        .select_from(Notification)
        .where(_readers_district(session, reader), _troubled(now, stuck_after))
    ).one()
    return Undelivered(count=int(count or 0), retrying=int(retrying or 0))


def may_retry_emails(user: User) -> bool:
    """Tell whether *user* may see the emails not delivered and retry them: the district's
    administrators."""
    return administers_district(user)


def warned_of_undelivered_emails(user: User) -> bool:
    """Tell whether the home page tells *user* how many emails were not delivered: the chair and
    administrators."""
    return user.active and Role(user.role).sees_district


def retry_notifications(
    session: Session, user: User, *, now: datetime, ids: Sequence[int] | None = None
) -> list[int]:
    """Give failed notifications of *user*'s district (*ids*, or all of them) a fresh set of
    attempts now.

    Returns the ids to nudge. Writes an audit event; nothing is committed.

    Raises:
      OutboxError: *user* is not an administrator.
    """
    if not may_retry_emails(user):
        raise OutboxError("Only administrators may retry emails.")
    n = Notification
    query = select(col(n.id)).where(
        col(n.status) == NotificationStatus.FAILED.value, _readers_district(session, user)
    )
    if ids is not None:
        query = query.where(col(n.id).in_(list(ids)))
    chosen = [int(i) for i in session.scalars(query.order_by(col(n.id))) if i is not None]
    if not chosen:
        return []
    session.execute(
        update(n)
        .where(col(n.id).in_(chosen), col(n.status) == NotificationStatus.FAILED.value)
        .values(
            status=NotificationStatus.PENDING.value,
            attempts=0,
            next_attempt_at=now,
            nudged_at=None,
            lease_until=None,
        ),
        execution_options={"synchronize_session": False},
    )
    record_event(
        session,
        user_id=user.id,
        action="notification.retried",
        object_type="notification",
        object_id=chosen[0] if len(chosen) == 1 else None,
        detail=f"count={len(chosen)}",
        at=now,
    )
    return chosen


def outbox_snapshot(session: Session, *, now: datetime) -> OutboxSnapshot:
    """Count the unsent and failed notifications per district and status (every district
    appears, with zeros), those retrying per district, and find the age of the oldest due,
    unsent one. Reads the rows of the :data:`COUNTED` statuses only, by index."""
    n = Notification
    districts: list[int | None] = [*session.scalars(select(col(District.id)))]
    by_district: dict[tuple[int | None, str], int] = {
        (d, status): 0 for d in districts for status in COUNTED
    }
    retrying: dict[int | None, int] = dict.fromkeys(districts, 0)
    for district_id, status, count, failing in session.execute(
        select(col(n.district_id), col(n.status), func.count(), func.count().filter(_retrying()))
        .where(col(n.status).in_(COUNTED))
        .group_by(col(n.district_id), col(n.status))
    ):
        by_district[(district_id, str(status))] = int(count)
        retrying[district_id] = retrying.get(district_id, 0) + int(failing)
    oldest = session.scalar(
        select(func.min(col(n.next_attempt_at))).where(
            col(n.status) == NotificationStatus.PENDING.value, col(n.next_attempt_at) <= now
        )
    )
    expired = session.scalar(
        select(func.min(col(n.lease_until))).where(
            col(n.status) == NotificationStatus.SENDING.value, col(n.lease_until) < now
        )
    )
    moments = [m for m in (oldest, expired) if m is not None]
    if moments:
        earliest = min(m if m.tzinfo else m.replace(tzinfo=now.tzinfo) for m in moments)
        age = max(now - earliest, timedelta(0))
    else:
        age = timedelta(0)
    return OutboxSnapshot(by_district=by_district, oldest_due_age=age, retrying=retrying)
