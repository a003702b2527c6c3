"""Who a user works for: the agency behind a sign-in, and whether it oversees the district."""

from __future__ import annotations

from sqlmodel import Session

from models.people.tables import Agency, AgencyKind, Role, User

__all__ = ["agency_of", "oversees_district"]


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
