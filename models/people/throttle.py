"""Throttling of sign-in and of password-reset requests: per account and per client address,
growing delays, audited lockouts.

The counters live in the database, so several web processes share them with no new service.
A key is a SHA-256 of ``account:<email>`` or ``address:<ip>`` (``reset-account:`` and
``reset-address:`` for reset requests): the table names nobody. After a few free attempts,
every further one locks the key for twice as long as the previous one (e.g. 30 s, 1 min,
2 min ... at most 15 min for sign-in); a quiet hour forgets them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import String, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col

from models.core.audit import record_event
from models.core.base import utc_field, utcnow

__all__ = [
    "PASSWORD_RESET",
    "SIGN_IN",
    "THROTTLES",
    "SignInThrottle",
    "Throttle",
    "ThrottlePolicy",
    "locked_until",
    "record_attempt",
    "record_sign_in_success",
    "retry_minute",
]


@dataclass(frozen=True)
class ThrottlePolicy:
    """How many failures are free, and how the lockout grows after them."""

    free_failures: int
    first_lockout: timedelta = timedelta(seconds=30)
    longest_lockout: timedelta = timedelta(minutes=15)
    forget_after: timedelta = timedelta(hours=1)

    def lockout(self, failures: int) -> timedelta | None:
        """Return how long *failures* failures in a row lock the key, or None."""
        if failures < self.free_failures:
            return None
        doublings = min(failures - self.free_failures, 16)
        return min(self.first_lockout * 2**doublings, self.longest_lockout)


@dataclass(frozen=True)
class Throttle:
    """What is counted (failed sign-ins, reset requests), per account and per client address."""

    #: Prefix of the keys, so that one table holds every throttle's counters.
    prefix: str
    account: ThrottlePolicy
    address: ThrottlePolicy
    #: The audit event of a lockout.
    locked_action: str


#: Failed sign-ins. One account: a person mistyping gets 5 tries before the first delay. One
#: client address: an office behind one NAT address signs in many people.
SIGN_IN = Throttle(
    prefix="",
    account=ThrottlePolicy(free_failures=5),
    address=ThrottlePolicy(free_failures=20),
    locked_action="sign_in.locked",
)
#: Requests for a password-reset link, whether or not the address has an account: three links
#: an hour for one address, then 15 minutes and more between them; ten requests an hour from
#: one client, then a pause of a minute and more.
PASSWORD_RESET = Throttle(
    prefix="reset-",
    account=ThrottlePolicy(
        free_failures=3, first_lockout=timedelta(minutes=15), longest_lockout=timedelta(hours=1)
    ),
    address=ThrottlePolicy(free_failures=10, first_lockout=timedelta(minutes=1)),
    locked_action="password_reset.throttled",
)
THROTTLES = (SIGN_IN, PASSWORD_RESET)


class SignInThrottle(SQLModel, table=True):
    """Attempts counted for one account or one client address (failed sign-ins, reset
    requests: see :class:`Throttle`)."""

    __tablename__ = "sign_in_throttle"

    id: int | None = Field(default=None, primary_key=True)
    key_hash: str = Field(sa_type=String(64), unique=True)
    failures: int = Field(default=0)
    last_failure_at: datetime = utc_field(default_factory=utcnow)
    locked_until: datetime | None = utc_field(default=None, nullable=True)


def _keys(
    throttle: Throttle, email: str, address: str | None
) -> list[tuple[str, str, ThrottlePolicy]]:
    keys = [("account", f"account:{email.strip().lower()}", throttle.account)]
    if address:
        keys.append(("address", f"address:{address}", throttle.address))
    return [
        (kind, hashlib.sha256(f"{throttle.prefix}{key}".encode()).hexdigest(), policy)
        for kind, key, policy in keys
    ]


def locked_until(
    session: Session,
    throttle: Throttle,
    *,
    email: str,
    address: str | None,
    now: datetime | None = None,
) -> datetime | None:
    """Return when *throttle* lets *email* from *address* try again, if it is locked now."""
    now = now or utcnow()
    hashes = [key_hash for _kind, key_hash, _policy in _keys(throttle, email, address)]
    until: list[datetime] = [
        moment
        for moment in session.scalars(
            select(col(SignInThrottle.locked_until))
            .where(col(SignInThrottle.key_hash).in_(hashes))
            .where(col(SignInThrottle.locked_until) > now)
        )
        if moment is not None
    ]
    return max(until) if until else None


def retry_minute(until: datetime) -> datetime:
    """Return the first whole minute at or after *until*: the time a message may name.

    A lockout ends to the second; a message naming its minute truncated ("after 12:04" at
    12:04:10, locked until 12:04:40) would name the present as the future.
    """
    whole = until.replace(second=0, microsecond=0)
    return whole if whole == until else whole + timedelta(minutes=1)


def record_attempt(
    session: Session,
    throttle: Throttle,
    *,
    email: str,
    address: str | None,
    user_id: int | None = None,
    now: datetime | None = None,
) -> datetime | None:
    """Count an attempt (a failed sign-in, a reset request); return until when it locks
    *throttle* for *email* or *address*, if it does.

    Every lockout is audited (``throttle.locked_action``, naming the user when known).
    """
    now = now or utcnow()
    locked: datetime | None = None
    for kind, key_hash, policy in _keys(throttle, email, address):
        row = _row(session, key_hash, now)
        if now - row.last_failure_at > policy.forget_after:
            row.failures = 0
        row.failures += 1
        row.last_failure_at = now
        lockout = policy.lockout(row.failures)
        if lockout is not None:
            row.locked_until = now + lockout
            locked = max(locked, row.locked_until) if locked else row.locked_until
            record_event(
                session,
                user_id=None,
                action=throttle.locked_action,
                object_type="user",
                object_id=user_id if kind == "account" else None,
                detail=f"by={kind} failures={row.failures} seconds={int(lockout.total_seconds())}",
                at=now,
            )
        session.add(row)
    session.flush()
    return locked


def record_sign_in_success(session: Session, *, email: str, now: datetime | None = None) -> None:
    """Forget the account's failures (the address keeps its count: it may be guessing others)."""
    for kind, key_hash, _policy in _keys(SIGN_IN, email, None):
        row = session.scalars(
            select(SignInThrottle).where(col(SignInThrottle.key_hash) == key_hash)
        ).first()
        if kind == "account" and row is not None:
            row.failures, row.locked_until = 0, None
            session.add(row)


def _row(session: Session, key_hash: str, now: datetime) -> SignInThrottle:
    query = select(SignInThrottle).where(col(SignInThrottle.key_hash) == key_hash)
    row = session.scalars(query.with_for_update()).first()
    if row is not None:
        return row
    try:
        with session.begin_nested():  # another process may insert the same key at once
            row = SignInThrottle(key_hash=key_hash, failures=0, last_failure_at=now)
            session.add(row)
    except IntegrityError:
        row = session.scalars(query.with_for_update()).one()
    return row
