"""Forgotten passwords: reset through an emailed link; new accounts choose theirs the same way.

Asking for a link (:func:`ask_for_password_reset`) is throttled and costs the same whether or
not the address has an account: the request is recorded as typed, and a worker answers it
(:func:`answer_reset_requests`) off the request path, with a link for an active account and
nothing otherwise.

Changing a password is ``models.people.accounts.change_password``. A reset link carries a random
token; the table keeps only its SHA-256, an expiry and the moment it was used, so a link works
once, for a short while, and the database alone never reveals a working link. A reset ends
every session of the account.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import String, delete, select, update
from sqlmodel import Field, Session, SQLModel, col

from models.core.audit import record_event
from models.core.base import require_id, utc_field, utcnow
from models.core.errors import DomainError
from models.core.i18n import N_, translator
from models.core.settings import Settings
from models.outbox.keys import password_link_key
from models.outbox.notifications import Notification, add_notification
from models.people.directory import user_with_email
from models.people.sessions import SessionEnd, end_user_sessions
from models.people.tables import Agency, User
from models.people.throttle import PASSWORD_RESET, locked_until, record_attempt

__all__ = [
    "MIN_PASSWORD_LENGTH",
    "RESET_LINK_LIFETIME",
    "PasswordError",
    "PasswordReset",
    "PasswordResetRequest",
    "answer_reset_requests",
    "ask_for_password_reset",
    "check_new_password",
    "invite_to_set_password",
    "request_password_reset",
    "reset_password",
    "user_for_reset_token",
]

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 200
RESET_LINK_LIFETIME = timedelta(hours=1)


class PasswordError(DomainError):
    """The password cannot be set as asked."""


class PasswordReset(SQLModel, table=True):
    """One emailed reset link: single-use, expiring."""

    __tablename__ = "password_reset"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True, ondelete="CASCADE")
    token_hash: str = Field(sa_type=String(64), unique=True)
    created_at: datetime = utc_field(default_factory=utcnow)
    expires_at: datetime = utc_field()
    used_at: datetime | None = utc_field(default=None, nullable=True)


class PasswordResetRequest(SQLModel, table=True):
    """A request for a reset link, as typed, until a worker answers it (within seconds)."""

    __tablename__ = "password_reset_request"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(sa_type=String(320))
    requested_at: datetime = utc_field(default_factory=utcnow)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def check_new_password(password: str, *, email: str = "") -> None:
    """Refuse a password that is too short, too long or the email itself.

    Raises:
      PasswordError: with the message to show at the field.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordError(N_("The password must have at least 10 characters."), "password")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise PasswordError(N_("The password is too long."), "password")
    if email and password.strip().lower() == email.strip().lower():
        raise PasswordError(N_("The password must not be your email address."), "password")


def ask_for_password_reset(
    session: Session, email: str, *, address: str | None, now: datetime | None = None
) -> datetime | None:
    """Record a request for a reset link for *email* from the client *address*, for a worker
    to answer; return until when requests are throttled instead (nothing is recorded).

    Nothing here depends on whether the address has an account (no lookup, the same writes),
    so neither the answer nor its time tells. Three requests an hour per address and ten per
    client, then growing pauses (:data:`~models.people.throttle.PASSWORD_RESET`). Flushes;
    the caller commits.
    """
    now = now or utcnow()
    email = email.strip().lower()
    locked = locked_until(session, PASSWORD_RESET, email=email, address=address, now=now)
    if locked is not None:
        return locked
    record_attempt(session, PASSWORD_RESET, email=email, address=address, now=now)
    session.add(PasswordResetRequest(email=email, requested_at=now))
    session.flush()
    return None


def answer_reset_requests(
    session: Session, settings: Settings, *, now: datetime, limit: int = 100
) -> list[Notification]:
    """Answer the waiting reset requests: a link to each address of an active account (one
    per address however often it asked), nothing to the rest. The requests are deleted.
    Returns the emails to send; nothing committed.

    Two workers at once take different requests (``SKIP LOCKED`` on PostgreSQL).
    """
    r = PasswordResetRequest
    requests = list(
        session.scalars(
            select(r).order_by(col(r.id)).limit(limit).with_for_update(skip_locked=True)
        )
    )
    if not requests:
        return []
    session.execute(delete(r).where(col(r.id).in_([require_id(x) for x in requests])))
    emails = []
    for email in dict.fromkeys(x.email for x in requests):
        notification = request_password_reset(session, settings, email, now=now)
        if notification is not None:
            emails.append(notification)
    return emails


def request_password_reset(
    session: Session, settings: Settings, email: str, *, now: datetime | None = None
) -> Notification | None:
    """Email a reset link to the active user with *email*, through the outbox.

    Returns the notification to nudge, or None when no active user has that address. Called
    off the request path (:func:`answer_reset_requests`), so that the form's answer does not
    reveal who has an account.
    """
    now = now or utcnow()
    email = email.strip().lower()
    user = user_with_email(session, email)
    if user is None or not user.active:
        return None
    record_event(
        session,
        user_id=user.id,
        action="user.password_reset_requested",
        object_type="user",
        object_id=user.id,
        at=now,
    )
    return _email_link(session, settings, user, lifetime=RESET_LINK_LIFETIME, now=now, new=False)


def invite_to_set_password(
    session: Session,
    settings: Settings,
    user: User,
    *,
    lifetime: timedelta,
    now: datetime | None = None,
) -> Notification | None:
    """Email a new account's owner a link to choose their password, through the outbox."""
    return _email_link(session, settings, user, lifetime=lifetime, now=now or utcnow(), new=True)


def _email_link(
    session: Session,
    settings: Settings,
    user: User,
    *,
    lifetime: timedelta,
    now: datetime,
    new: bool,
) -> Notification | None:
    token = secrets.token_urlsafe(32)
    reset = PasswordReset(
        user_id=require_id(user),
        token_hash=_hash(token),
        created_at=now,
        expires_at=now + lifetime,
    )
    session.add(reset)
    session.flush()
    _ = translator(user.locale)
    link = f"{settings.base_url}/password/reset/{token}"
    if new:
        subject = _("Your Birge account")
        opening = [
            _(
                "An account in Birge, the portal of the interagency child-protection unit, "
                "was opened for you."
            ),
            "",
            _("To choose your password, open this link within %(days)s days:")
            % {"days": lifetime.days},
        ]
    else:
        subject = _("Reset your Birge password")
        opening = [
            _("Someone asked to reset your Birge password."),
            "",
            _("To choose a new password, open this link within an hour:"),
        ]
    body = [
        *opening,
        link,
        "",
        _("The link works once. If you did not ask for it, ignore this email."),
        _("Your sign-in name is %(email)s.") % {"email": user.email},
        "—",
        "Birge",
    ]
    # Nobody above the districts belongs to one: their emails are the deployment's own.
    agency = session.get(Agency, user.agency_id) if user.agency_id is not None else None
    return add_notification(
        session,
        district_id=agency.district_id if agency is not None else None,
        dedupe_key=password_link_key(require_id(reset)),
        user_id=user.id,
        recipient=user.email,
        locale=user.locale,
        subject=subject,
        body="\n".join(body) + "\n",
        now=now,
        grace=timedelta(seconds=settings.notification_grace_seconds),
    )


def user_for_reset_token(
    session: Session, token: str, *, now: datetime | None = None
) -> User | None:
    """Return the user a live (unused, unexpired) reset *token* belongs to, or None."""
    now = now or utcnow()
    if not token or len(token) > 128:
        return None
    reset = session.scalars(
        select(PasswordReset).where(col(PasswordReset.token_hash) == _hash(token))
    ).first()
    if reset is None or reset.used_at is not None or reset.expires_at <= now:
        return None
    user = session.get(User, reset.user_id)
    return user if user is not None and user.active else None


def reset_password(session: Session, token: str, new: str, *, now: datetime | None = None) -> User:
    """Set a new password through a reset link; the link and its siblings stop working.

    Raises:
      PasswordError: the link is used, expired or unknown, or the password is not acceptable.
    """
    now = now or utcnow()
    user = user_for_reset_token(session, token, now=now)
    if user is None:
        raise PasswordError(N_("This link has expired or was used already. Ask for a new one."))
    check_new_password(new, email=user.email)
    user.set_password(new)
    session.add(user)
    # Every open link of this user dies with the one used: a second mail must not work later.
    session.execute(
        update(PasswordReset)
        .where(col(PasswordReset.user_id) == user.id)
        .where(col(PasswordReset.used_at).is_(None))
        .values(used_at=now)
    )
    # A reset is a password change: every session of the account ends (whoever had it).
    end_user_sessions(
        session, require_id(user), reason=SessionEnd.PASSWORD_CHANGED, by_user_id=user.id, now=now
    )
    record_event(
        session,
        user_id=user.id,
        action="user.password_reset",
        object_type="user",
        object_id=user.id,
        at=now,
    )
    return user
