"""The notifications outbox: every email is a row first, sent by a worker later.

A row is written in the same transaction as the change that causes it, under a unique dedupe
key, so that nothing is lost when the broker drops a message and nothing is sent twice when
one change is processed twice. Workers :func:`claim` a row under a lease before sending it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import String, Text, and_, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlmodel import Field, Session, SQLModel, col

from models.base import utc_field, utcnow

__all__ = [
    "Notification",
    "NotificationStatus",
    "add_notification",
    "claim",
    "due_notification_ids",
    "mark_failed_attempt",
    "mark_sent",
    "retry_delay",
]


class NotificationStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class Notification(SQLModel, table=True):
    """One email to one recipient, with an optional iCalendar part."""

    __tablename__ = "notification"

    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str = Field(sa_type=String(200), unique=True)
    user_id: int | None = Field(default=None, foreign_key="user_account.id", index=True)
    recipient: str = Field(sa_type=String(254))
    locale: str = Field(default="ru", sa_type=String(8))
    subject: str = Field(sa_type=String(300))
    body: str = Field(sa_type=Text)
    ics: str | None = Field(default=None, sa_type=Text)
    ics_method: str | None = Field(default=None, sa_type=String(16))
    status: str = Field(default=NotificationStatus.PENDING.value, sa_type=String(16), index=True)
    attempts: int = Field(default=0)
    next_attempt_at: datetime = utc_field(default_factory=utcnow, index=True)
    lease_until: datetime | None = utc_field(default=None, nullable=True)
    last_error: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = utc_field(default_factory=utcnow)
    sent_at: datetime | None = utc_field(default=None, nullable=True)


def add_notification(
    session: Session,
    *,
    dedupe_key: str,
    recipient: str,
    subject: str,
    body: str,
    locale: str,
    user_id: int | None = None,
    ics: bytes | None = None,
    ics_method: str | None = None,
    now: datetime | None = None,
    grace: timedelta = timedelta(seconds=60),
) -> Notification | None:
    """Add a notification to *session* unless one with *dedupe_key* exists already.

    ``next_attempt_at`` is set *grace* after now: the web nudges a worker at once, and the
    scheduler's tick only picks the row up if that nudge did not lead to a send by then.
    """
    exists = session.execute(
        select(col(Notification.id)).where(col(Notification.dedupe_key) == dedupe_key)
    ).first()
    if exists is not None:
        return None
    now = now or utcnow()
    notification = Notification(
        dedupe_key=dedupe_key,
        user_id=user_id,
        recipient=recipient,
        locale=locale,
        subject=subject,
        body=body,
        ics=ics.decode("utf-8") if ics is not None else None,
        ics_method=ics_method,
        created_at=now,
        next_attempt_at=now + grace,
    )
    session.add(notification)
    return notification


def claim(
    session: Session, notification_id: int, *, now: datetime, lease: timedelta
) -> Notification | None:
    """Lease the notification to the caller, or return None if it is not claimable.

    Claimable are pending rows never tried or whose retry time has come, and rows whose
    previous claimant's lease expired (a worker that died mid-send). The conditional UPDATE
    makes two workers racing for one row end with exactly one winner. Commits.
    """
    n = Notification
    result = session.execute(
        update(n)
        .where(
            col(n.id) == notification_id,
            or_(
                and_(
                    col(n.status) == NotificationStatus.PENDING.value,
                    or_(col(n.attempts) == 0, col(n.next_attempt_at) <= now),
                ),
                and_(col(n.status) == NotificationStatus.SENDING.value, col(n.lease_until) < now),
            ),
        )
        .values(
            status=NotificationStatus.SENDING.value,
            lease_until=now + lease,
            attempts=col(n.attempts) + 1,
        )
    )
    session.commit()
    if cast("CursorResult[Any]", result).rowcount != 1:
        return None
    notification = session.get(Notification, notification_id, populate_existing=True)
    return notification


def mark_sent(session: Session, notification: Notification, *, now: datetime) -> None:
    """Record a successful send. Commits."""
    notification.status = NotificationStatus.SENT.value
    notification.sent_at = now
    notification.lease_until = None
    notification.last_error = None
    session.add(notification)
    session.commit()


def retry_delay(attempts: int) -> timedelta:
    """Back off exponentially from 30 seconds to at most an hour."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


def mark_failed_attempt(
    session: Session,
    notification: Notification,
    *,
    error: str,
    now: datetime,
    max_attempts: int,
) -> None:
    """Record a failed send: retry later, or give up as ``failed`` after *max_attempts*. Commits."""
    notification.last_error = error[:2000]
    notification.lease_until = None
    if notification.attempts >= max_attempts:
        notification.status = NotificationStatus.FAILED.value
    else:
        notification.status = NotificationStatus.PENDING.value
        notification.next_attempt_at = now + retry_delay(notification.attempts)
    session.add(notification)
    session.commit()


def due_notification_ids(session: Session, *, now: datetime, limit: int = 500) -> Sequence[int]:
    """Return the ids the scheduler should nudge: due retries and expired leases."""
    n = Notification
    pending_due = and_(
        col(n.status) == NotificationStatus.PENDING.value, col(n.next_attempt_at) <= now
    )
    lease_expired = and_(
        col(n.status) == NotificationStatus.SENDING.value, col(n.lease_until) < now
    )
    rows = session.scalars(
        select(col(n.id))
        .where(or_(pending_due, lease_expired))
        .order_by(col(n.next_attempt_at), col(n.id))
        .limit(limit)
    )
    return [row for row in rows if row is not None]
