"""Create and change user accounts."""

from __future__ import annotations

from sqlmodel import Session

from models.core.audit import record_event
from models.core.base import require_id
from models.core.errors import DomainError
from models.core.i18n import LOCALES, N_
from models.core.text import CONTROL_CHARACTERS_MESSAGE, has_forbidden_controls, is_email_address
from models.people.directory import user_with_email
from models.people.passwords import check_new_password
from models.people.sessions import SessionEnd, end_user_sessions
from models.people.tables import Agency, Region, Role, User, verify_password

__all__ = ["MIN_PASSWORD_LENGTH", "AccountError", "change_password", "create_user"]

MIN_PASSWORD_LENGTH = 10


class AccountError(DomainError):
    """The account cannot be created or changed as asked (:func:`create_user` serves the
    command line: its messages are plain English, not message ids)."""


def create_user(
    session: Session,
    *,
    email: str,
    agency: Agency | None = None,
    region: Region | None = None,
    role: str,
    full_name: str,
    locale: str = "ru",
    password: str,
    created_by: int | None = None,
) -> User:
    """Add a user to *agency* (a district's staff), to *region* (a regional viewer), or to
    neither (a deployment administrator); the email is stored lower-case and must be new.

    Raises:
      AccountError: the email, role, locale or password is not acceptable.
    """
    email = email.strip().lower()
    if not is_email_address(email):
        raise AccountError(f"{email!r} is not an email address", "email")
    if role not in {r.value for r in Role}:
        raise AccountError(f"unknown role {role!r}", "role")
    _check_place(Role(role), agency, region)
    if has_forbidden_controls(full_name):
        raise AccountError(CONTROL_CHARACTERS_MESSAGE, "full_name")
    if locale not in LOCALES:
        raise AccountError(f"unknown locale {locale!r} (use {', '.join(LOCALES)})", "locale")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            f"the password must have at least {MIN_PASSWORD_LENGTH} characters", "password"
        )
    if user_with_email(session, email) is not None:
        raise AccountError(f"a user with email {email} exists already", "email")
    user = User(
        agency_id=require_id(agency) if agency is not None else None,
        region_id=require_id(region) if region is not None else None,
        email=email,
        full_name=full_name.strip() or email,
        role=role,
        locale=locale,
    )
    user.set_password(password)
    session.add(user)
    session.flush()
    record_event(
        session,
        user_id=created_by,
        action="user.created",
        object_type="user",
        object_id=user.id,
        detail=f"role={role} {_place(agency, region)}",
    )
    return user


def _check_place(role: Role, agency: Agency | None, region: Region | None) -> None:
    """A district's staff work in an agency, a regional viewer in a region, a deployment
    administrator in neither."""
    if role.works_in_district and (agency is None or region is not None):
        raise AccountError(f"a user of role {role} belongs to an agency of a district", "agency")
    if role is Role.REGIONAL and (region is None or agency is not None):
        raise AccountError("a regional viewer belongs to a region, not to an agency", "region")
    if role is Role.DEPLOYMENT and (agency is not None or region is not None):
        raise AccountError(
            "a deployment administrator belongs to no agency and no region", "agency"
        )


def _place(agency: Agency | None, region: Region | None) -> str:
    if agency is not None:
        return f"agency={agency.slug} district={agency.district_id}"
    if region is not None:
        return f"region={region.id}"
    return "deployment"


def change_password(
    session: Session,
    user: User,
    *,
    current_password: str,
    new_password: str,
    keep_session: str | None = None,
) -> int:
    """Set *user*'s password and end their other sessions; return how many ended.

    *keep_session* is the session id of the browser that made the change, which stays open.
    Nothing is committed.

    Raises:
      PasswordError: the new password is not acceptable (checked first, as the form shows it).
      AccountError: the current password is wrong (field ``current_password``).
    """
    check_new_password(new_password, email=user.email)
    if not verify_password(user, current_password):
        raise AccountError(N_("The current password is wrong."), "current_password")
    user.set_password(new_password)
    session.add(user)
    record_event(
        session,
        user_id=user.id,
        action="user.password_changed",
        object_type="user",
        object_id=user.id,
    )
    return end_user_sessions(
        session,
        require_id(user),
        reason=SessionEnd.PASSWORD_CHANGED,
        keep_token=keep_session,
        by_user_id=user.id,
    )
