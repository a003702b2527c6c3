"""The notifications outbox: every email is a row first, sent by a worker later.

A row is written in the same transaction as the change that causes it, under a unique dedupe
key, so that nothing is lost when the broker drops a message and nothing is sent twice when
one change is processed twice. Workers :func:`claim` a row under a lease before sending it.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, cast

from sqlalchemy import (
    Index,
    String,
    Text,
    and_,
    case,
    func,
    literal_column,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.engine import CursorResult
from sqlmodel import Field, Session, SQLModel, col

from models.core.base import UTCDateTime, utc_field, utcnow
from models.core.i18n import N_

__all__ = [
    "NOTIFICATION_KIND_LABELS",
    "NOTIFICATION_STATUS_LABELS",
    "UNSENT",
    "Notification",
    "NotificationKind",
    "NotificationStatus",
    "add_notification",
    "claim",
    "claim_batch",
    "confirm_and_extend",
    "db_now",
    "due_notification_ids",
    "mark_failed_attempt",
    "mark_sent",
    "mark_voided",
    "message_id",
    "record_nudges",
    "release",
    "renew_leases",
    "retry_delay",
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
#: :func:`confirm_and_extend`).
UNSENT = (NotificationStatus.PENDING.value, NotificationStatus.SENDING.value)


class NotificationKind(StrEnum):
    """What an email is about; decides the check made just before it is sent."""

    MESSAGE = "message"
    INVITATION = "invitation"
    MEETING_REMINDER = "meeting_reminder"
    TASK_REMINDER = "task_reminder"
    ESCALATION = "escalation"
    DIGEST = "digest"


class Notification(SQLModel, table=True):
    """One email to one recipient: plain text, optional HTML and iCalendar parts."""

    __tablename__ = "notification"
    # The tick's query: unsent rows by status whose time has come.
    __table_args__ = (Index("ix_notification_due", "status", "next_attempt_at"),)

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


def db_now(session: Session, plus_seconds: float = 0.0) -> Any:
    """The database's clock (plus *plus_seconds*) as an SQL expression: leases are set and
    judged by it, so that workers whose clocks disagree still agree on whose claim is alive."""
    seconds = float(plus_seconds)
    if session.get_bind().dialect.name == "postgresql":
        if not seconds:
            return literal_column("statement_timestamp()", UTCDateTime())
        return literal_column(
            f"(statement_timestamp() + make_interval(secs => {seconds!r}))", UTCDateTime()
        )
    # SQLite stores UTC as 'YYYY-MM-DD HH:MM:SS.ffffff' text; write the same, to microseconds.
    return func.strftime(
        "%Y-%m-%d %H:%M:%f000", "now", f"{seconds:+.6f} seconds", type_=UTCDateTime()
    )


def _at(session: Session, now: datetime | None, plus: timedelta = timedelta(0)) -> Any:
    """*now* + *plus* when a caller (a test with a frozen clock) gives *now*, else the
    database's clock."""
    if now is not None:
        return now + plus
    return db_now(session, plus.total_seconds())


def claim(
    session: Session,
    notification_id: int,
    *,
    lease: timedelta,
    now: datetime | None = None,
) -> Notification | None:
    """Lease one notification to the caller, or return None if it is not claimable. Commits."""
    claimed = claim_batch(session, [notification_id], now=now, lease=lease)
    return claimed[0] if claimed else None


def claim_batch(
    session: Session,
    notification_ids: Sequence[int],
    *,
    lease: timedelta,
    now: datetime | None = None,
    commit: bool = True,
) -> list[Notification]:
    """Lease to the caller those of the notifications that are claimable; return them by id.

    Claimable are pending rows never tried or whose retry time has come, and rows whose
    previous claimant's lease expired (a worker that died mid-send). The conditional UPDATE
    makes two workers racing for one row end with exactly one winner. The claimed rows carry
    a new random ``claim_id``, the fencing token that every mark of this claim must match.
    Times are the database's (*now* only for tests with a frozen clock). Commits, unless the
    caller has more to check in the same transaction (``commit=False``).
    """
    n = Notification
    if session.get_bind().dialect.name == "postgresql":
        # Losing this commit in a database crash only makes the rows pending again; the
        # "sent" mark that follows is a normal, durable commit, and WAL order makes the claim
        # durable with it. This spares one disk flush per batch.
        session.execute(text("SET LOCAL synchronous_commit = off"))
    at = _at(session, now)
    claimed = session.scalars(
        update(n)
        .where(
            col(n.id).in_(list(notification_ids)),
            or_(
                and_(
                    col(n.status) == NotificationStatus.PENDING.value,
                    or_(col(n.attempts) == 0, col(n.next_attempt_at) <= at),
                ),
                and_(col(n.status) == NotificationStatus.SENDING.value, col(n.lease_until) < at),
            ),
        )
        .values(
            status=NotificationStatus.SENDING.value,
            lease_until=_at(session, now, lease),
            attempts=col(n.attempts) + 1,
            claim_id=secrets.token_hex(16),
            # The nudge did its job; if this claimant dies, the next tick may nudge at once.
            nudged_at=None,
        )
        .returning(n),
        execution_options={"populate_existing": True},
    ).all()
    if commit:
        session.commit()
    return sorted(claimed, key=lambda row: row.id or 0)


def _held(claim_id: str | None, ids: Sequence[int | None]) -> Any:
    """The rows of *ids* still held by the claim *claim_id*."""
    n = Notification
    return and_(
        col(n.id).in_([i for i in ids if i is not None]),
        col(n.claim_id) == claim_id,
        col(n.status) == NotificationStatus.SENDING.value,
    )


def _touched(result: Any) -> int:
    return int(cast("CursorResult[Any]", result).rowcount or 0)


def release(
    session: Session,
    notifications: Sequence[Notification],
    *,
    error: str,
    retry_at: datetime | None = None,
    retry_in: timedelta = timedelta(0),
) -> int:
    """Give claimed notifications back untried, due again at *retry_at* (else *retry_in* from
    the database's now); return how many were still this claim's. Commits.

    For the rest of a batch when the mail server went away or the batch's time ran out: they
    were not tried, so the attempt their claim counted is taken back; *error* says why they
    wait. One statement for all of them, fenced by their claim.
    """
    if not notifications:
        return 0
    n = Notification
    result = session.connection().execute(
        update(n)
        .where(_held(notifications[0].claim_id, [x.id for x in notifications]))
        .values(
            status=NotificationStatus.PENDING.value,
            attempts=col(n.attempts) - 1,
            lease_until=None,
            next_attempt_at=(
                retry_at if retry_at is not None else db_now(session, retry_in.total_seconds())
            ),
            last_error=error[:2000],
        )
    )
    session.commit()
    return _touched(result)


def confirm_and_extend(
    session: Session,
    claim_id: str | None,
    *,
    sent: Notification | None,
    keep: Sequence[Notification],
    lease: timedelta,
) -> set[int]:
    """In one statement: mark *sent* sent, and extend the lease of the *keep* rows; return
    the ids of both that were still held by the claim *claim_id*. Commits.

    The worker runs this before each email, with the email the server has just taken and the
    rest of its batch: "sent" is recorded only if the row is still this claim's, and the next
    email goes out only if it still is (not voided meanwhile, not re-claimed by a worker that
    judged this one dead). The times are the database's.
    """
    ids = [x.id for x in keep] + ([sent.id] if sent is not None else [])
    if not ids:
        return set()
    n = Notification
    just_sent = col(n.id) == (sent.id if sent is not None else -1)
    now = db_now(session)
    result = session.connection().execute(
        update(n)
        .where(_held(claim_id, ids))
        .values(
            status=case((just_sent, NotificationStatus.SENT.value), else_=col(n.status)),
            sent_at=case((just_sent, now), else_=col(n.sent_at)),
            lease_until=case((just_sent, None), else_=db_now(session, lease.total_seconds())),
            last_error=case((just_sent, None), else_=col(n.last_error)),
        )
        .returning(col(n.id))
    )
    held = {int(row[0] or 0) for row in result}
    session.commit()
    if sent is not None and sent.id in held:
        sent.status = NotificationStatus.SENT.value
        sent.lease_until = None
        sent.last_error = None
    return held


def mark_sent(session: Session, notification: Notification, *, now: datetime | None = None) -> bool:
    """Record a successful send, if the row is still held by *notification*'s claim; return
    whether it was. Commits."""
    n = Notification
    result = session.connection().execute(
        update(n)
        .where(_held(notification.claim_id, [notification.id]))
        .values(
            status=NotificationStatus.SENT.value,
            sent_at=_at(session, now),
            lease_until=None,
            last_error=None,
        )
    )
    session.commit()
    if not _touched(result):
        return False
    notification.status = NotificationStatus.SENT.value
    notification.lease_until = None
    notification.last_error = None
    return True


def retry_delay(attempts: int, base_seconds: float = 30.0) -> timedelta:
    """Back off exponentially from *base_seconds* (30 s) to at most an hour."""
    return timedelta(seconds=min(base_seconds * 2 ** max(attempts - 1, 0), 3600))


def mark_failed_attempt(
    session: Session,
    notification: Notification,
    *,
    error: str,
    max_attempts: int,
    now: datetime | None = None,
    retry_base_seconds: float = 30.0,
    server_unavailable: bool = False,
    keep_trying: timedelta = timedelta(0),
) -> bool:
    """Record a failed send, if the row is still held by *notification*'s claim; return
    whether it was. Commits.

    The email is retried later, backing off up to an hour between tries. It is given up as
    ``failed`` after *max_attempts*, except that while the mail server is away
    (*server_unavailable*) it keeps trying until *keep_trying* after it was written: an
    outage of a night must not drop the morning's escalations.
    """
    n = Notification
    clock = now or utcnow()
    written = notification.created_at
    if written.tzinfo is None:
        written = written.replace(tzinfo=clock.tzinfo)
    give_up = notification.attempts >= max_attempts and (
        not server_unavailable or clock - written >= keep_trying
    )
    delay = retry_delay(notification.attempts, retry_base_seconds)
    values: dict[str, Any] = {"last_error": error[:2000], "lease_until": None}
    if give_up:
        values["status"] = NotificationStatus.FAILED.value
    else:
        values["status"] = NotificationStatus.PENDING.value
        values["next_attempt_at"] = _at(session, now, delay)
    row = session.scalars(
        update(n)
        .where(_held(notification.claim_id, [notification.id]))
        .values(**values)
        .returning(n),
        execution_options={"populate_existing": True},
    ).first()
    session.commit()
    return row is not None


def mark_voided(
    session: Session, notification: Notification, *, reason: str, commit: bool = True
) -> bool:
    """Record that the claimed *notification* is no longer wanted and is not sent, if the row
    is still held by its claim; return whether it was. Commits, unless the caller goes on in
    the same transaction (``commit=False``)."""
    n = Notification
    result = session.connection().execute(
        update(n)
        .where(_held(notification.claim_id, [notification.id]))
        .values(status=NotificationStatus.VOIDED.value, lease_until=None, last_error=reason[:2000])
    )
    if commit:
        session.commit()
    if not _touched(result):
        return False
    notification.status = NotificationStatus.VOIDED.value
    notification.lease_until = None
    notification.last_error = reason[:2000]
    return True


def renew_leases(session: Session, claim_ids: Sequence[str], *, lease: timedelta) -> set[str]:
    """Extend, by the database's clock, the lease of every row still held by the claims
    *claim_ids*, in one statement; return the claims that still hold a row. Commits.

    A claim not returned has lost all its rows (sent, voided, or re-claimed by a worker that
    judged this one dead); its holder must not mark them.
    """
    if not claim_ids:
        return set()
    n = Notification
    result = session.execute(
        update(n)
        .where(
            col(n.claim_id).in_(list(claim_ids)),
            col(n.status) == NotificationStatus.SENDING.value,
        )
        .values(lease_until=db_now(session, lease.total_seconds()))
        .returning(col(n.claim_id))
    )
    held = {str(row[0]) for row in result}
    session.commit()
    return held


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
}

NOTIFICATION_STATUS_LABELS: dict[str, str] = {
    "pending": N_("Waiting"),
    "sending": N_("Being sent"),
    "sent": N_("Sent"),
    "failed": N_("Failed"),
    "voided": N_("Voided"),
}
