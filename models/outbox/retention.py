"""How long sent and voided emails are kept: 90 days, then the scheduler's tick deletes them
in bounded batches (:func:`models.tick.prune_old_rows`). Unsent rows (pending, being sent,
failed) are never pruned: an administrator may still retry them."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_
from sqlmodel import Session, col

from models.core.db import delete_batch
from models.outbox.notifications import Notification, NotificationStatus

__all__ = ["EMAIL_RETENTION", "prune_notifications"]

#: A sent or voided email is kept this long (the outbox page, the audit of what went out).
EMAIL_RETENTION = timedelta(days=90)


def prune_notifications(
    session: Session, *, now: datetime, limit: int, keep: ColumnElement[bool] | None = None
) -> int:
    """Delete up to *limit* emails sent, or voided, over 90 days ago, except those *keep*
    names (the planners' rows that still matter); return how many. Commits."""
    before = now - EMAIL_RETENTION
    n = Notification
    old = or_(
        and_(col(n.status) == NotificationStatus.SENT.value, col(n.sent_at) < before),
        and_(col(n.status) == NotificationStatus.VOIDED.value, col(n.created_at) < before),
    )
    conditions = [old] if keep is None else [old, ~keep]
    return delete_batch(session, n, *conditions, limit=limit)
