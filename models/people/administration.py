"""Administer agencies and staff: who may change whom, and the changes themselves.

Administrators manage every agency and user of their district; an agency's coordinators
manage their own agency's members (members and coordinators, never an administrator or the
chair). A new account gets no password from whoever creates it: its owner receives an
emailed link to choose one. Deactivating an account ends its sessions at once.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from models.core.audit import record_event
from models.core.base import require_id, utcnow
from models.core.errors import DomainError
from models.core.i18n import DEFAULT_LOCALE, LOCALES, N_
from models.core.settings import Settings
from models.core.text import CONTROL_CHARACTERS_MESSAGE, has_forbidden_controls, is_email_address
from models.outbox.notifications import Notification
from models.people.access import administers_deployment, administers_district, may_manage_people
from models.people.directory import user_with_email
from models.people.passwords import invite_to_set_password
from models.people.sessions import SessionEnd, end_user_sessions
from models.people.tables import DISTRICT_ROLES, Agency, AgencyKind, Region, Role, User

__all__ = [
    "AdminError",
    "AgencyChange",
    "UserChange",
    "check_agency",
    "check_staff",
    "create_agency",
    "create_staff",
    "manageable_agencies",
    "may_manage_agencies",
    "may_manage_user",
    "may_manage_users_of",
    "roles_assignable_by",
    "update_agency",
    "update_staff",
]

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
#: How long the "choose your password" link of a new account works.
NEW_ACCOUNT_LINK_LIFETIME = timedelta(days=7)


class AdminError(DomainError):
    """A change of an agency or of someone's account is refused."""


@dataclass(frozen=True)
class AgencyChange:
    slug: str
    kind: str
    name_ru: str
    name_kk: str
    name_en: str = ""
    head_email: str = ""
    head_locale: str = DEFAULT_LOCALE


@dataclass(frozen=True)
class UserChange:
    email: str
    full_name: str
    role: str
    locale: str
    #: The agency of a district's staff member (None for a regional viewer).
    agency_id: int | None
    active: bool = True
    #: The region of a regional viewer (None for a district's staff).
    region_id: int | None = None


def _district_of(session: Session, agency_id: int | None) -> int | None:
    agency = session.get(Agency, agency_id) if agency_id is not None else None
    return agency.district_id if agency is not None else None


def may_manage_users_of(session: Session, actor: User, agency: Agency) -> bool:
    """Tell whether *actor* may add and change the staff of *agency*."""
    if administers_deployment(actor):  # a district's first administrators, in its akimat
        return agency.kind == AgencyKind.AKIMAT
    if not may_manage_people(actor):
        return False
    if administers_district(actor):
        return _district_of(session, actor.agency_id) == agency.district_id
    return actor.agency_id == agency.id


def may_manage_user(session: Session, actor: User, user: User) -> bool:
    """Tell whether *actor* may change *user*'s account."""
    agency = session.get(Agency, user.agency_id)
    if agency is None or not may_manage_users_of(session, actor, agency):
        return False
    return administers_district(actor) or Role(user.role) in (Role.MEMBER, Role.COORDINATOR)


def roles_assignable_by(actor: User) -> list[str]:
    """Return the roles *actor* may give."""
    if administers_deployment(actor):
        return [Role.ADMIN.value, Role.REGIONAL.value]
    if administers_district(actor):
        return [r.value for r in DISTRICT_ROLES]
    return [Role.MEMBER.value, Role.COORDINATOR.value]


def manageable_agencies(session: Session, actor: User) -> Sequence[Agency]:
    """Return the agencies whose staff *actor* may manage, by name."""
    own = session.get(Agency, actor.agency_id)
    if own is None or not may_manage_people(actor):
        return []
    if administers_district(actor):
        return session.scalars(
            select(Agency)
            .where(col(Agency.district_id) == own.district_id)
            .order_by(col(Agency.name_ru))
        ).all()
    return [own]


def _check_agency(change: AgencyChange) -> None:
    if not SLUG.match(change.slug):
        raise AdminError(N_("Use 2–63 small Latin letters, digits and hyphens."), "slug")
    if change.kind not in {k.value for k in AgencyKind}:
        raise AdminError(N_("Choose the kind of agency."), "kind")
    for name, value in (("name_ru", change.name_ru), ("name_kk", change.name_kk)):
        if not value.strip():
            raise AdminError(N_("Give the name."), name)
    for name, value in (
        ("name_ru", change.name_ru),
        ("name_kk", change.name_kk),
        ("name_en", change.name_en),
    ):
        if has_forbidden_controls(value):
            raise AdminError(CONTROL_CHARACTERS_MESSAGE, name)
        if len(value.strip()) > 300:
            raise AdminError(N_("The name is too long."), name)
    if change.head_email and not is_email_address(change.head_email.strip()):
        raise AdminError(N_("This is not an email address."), "head_email")
    if change.head_locale not in LOCALES:
        raise AdminError(N_("Choose a language."), "head_locale")


def may_manage_agencies(actor: User) -> bool:
    """Tell whether *actor* may add agencies to their district and change them (its
    administrators)."""
    return administers_district(actor)


def check_agency(session: Session, change: AgencyChange, district_id: int) -> None:
    """Check a new agency of *district_id* as :func:`create_agency` would, writing nothing.

    Raises:
      AdminError: a field is not acceptable or the district has an agency with the slug.
    """
    _check_agency(change)
    taken = session.scalars(
        select(Agency)
        .where(col(Agency.district_id) == district_id)
        .where(col(Agency.slug) == change.slug)
    ).first()
    if taken is not None:
        raise AdminError(N_("An agency with this short name exists already."), "slug")


def create_agency(session: Session, actor: User, change: AgencyChange) -> Agency:
    """Add an agency to *actor*'s district.

    Raises:
      PermissionError: *actor* is not an administrator.
      AdminError: a field is not acceptable.
    """
    if not may_manage_agencies(actor):
        raise PermissionError("only administrators create agencies")
    district_id = _district_of(session, actor.agency_id)
    assert district_id is not None
    check_agency(session, change, district_id)
    agency = Agency(district_id=district_id, **_agency_values(change))
    session.add(agency)
    session.flush()
    record_event(
        session,
        user_id=actor.id,
        action="agency.created",
        object_type="agency",
        object_id=agency.id,
        detail=f"slug={agency.slug} kind={agency.kind}",
    )
    return agency


def update_agency(session: Session, actor: User, agency: Agency, change: AgencyChange) -> None:
    """Change an agency's names, kind and head; its slug stays (feeds and the CLI use it).

    Raises:
      PermissionError: *actor* is not an administrator of the agency's district.
      AdminError: a field is not acceptable.
    """
    if (
        not may_manage_agencies(actor)
        or _district_of(session, actor.agency_id) != agency.district_id
    ):
        raise PermissionError("only administrators of the district change agencies")
    _check_agency(AgencyChange(**{**change.__dict__, "slug": agency.slug}))
    for key, value in _agency_values(change).items():
        if key != "slug":
            setattr(agency, key, value)
    session.add(agency)
    record_event(
        session,
        user_id=actor.id,
        action="agency.changed",
        object_type="agency",
        object_id=agency.id,
        detail=f"slug={agency.slug} kind={agency.kind}",
    )


def _agency_values(change: AgencyChange) -> dict[str, Any]:
    return {
        "slug": change.slug,
        "kind": change.kind,
        "name_ru": change.name_ru.strip(),
        "name_kk": change.name_kk.strip(),
        "name_en": change.name_en.strip(),
        "head_email": change.head_email.strip().lower() or None,
        "head_locale": change.head_locale,
    }


def _check_user(session: Session, actor: User, change: UserChange, *, user_id: int | None) -> None:
    email = change.email.strip().lower()
    if not is_email_address(email):
        raise AdminError(N_("This is not an email address."), "email")
    holder = user_with_email(session, email)
    if holder is not None and holder.id != user_id:
        raise AdminError(N_("Someone has this email address already."), "email")
    if not change.full_name.strip():
        raise AdminError(N_("Give the person's name."), "full_name")
    if has_forbidden_controls(change.full_name):
        raise AdminError(CONTROL_CHARACTERS_MESSAGE, "full_name")
    if len(change.full_name.strip()) > 200:
        raise AdminError(N_("The name is too long."), "full_name")
    if change.role not in roles_assignable_by(actor):
        raise AdminError(N_("You may not give this role."), "role")
    if change.locale not in LOCALES:
        raise AdminError(N_("Choose a language."), "locale")
    if Role(change.role) is Role.REGIONAL:
        if change.region_id is None or session.get(Region, change.region_id) is None:
            raise AdminError(N_("Choose a region."), "region_id")
        return
    agency = session.get(Agency, change.agency_id) if change.agency_id is not None else None
    if agency is None or not may_manage_users_of(session, actor, agency):
        raise AdminError(N_("You may not add people to this agency."), "agency_id")


def check_staff(session: Session, actor: User, change: UserChange) -> None:
    """Check a new user as :func:`create_staff` would, writing nothing.

    Raises:
      AdminError: a field is not acceptable.
    """
    _check_user(session, actor, change, user_id=None)


def create_staff(
    session: Session,
    settings: Settings,
    actor: User,
    change: UserChange,
    *,
    now: datetime | None = None,
) -> tuple[User, Notification | None]:
    """Add a user and email them a link to choose their password (through the outbox).

    Raises:
      AdminError: a field is not acceptable or *actor* may not add to that agency or role.
    """
    now = now or utcnow()
    _check_user(session, actor, change, user_id=None)
    regional = Role(change.role) is Role.REGIONAL
    user = User(
        agency_id=None if regional else change.agency_id,
        region_id=change.region_id if regional else None,
        email=change.email.strip().lower(),
        full_name=" ".join(change.full_name.split()),
        role=change.role,
        locale=change.locale,
        active=True,
        created_at=now,
    )
    session.add(user)
    session.flush()
    record_event(
        session,
        user_id=actor.id,
        action="user.created",
        object_type="user",
        object_id=user.id,
        detail=f"role={user.role} agency={user.agency_id} region={user.region_id}",
        at=now,
    )
    notification = invite_to_set_password(
        session, settings, user, lifetime=NEW_ACCOUNT_LINK_LIFETIME, now=now
    )
    return user, notification


def update_staff(session: Session, actor: User, user: User, change: UserChange) -> None:
    """Change *user*'s name, email, role, language, agency or whether they may sign in.

    Deactivating ends the user's sessions; nobody deactivates or demotes themselves (an
    administrator could otherwise lock the district out).

    Raises:
      PermissionError: *actor* may not manage *user*.
      AdminError: a field is not acceptable.
    """
    if not may_manage_user(session, actor, user):
        raise PermissionError("not allowed to manage this user")
    _check_user(session, actor, change, user_id=require_id(user))
    if user.id == actor.id and (not change.active or change.role != user.role):
        raise AdminError(N_("You cannot deactivate yourself or change your own role."), "active")
    was_active = user.active
    changed = [
        name
        for name, old, new in (
            ("email", user.email, change.email.strip().lower()),
            ("role", user.role, change.role),
            ("locale", user.locale, change.locale),
            ("agency", user.agency_id, change.agency_id),
            ("active", user.active, change.active),
            ("name", user.full_name, " ".join(change.full_name.split())),
        )
        if old != new
    ]
    user.email = change.email.strip().lower()
    user.full_name = " ".join(change.full_name.split())
    user.role = change.role
    user.locale = change.locale
    user.agency_id = change.agency_id
    user.active = change.active
    session.add(user)
    if was_active and not change.active:
        end_user_sessions(
            session, require_id(user), reason=SessionEnd.DEACTIVATED, by_user_id=actor.id
        )
    record_event(
        session,
        user_id=actor.id,
        action="user.deactivated" if was_active and not change.active else "user.changed",
        object_type="user",
        object_id=user.id,
        detail=f"changed={','.join(changed)} role={user.role} agency={user.agency_id}",
    )
