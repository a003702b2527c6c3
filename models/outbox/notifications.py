"""The notifications outbox: every email is a row first, sent by a worker later.

A row is written in the same transaction as the change that causes it, under a unique dedupe
key, so that nothing is lost when the broker drops a message and nothing is sent twice when
one change is processed twice. Workers claim a row under a lease before sending it
(:mod:`models.outbox.claims`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Index,
    String,
    Text,
    and_,
    or_,
    select,
    update,
)
from sqlmodel import Field, Session, SQLModel, col

from models.core.base import utc_field, utcnow
from models.core.i18n import N_

__all__ = [
    "NOTIFICATION_KIND_LABELS",
    "NOTIFICATION_STATUS_LABELS",
    "UNSENT",
    "Notification",
    "NotificationKind",
    "NotificationStatus",
    "add_notification",
    "due_notification_ids",
    "message_id",
    "record_nudges",
]


class NotificationStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    #: No longer wanted (its meeting moved or was cancelled): kept, never sent.
    VOIDED = "voided"


#: Not sent yet: waiting, or held by a worker. A change that makes an email untrue voids both;
#: a worker holding a voided one finds it no longer its own before sending (see
#: :func:`models.outbox.claims.confirm_and_extend`).
UNSENT = (NotificationStatus.PENDING.value, NotificationStatus.SENDING.value)


class NotificationKind(StrEnum):
    """What an email is about; decides the check made just before it is sent, and how: a
    ``WEBHOOK`` row is an event posted by HTTP to another system (its recipient the URL, its
    body the JSON), every other kind an email."""

    MESSAGE = "message"
    INVITATION = "invitation"
    MEETING_REMINDER = "meeting_reminder"
    TASK_REMINDER = "task_reminder"
    ESCALATION = "escalation"
    DIGEST = "digest"
    WEBHOOK = "webhook"


class Notification(SQLModel, table=True):
    """One email to one recipient: plain text, optional HTML and iCalendar parts."""

    __tablename__ = "notification"
    # The tick's query: unsent rows by status whose time has come.
    __table_args__ = (
        Index("ix_notification_due", "status", "next_attempt_at"),
        # A district's emails not delivered (its banner, its page, its figures in /metrics).
        Index("ix_notification_district_status", "district_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    dedupe_key: str = Field(sa_type=String(200), unique=True)
    #: The district whose business the email is: only its administrators see it undelivered.
    #: (NULL only for rows written before districts shared a deployment and not traced back.)
    district_id: int | None = Field(default=None, foreign_key="district.id")
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
    #: The fencing token of the claim that holds the row: a random id per claimed batch,
    #: which every mark of the claimant must match (a re-claim replaces it).
    claim_id: str | None = Field(default=None, sa_type=String(32), index=True)
    last_error: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = utc_field(default_factory=utcnow)
    sent_at: datetime | None = utc_field(default=None, nullable=True)
    kind: str = Field(default=NotificationKind.MESSAGE.value, sa_type=String(32))
    html: str | None = Field(default=None, sa_type=Text)
    reply_to: str | None = Field(default=None, sa_type=String(254))
    meeting_id: int | None = Field(default=None, foreign_key="meeting.id", index=True)
    #: The meeting's sequence when the email was written; a reminder whose meeting has moved
    #: on since is voided instead of sent.
    meeting_sequence: int | None = Field(default=None)
    #: A series' reminder: the original start of the sitting it is about (NULL for a single
    #: meeting), so that the worker checks that sitting, not the series' first one.
    sitting_start: datetime | None = utc_field(default=None, nullable=True)
    #: When a scheduler last published a nudge for this row; no second nudge within the grace.
    nudged_at: datetime | None = utc_field(default=None, nullable=True)
    #: The task a reminder or an escalation is about; its pending rows are voided when the
    #: task is closed or its due moment moves.
    task_id: int | None = Field(default=None, foreign_key="task.id", index=True)


def message_id(dedupe_key: str, domain: str) -> str:
    """Return the Message-ID of the email with *dedupe_key*: every copy of it carries the same
    one, so that mail clients fold a duplicate sent across a worker's crash."""
    local = "".join(c if c.isalnum() or c in "-_" else "." for c in dedupe_key)
    return f"<{local}@{domain}>"


def add_notification(
    session: Session,
    *,
    district_id: int | None,
    dedupe_key: str,
    recipient: str,
    subject: str,
    body: str,
    locale: str,
    user_id: int | None = None,
    ics: bytes | None = None,
    ics_method: str | None = None,
    kind: str = NotificationKind.MESSAGE.value,
    html: str | None = None,
    reply_to: str | None = None,
    meeting_id: int | None = None,
    meeting_sequence: int | None = None,
    sitting_start: datetime | None = None,
    task_id: int | None = None,
    now: datetime | None = None,
    grace: timedelta = timedelta(seconds=60),
    known_new: bool = False,
) -> Notification | None:
    """Add a notification to *session* unless one with *dedupe_key* exists already.

    *district_id* is the district the email is of; None only for an account above the
    districts (a regional viewer's or deployment administrator's password link).

    ``next_attempt_at`` is set *grace* after now: the web nudges a worker at once, and the
    scheduler's tick only picks the row up if that nudge did not lead to a send by then.
    """
    if not known_new:  # a caller that checked a whole batch's keys at once says so
        exists = session.execute(
            select(col(Notification.id)).where(col(Notification.dedupe_key) == dedupe_key)
        ).first()
        if exists is not None:
            return None
    now = now or utcnow()
    notification = Notification(
        district_id=district_id,
        dedupe_key=dedupe_key,
        user_id=user_id,
        recipient=recipient,
        locale=locale,
        subject=subject,
        body=body,
        ics=ics.decode("utf-8") if ics is not None else None,
        ics_method=ics_method,
        kind=kind,
        html=html,
        reply_to=reply_to,
        meeting_id=meeting_id,
        meeting_sequence=meeting_sequence,
        sitting_start=sitting_start,
        task_id=task_id,
        created_at=now,
        next_attempt_at=now + grace,
    )
    session.add(notification)
    return notification


def _due(now: datetime, nudge_grace: timedelta) -> Any:
    n = Notification
    pending_due = and_(
        col(n.status) == NotificationStatus.PENDING.value, col(n.next_attempt_at) <= now
    )
    lease_expired = and_(
        col(n.status) == NotificationStatus.SENDING.value, col(n.lease_until) < now
    )
    not_nudged_lately = or_(col(n.nudged_at).is_(None), col(n.nudged_at) <= now - nudge_grace)
    return and_(or_(pending_due, lease_expired), not_nudged_lately)


def due_notification_ids(
    session: Session,
    *,
    now: datetime,
    nudge_grace: timedelta = timedelta(0),
    limit: int = 500,
) -> Sequence[int]:
    """Return the ids the scheduler should nudge: due sends and retries, and expired leases,
    except those nudged less than *nudge_grace* ago (their message is still on its way)."""
    n = Notification
    rows = session.scalars(
        select(col(n.id))
        .where(_due(now, nudge_grace))
        .order_by(col(n.next_attempt_at), col(n.id))
        .limit(limit)
    )
    return [row for row in rows if row is not None]


def record_nudges(
    session: Session,
    ids: Sequence[int],
    *,
    now: datetime,
    nudge_grace: timedelta,
    commit: bool = True,
) -> list[int]:
    """Mark *ids* as nudged now and return those this caller won. Commits, unless the caller
    commits once its nudges are published (``commit=False``): a scheduler killed between the
    two then leaves the rows un-nudged, for the next tick, instead of nudged by nobody.

    The update repeats the "not nudged lately" condition, so of two schedulers that read the
    same due rows only one publishes a nudge for each (the second waits for the first's
    row locks, then finds them nudged).
    """
    if not ids:
        return []
    n = Notification
    result = session.execute(
        update(n)
        .where(col(n.id).in_(list(ids)), _due(now, nudge_grace))
        .values(nudged_at=now)
        .returning(col(n.id))
    )
    won = sorted(int(row[0]) for row in result)
    if commit:
        session.commit()
    return won


#: What an administrator reads for a notification's kind and status.
NOTIFICATION_KIND_LABELS: dict[str, str] = {
    "message": N_("Message"),
    "invitation": N_("Invitation"),
    "meeting_reminder": N_("Meeting reminder"),
    "task_reminder": N_("Task reminder"),
    "escalation": N_("Escalation"),
    "digest": N_("Daily digest of overdue tasks"),
    "webhook": N_("Event for another system (webhook)"),
}

NOTIFICATION_STATUS_LABELS: dict[str, str] = {
    "pending": N_("Waiting"),
    "sending": N_("Being sent"),
    "sent": N_("Sent"),
    "failed": N_("Failed"),
    "voided": N_("Voided"),
}
