"""Workers' claims on outbox rows: a claim is a lease under a fencing token (``claim_id``),
set and judged by the database's clock; every mark (sent, failed attempt, voided, released)
must match the claim and says how many rows it touched."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import and_, case, func, literal_column, or_, text, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col

from models.core.base import UTCDateTime, utcnow
from models.outbox.notifications import Notification, NotificationStatus

__all__ = [
    "claim",
    "claim_batch",
    "confirm_and_extend",
    "db_now",
    "mark_failed_attempt",
    "mark_sent",
    "mark_voided",
    "release",
    "renew_leases",
    "retry_delay",
]


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


def _written(notification: Notification, **values: Any) -> None:
    """Tell the loaded *notification* what a fenced statement wrote, without making it dirty:
    a plain assignment would be flushed again, by id alone and unfenced, at the next commit."""
    for name, value in values.items():
        set_committed_value(notification, name, value)


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
        _written(sent, status=NotificationStatus.SENT.value, lease_until=None, last_error=None)
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
    _written(notification, status=NotificationStatus.SENT.value, lease_until=None, last_error=None)
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
    _written(
        notification,
        status=NotificationStatus.VOIDED.value,
        lease_until=None,
        last_error=reason[:2000],
    )
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
