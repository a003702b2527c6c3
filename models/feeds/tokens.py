"""Calendar feeds, one per agency and one per person, and the secret tokens that open them.

A token is ``HMAC(secret key, nonce)``; the table keeps the nonce and a SHA-256 of the token.
So the database alone never reveals a working feed URL, yet ``birge feed-url`` can print an
agency's existing URL again. Revoking a token and issuing a new one rotates the URL.

A live token row *is* the feed: its id is the feed id the publishing actor takes, and the
published file is named after the token (see ``workers/feed_store.py``).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import CheckConstraint, String, select
from sqlmodel import Field, Session, SQLModel, col

from models.core.audit import record_event
from models.core.base import require_id, utc_field, utcnow
from models.core.settings import Settings
from models.people.tables import Agency, User

__all__ = [
    "TOKEN_PATTERN",
    "FeedToken",
    "Rotation",
    "agency_for_token",
    "feed_for_token",
    "feed_token",
    "feed_url",
    "live_feeds",
    "person_feed_token",
    "rotate_feed",
    "rotate_feed_token",
    "token_of",
]

#: What every token looks like: 160 bits as 40 lowercase hex digits.
TOKEN_PATTERN = re.compile(r"[0-9a-f]{40}")


class FeedToken(SQLModel, table=True):
    """A secret that opens one agency's or one person's feed; revoked tokens stop at once.

    ``published_at`` is when the workers last wrote the feed's file (None: never, so the
    first request builds it); ``publishing_until`` is the lease of the worker writing it now.
    """

    __tablename__ = "feed_token"
    __table_args__ = (
        CheckConstraint("(agency_id IS NULL) <> (user_id IS NULL)", name="ck_feed_token_owner"),
    )

    id: int | None = Field(default=None, primary_key=True)
    agency_id: int | None = Field(default=None, foreign_key="agency.id", index=True)
    user_id: int | None = Field(default=None, foreign_key="user_account.id", index=True)
    nonce: str = Field(sa_type=String(64))
    token_hash: str = Field(sa_type=String(64), unique=True)
    created_at: datetime = utc_field(default_factory=utcnow)
    revoked_at: datetime | None = utc_field(default=None, nullable=True)
    published_at: datetime | None = utc_field(default=None, nullable=True)
    publishing_until: datetime | None = utc_field(default=None, nullable=True)


@dataclass(frozen=True)
class Rotation:
    """A new token, and the revoked ones whose published files must go at once."""

    token: str
    revoked: list[str] = field(default_factory=list)


def _token(secret_key: str, nonce: str) -> str:
    digest = hmac.new(secret_key.encode(), f"feed:{nonce}".encode(), hashlib.sha256).hexdigest()
    return digest[:40]


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_of(row: FeedToken, secret_key: str) -> str | None:
    """Return the token of *row*, or None when it was issued under another secret key."""
    token = _token(secret_key, row.nonce)
    return token if hmac.compare_digest(_hash(token), row.token_hash) else None


def _owner_filter(agency: Agency | None, user: User | None) -> tuple[str, int]:
    if (agency is None) == (user is None):
        raise ValueError("a feed belongs to exactly one agency or one person")
    return ("agency_id", require_id(agency)) if agency else ("user_id", require_id(user))


def _current(session: Session, column: str, owner_id: int) -> FeedToken | None:
    return session.scalars(
        select(FeedToken)
        .where(getattr(FeedToken, column) == owner_id)
        .where(col(FeedToken.revoked_at).is_(None))
        .order_by(col(FeedToken.id).desc())
    ).first()


def feed_token(session: Session, agency: Agency, secret_key: str) -> str:
    """Return the agency's current feed token, issuing one if it has none.

    Raises:
      LookupError: the current token was issued under another secret key and cannot be shown
        again; rotate it.
    """
    return _current_token(session, secret_key, agency=agency)


def person_feed_token(session: Session, user: User, secret_key: str) -> str:
    """Return *user*'s own feed token, issuing one if they have none.

    Raises:
      LookupError: as :func:`feed_token`.
    """
    return _current_token(session, secret_key, user=user)


def _current_token(
    session: Session, secret_key: str, *, agency: Agency | None = None, user: User | None = None
) -> str:
    column, owner_id = _owner_filter(agency, user)
    current = _current(session, column, owner_id)
    if current is None:
        return _issue(session, secret_key, column, owner_id, user_id=None)
    token = token_of(current, secret_key)
    if token is None:
        owner = agency.slug if agency else f"user {owner_id}"
        raise LookupError(f"the feed token of {owner} was made with another secret key")
    return token


def rotate_feed_token(
    session: Session, agency: Agency, secret_key: str, *, user_id: int | None = None
) -> str:
    """Revoke the agency's tokens and issue a new one; old URLs stop working."""
    return rotate_feed(session, secret_key, agency=agency, acting_user_id=user_id).token


def rotate_feed(
    session: Session,
    secret_key: str,
    *,
    agency: Agency | None = None,
    user: User | None = None,
    acting_user_id: int | None = None,
) -> Rotation:
    """Revoke the agency's (or person's) tokens and issue a new one.

    Nothing is committed. After committing, the caller removes the published files of
    ``Rotation.revoked`` (the scheduler's sweep removes them too, a tick later).
    """
    column, owner_id = _owner_filter(agency, user)
    now = utcnow()
    revoked = []
    for row in session.scalars(
        select(FeedToken)
        .where(getattr(FeedToken, column) == owner_id)
        .where(col(FeedToken.revoked_at).is_(None))
    ):
        row.revoked_at = now
        session.add(row)
        old = token_of(row, secret_key)
        if old is not None:
            revoked.append(old)
    token = _issue(session, secret_key, column, owner_id, user_id=acting_user_id)
    return Rotation(token=token, revoked=revoked)


def _issue(
    session: Session, secret_key: str, column: str, owner_id: int, *, user_id: int | None
) -> str:
    nonce = secrets.token_hex(16)
    token = _token(secret_key, nonce)
    row = FeedToken(nonce=nonce, token_hash=_hash(token))
    setattr(row, column, owner_id)
    session.add(row)
    session.flush()
    record_event(
        session,
        user_id=user_id,
        action="feed_token.issued",
        object_type="agency" if column == "agency_id" else "user",
        object_id=owner_id,
        detail=f"token={row.id}",
    )
    return token


def feed_url(settings: Settings, token: str) -> str:
    """Return the subscription URL for *token*."""
    return f"{settings.base_url}/calendars/{token}.ics"


def feed_for_token(session: Session, token: str) -> FeedToken | None:
    """Return the live feed *token* opens, or None (unknown, revoked, or a deactivated person)."""
    if not TOKEN_PATTERN.fullmatch(token or ""):
        return None
    row = session.scalars(
        select(FeedToken)
        .where(col(FeedToken.token_hash) == _hash(token))
        .where(col(FeedToken.revoked_at).is_(None))
    ).first()
    if row is not None and row.user_id is not None:
        person = session.get(User, row.user_id)
        if person is None or not person.active:
            return None
    return row


def agency_for_token(session: Session, token: str) -> Agency | None:
    """Return the agency whose live token is *token*, or None."""
    row = feed_for_token(session, token)
    if row is None or row.agency_id is None:
        return None
    return session.get(Agency, row.agency_id)


def live_feeds(session: Session) -> list[FeedToken]:
    """Return every live feed: unrevoked tokens of agencies and of active people."""
    rows = session.scalars(
        select(FeedToken)
        .outerjoin(User, col(User.id) == col(FeedToken.user_id))
        .where(col(FeedToken.revoked_at).is_(None))
        .where((col(FeedToken.user_id).is_(None)) | (col(User.active) == True))  # noqa: E712
        .order_by(col(FeedToken.id))
    )
    return list(rows)
