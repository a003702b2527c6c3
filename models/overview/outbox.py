"""What administrators see of the outbox, and what they may do: failed and long-pending
emails, their count for the chair's dashboard, retrying them, and the figures for metrics."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlmodel import Session, col

from models.core.audit import record_event
from models.core.errors import Refused
from models.outbox.notifications import UNSENT, Notification, NotificationStatus
from models.people.access import administers_district
from models.people.tables import Role, User

__all__ = [
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


@dataclass(frozen=True)
class OutboxSnapshot:
    by_status: dict[str, int]
    oldest_due_age: timedelta
    #: Pending emails whose last attempt failed (the mail server away or refusing).
    retrying: int = 0


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


def troubled_notifications(
    session: Session, *, now: datetime, stuck_after: timedelta, limit: int = 200
) -> Sequence[Notification]:
    """Return failed notifications and those unsent for longer than *stuck_after*, oldest
    first."""
    return list(
        session.scalars(
            select(Notification)
            .where(_troubled(now, stuck_after))
            .order_by(col(Notification.created_at), col(Notification.id))
            .limit(limit)
        )
    )


def undelivered(session: Session, *, now: datetime, stuck_after: timedelta) -> Undelivered:
    """Count the emails the chair's home page warns of, and those of them still retried."""
    count, retrying = session.execute(
        select(func.count(), func.count().filter(_retrying()))
        .select_from(Notification)
        .where(_troubled(now, stuck_after))
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
    """Give failed notifications (*ids*, or all of them) a fresh set of attempts now.

    Returns the ids to nudge. Writes an audit event; nothing is committed.

    Raises:
      OutboxError: *user* is not an administrator.
    """
    if not may_retry_emails(user):
        raise OutboxError("Only administrators may retry emails.")
    n = Notification
    query = select(col(n.id)).where(col(n.status) == NotificationStatus.FAILED.value)
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
    """Count notifications by status and find the age of the oldest due, unsent one."""
    n = Notification
    by_status = {status.value: 0 for status in NotificationStatus}
    for status, count in session.execute(
        select(col(n.status), func.count()).group_by(col(n.status))
    ):
        by_status[str(status)] = int(count)
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
    retrying = session.scalar(select(func.count()).select_from(n).where(_retrying()))
    return OutboxSnapshot(by_status=by_status, oldest_due_age=age, retrying=int(retrying or 0))
