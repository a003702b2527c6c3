"""Server-side sign-in sessions: revocable, idle-expiring, stored only as a hash of their id.

The browser's cookie carries a random session id; the table keeps its SHA-256, so a copy of the
database opens no session. Every request looks the id up: a session that was ended (sign-out,
password change, deactivation, an administrator's "sign out everywhere") or left idle longer
than ``BIRGE_SESSION_IDLE_MINUTES`` opens nothing, whatever the cookie says.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import CursorResult, String, select, update
from sqlmodel import Field, Session, SQLModel, col

from models.core.audit import record_event
from models.core.base import require_id, utc_field, utcnow
from models.people.tables import User

__all__ = [
    "SessionEnd",
    "UserSession",
    "end_session",
    "end_user_sessions",
    "session_user",
    "start_session",
]

#: A session's last-seen time is written at most this often, not on every request.
_TOUCH_EVERY = timedelta(minutes=1)


class SessionEnd(StrEnum):
    """Why a session ended (the ``end_reason`` column)."""

    SIGN_OUT = "sign_out"
    IDLE = "idle"
    PASSWORD_CHANGED = "password_changed"  # noqa: S105 - a reason, not a password
    DEACTIVATED = "deactivated"
    SIGNED_OUT_EVERYWHERE = "signed_out_everywhere"


class UserSession(SQLModel, table=True):
    """One signed-in browser."""

    __tablename__ = "user_session"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(sa_type=String(64), unique=True)
    created_at: datetime = utc_field(default_factory=utcnow)
    last_seen_at: datetime = utc_field(default_factory=utcnow)
    ended_at: datetime | None = utc_field(default=None, nullable=True)
    end_reason: str = Field(default="", sa_type=String(32))


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(session: Session, user: User, *, now: datetime | None = None) -> str:
    """Open a session for *user* and return its id, for the cookie only (never stored)."""
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    session.add(
        UserSession(
            user_id=require_id(user), token_hash=_hash(token), created_at=now, last_seen_at=now
        )
    )
    session.flush()
    return token


def session_user(
    session: Session, token: str, *, idle: timedelta, now: datetime | None = None
) -> User | None:
    """Return the active user whose live session *token* is, or None.

    A session idle for longer than *idle* is ended here (reason ``idle``). The caller commits:
    the last-seen time moves forward at most once a minute.
    """
    if not token or len(token) > 128:
        return None
    now = now or utcnow()
    found = session.execute(
        select(UserSession, User)
        .join(User, col(User.id) == col(UserSession.user_id))
        .where(col(UserSession.token_hash) == _hash(token))
        .where(col(UserSession.ended_at).is_(None))
    ).first()
    if found is None:
        return None
    row, user = found
    if now - row.last_seen_at > idle:
        row.ended_at, row.end_reason = now, SessionEnd.IDLE.value
        session.add(row)
        return None
    if not user.active:
        return None
    if now - row.last_seen_at >= _TOUCH_EVERY:
        row.last_seen_at = now
        session.add(row)
    return user


def end_session(
    session: Session, token: str, *, reason: str = SessionEnd.SIGN_OUT, now: datetime | None = None
) -> None:
    """End the session *token* (a sign-out); an unknown or ended session is left alone."""
    session.execute(
        update(UserSession)
        .where(col(UserSession.token_hash) == _hash(token))
        .where(col(UserSession.ended_at).is_(None))
        .values(ended_at=now or utcnow(), end_reason=reason)
    )


def end_user_sessions(
    session: Session,
    user_id: int,
    *,
    reason: str,
    keep_token: str | None = None,
    by_user_id: int | None = None,
    now: datetime | None = None,
) -> int:
    """End every live session of user *user_id* but *keep_token*'s; return how many ended.

    Call it when the password changes (keeping the session that changed it), when the account
    is deactivated, or when an administrator signs the user out everywhere. The audit event is
    written in the same transaction; the caller commits.
    """
    now = now or utcnow()
    query = (
        update(UserSession)
        .where(col(UserSession.user_id) == user_id)
        .where(col(UserSession.ended_at).is_(None))
    )
    if keep_token is not None:
        query = query.where(col(UserSession.token_hash) != _hash(keep_token))
    result: CursorResult[Any] = session.execute(query.values(ended_at=now, end_reason=reason))  # type: ignore[assignment]
    ended = result.rowcount
    record_event(
        session,
        user_id=by_user_id,
        action="user.sessions_ended",
        object_type="user",
        object_id=user_id,
        detail=f"reason={reason} sessions={ended}",
        at=now,
    )
    return int(ended)
