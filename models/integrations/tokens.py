"""Integration tokens: one per system that calls the API, bound to one district, with scopes.

A token is ``birge_`` and 43 random characters, shown once when it is made; the table keeps a
SHA-256 of it, so the database alone never reveals a working token. A token is named (the name
is what the audit trail and the administrator's page show), revoked by name, and limited to a
number of requests a minute.
"""

from __future__ import annotations

import hashlib
import math
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import String, case, or_, select, update
from sqlmodel import Field, Session, SQLModel, col

from models.core.audit import record_event
from models.core.base import require_id, utc_field, utcnow
from models.core.errors import DomainError
from models.core.i18n import N_
from models.core.text import has_forbidden_controls
from models.people.access import administers_district
from models.people.tables import District, User

__all__ = [
    "NAME_PATTERN",
    "Integration",
    "IntegrationError",
    "IssuedToken",
    "Scope",
    "authenticate",
    "create_integration",
    "integrations",
    "live_integration",
    "may_manage_integrations",
    "revoke_integration",
    "take_request",
]

TOKEN_PREFIX = "birge_"  # noqa: S105 (a prefix, not a secret)
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
#: The length of a rate-limit window.
WINDOW = timedelta(minutes=1)


class Scope(StrEnum):
    """What a token may do."""

    REPORTS_WRITE = "reports:write"
    REPORTS_READ = "reports:read"


class IntegrationError(DomainError):
    """The integration cannot be made or changed as asked."""


class Integration(SQLModel, table=True):
    """A system that calls the API with a token of its own, for one district."""

    __tablename__ = "integration"

    id: int | None = Field(default=None, primary_key=True)
    district_id: int = Field(foreign_key="district.id", index=True)
    name: str = Field(sa_type=String(64), unique=True)
    token_hash: str = Field(sa_type=String(64), unique=True)
    #: Space-separated :class:`Scope` values.
    scopes: str = Field(sa_type=String(100))
    created_at: datetime = utc_field(default_factory=utcnow)
    revoked_at: datetime | None = utc_field(default=None, nullable=True)
    last_used_at: datetime | None = utc_field(default=None, nullable=True)
    #: The current rate-limit window and the requests counted in it.
    window_started_at: datetime | None = utc_field(default=None, nullable=True)
    window_requests: int = Field(default=0)
    #: Where Birge posts the events of the cases this integration opened (None: nowhere), and
    #: the Standard Webhooks secret (``whsec_`` + base64) they are signed with; see
    #: :mod:`models.integrations.webhooks`.
    webhook_url: str | None = Field(default=None, sa_type=String(254), nullable=True)
    webhook_secret: str | None = Field(default=None, sa_type=String(100), nullable=True)

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def allows(self, scope: Scope) -> bool:
        return scope.value in self.scopes.split()

    @property
    def audit_name(self) -> str:
        """How the audit trail names what this integration did."""
        return f"integration:{self.name}"


@dataclass(frozen=True)
class IssuedToken:
    integration: Integration
    #: The token itself: shown once, never stored.
    token: str


def may_manage_integrations(user: User) -> bool:
    """Tell whether *user* may make and revoke the district's integration tokens: its
    administrators (``birge api-token`` does it for the deployment)."""
    return administers_district(user)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_integration(
    session: Session,
    *,
    name: str,
    district_id: int,
    scopes: Iterable[Scope] = (),
    user_id: int | None = None,
    now: datetime | None = None,
) -> IssuedToken:
    """Make an integration and its token (both scopes when none is named). Audited; flushes.

    Raises:
      IntegrationError: the name is malformed or taken, or the district does not exist.
    """
    now = now or utcnow()
    name = name.strip()
    if has_forbidden_controls(name) or not NAME_PATTERN.match(name):
        raise IntegrationError(
            N_("A name is 1 to 64 small Latin letters, digits, dots, dashes or underscores."),
            "name",
        )
    if session.scalars(select(Integration).where(col(Integration.name) == name)).first():
        raise IntegrationError(N_("An integration with this name exists already."), "name")
    if session.get(District, district_id) is None:
        raise IntegrationError(N_("No such district."), "district")
    chosen = list(dict.fromkeys(scopes)) or list(Scope)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    integration = Integration(
        district_id=district_id,
        name=name,
        token_hash=_hash(token),
        scopes=" ".join(s.value for s in chosen),
        created_at=now,
    )
    session.add(integration)
    session.flush()
    record_event(
        session,
        user_id=user_id,
        action="integration.created",
        object_type="integration",
        object_id=integration.id,
        detail=f"name={name} district={district_id} scopes={integration.scopes}",
        at=now,
    )
    return IssuedToken(integration, token)


def integrations(session: Session, district_id: int | None = None) -> Sequence[Integration]:
    """The integrations (of *district_id*, or all), by name."""
    query = select(Integration).order_by(col(Integration.name))
    if district_id is not None:
        query = query.where(col(Integration.district_id) == district_id)
    return session.scalars(query).all()


def revoke_integration(
    session: Session,
    name: str,
    *,
    district_id: int | None = None,
    user_id: int | None = None,
    now: datetime | None = None,
) -> Integration:
    """Revoke the token of the integration *name* (of *district_id*, when given): it is
    refused from now on. Audited; flushes.

    Raises:
      IntegrationError: no live integration has that name.
    """
    now = now or utcnow()
    integration = live_integration(session, name, district_id)
    integration.revoked_at = now
    session.add(integration)
    record_event(
        session,
        user_id=user_id,
        action="integration.revoked",
        object_type="integration",
        object_id=integration.id,
        detail=f"name={integration.name}",
        at=now,
    )
    session.flush()
    return integration


def live_integration(session: Session, name: str, district_id: int | None = None) -> Integration:
    """The integration named *name* (of *district_id*, when given), if its token is live.

    Raises:
      IntegrationError: no live integration has that name.
    """
    query = select(Integration).where(col(Integration.name) == name.strip())
    if district_id is not None:
        query = query.where(col(Integration.district_id) == district_id)
    integration = session.scalars(query).first()
    if integration is None or not integration.active:
        raise IntegrationError(N_("No live integration has this name."), "name")
    return integration


def authenticate(session: Session, token: str) -> Integration | None:
    """Return the live integration *token* belongs to, or None (unknown or revoked)."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        return None
    integration = session.scalars(
        select(Integration).where(col(Integration.token_hash) == _hash(token))
    ).first()
    if integration is None or not integration.active:
        return None
    return integration


def take_request(
    session: Session, integration: Integration, *, per_minute: int, now: datetime | None = None
) -> int | None:
    """Count one request of *integration* and note when it was last used; return in how many
    seconds it may try again if it has used up its *per_minute* requests (the request is then
    not counted), else None. One conditional UPDATE (a fresh window or room in this one), so
    concurrent requests count exactly.
    Commits nothing."""
    now = now or utcnow()
    i = Integration
    integration_id = require_id(integration)
    expired = or_(col(i.window_started_at).is_(None), col(i.window_started_at) <= now - WINDOW)
    counted = session.connection().execute(
        update(i)
        .where(col(i.id) == integration_id, or_(expired, col(i.window_requests) < per_minute))
        .values(
            window_started_at=case((expired, now), else_=col(i.window_started_at)),
            window_requests=case((expired, 1), else_=col(i.window_requests) + 1),
            last_used_at=now,
        )
    )
    if counted.rowcount:
        return None
    started = session.scalar(select(col(i.window_started_at)).where(col(i.id) == integration_id))
    if started is None:  # reset meanwhile by a concurrent request: let this one through
        return None
    if started.tzinfo is None:
        started = started.replace(tzinfo=now.tzinfo)
    return max(1, math.ceil((started + WINDOW - now).total_seconds()))
