"""Find a person's account by the address they give: sign-in, password links and the checks
that no two accounts share an address all look it up here."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlmodel import Session, col

from models.people.tables import User

__all__ = ["user_with_email"]


def user_with_email(session: Session, email: str) -> User | None:
    """Return the account (active or not) whose address is *email*, if any: addresses match
    whatever their case and the spaces around them."""
    wanted = email.strip().lower()
    return session.scalars(select(User).where(func.lower(col(User.email)) == wanted)).first()
