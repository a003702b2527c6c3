"""How long sign-in sessions, throttling counters and password-reset links are kept.

The scheduler's tick (:func:`models.tick.prune_old_rows`) deletes, in bounded batches, what
no longer protects or serves anyone (the README states the retention):

- a sign-in session ended (signed out, revoked, idled out) more than 30 days ago, or one
  never marked ended whose idle time ran out more than 30 days ago;
- a throttling counter one day past its window (the hour after which failures are forgotten)
  and past any lockout;
- a password-reset link used, or expired, more than 30 days ago.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, or_
from sqlmodel import Session, col

from models.core.db import delete_batch
from models.people.passwords import PasswordReset
from models.people.sessions import UserSession
from models.people.throttle import THROTTLES, SignInThrottle

__all__ = [
    "RESET_RETENTION",
    "SESSION_RETENTION",
    "THROTTLE_RETENTION",
    "prune_password_resets",
    "prune_sessions",
    "prune_throttles",
]

#: An ended or expired sign-in session is kept this long (who was signed in, and why it ended).
SESSION_RETENTION = timedelta(days=30)
#: A throttling counter is kept this long after its window (failures forgotten) has closed.
THROTTLE_RETENTION = timedelta(days=1)
#: A used or expired password-reset link is kept this long.
RESET_RETENTION = timedelta(days=30)


def prune_sessions(session: Session, *, now: datetime, idle: timedelta, limit: int) -> int:
    """Delete up to *limit* sessions ended, or idled out, over 30 days ago; return how many."""
    before = now - SESSION_RETENTION
    s = UserSession
    return delete_batch(
        session,
        s,
        or_(
            col(s.ended_at) < before,
            and_(col(s.ended_at).is_(None), col(s.last_seen_at) < before - idle),
        ),
        limit=limit,
    )


def prune_throttles(session: Session, *, now: datetime, limit: int) -> int:
    """Delete up to *limit* throttling counters a day past their window; return how many."""
    window = max(p.forget_after for t in THROTTLES for p in (t.account, t.address))
    before = now - THROTTLE_RETENTION
    t = SignInThrottle
    return delete_batch(
        session,
        t,
        col(t.last_failure_at) < before - window,
        or_(col(t.locked_until).is_(None), col(t.locked_until) < before),
        limit=limit,
    )


def prune_password_resets(session: Session, *, now: datetime, limit: int) -> int:
    """Delete up to *limit* reset links used or expired over 30 days ago; return how many."""
    before = now - RESET_RETENTION
    r = PasswordReset
    return delete_batch(
        session, r, or_(col(r.used_at) < before, col(r.expires_at) < before), limit=limit
    )
