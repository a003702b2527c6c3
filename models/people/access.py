"""Who a user works for: the agency behind a sign-in, whether it oversees the district, who
administers it and manages its people, and who chairs a district."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlmodel import Session, col

from models.people.tables import Agency, AgencyKind, Role, User

__all__ = [
    "administers_deployment",
    "administers_district",
    "agency_of",
    "district_chairs",
    "may_manage_people",
    "oversees_district",
    "views_region",
]


def agency_of(session: Session, user: User) -> Agency:
    """Return *user*'s agency."""
    agency = session.get(Agency, user.agency_id)
    if agency is None:
        raise LookupError(f"user {user.id} has no agency")
    return agency


def oversees_district(session: Session, user: User) -> bool:
    """Tell whether *user* works for the whole district: administrators, the chair and the
    unit's secretary (a coordinator of the akimat, who works for the chair)."""
    role = Role(user.role)
    if role.sees_district:
        return True
    return role is Role.COORDINATOR and agency_of(session, user).kind == AgencyKind.AKIMAT


def administers_district(user: User) -> bool:
    """Tell whether *user* is an active administrator of their district (a feature names what
    that lets one do by a predicate of its own, e.g. ``may_retry_emails``)."""
    return user.active and Role(user.role) is Role.ADMIN


def administers_deployment(user: User) -> bool:
    """Tell whether *user* is an active deployment administrator: makes regions, districts,
    their first administrators and regional viewers, and sees nothing of a district's work."""
    return user.active and Role(user.role) is Role.DEPLOYMENT


def views_region(user: User) -> int | None:
    """The region whose figures *user* sees: a regional viewer's own, else None."""
    if user.active and Role(user.role) is Role.REGIONAL:
        return user.region_id
    return None


def may_manage_people(user: User) -> bool:
    """Tell whether *user* manages the staff of some agency: administrators (of the district's),
    coordinators (of their own)."""
    return user.active and Role(user.role) in (Role.ADMIN, Role.COORDINATOR)


def district_chairs(session: Session, district_id: int) -> Sequence[User]:
    """Return the district's active chairs (the deputy akim), by id."""
    district_agencies = select(col(Agency.id)).where(col(Agency.district_id) == district_id)
    return session.scalars(
        select(User)
        .where(col(User.active) == True)  # noqa: E712
        .where(col(User.role) == Role.CHAIR.value)
        .where(col(User.agency_id).in_(district_agencies))
        .order_by(col(User.id))
    ).all()
