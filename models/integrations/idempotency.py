"""Requests already answered: an ``Idempotency-Key`` remembered with a hash of its request and
the case it made, behind a unique constraint, so that a repeat, even one arriving at the same
moment as the first, finds the first case instead of making a second."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy import String, UniqueConstraint, select
from sqlmodel import Field, Session, SQLModel, col

from models.cases.tables import Case
from models.core.base import utc_field, utcnow
from models.integrations.tokens import Integration

__all__ = ["IdempotencyKey", "earlier_answer", "is_valid_key", "remember", "request_hash"]

MAX_KEY_LENGTH = 200


class IdempotencyKey(SQLModel, table=True):
    """An integration's key for one request, the hash of that request and the case it made."""

    __tablename__ = "idempotency_key"
    __table_args__ = (
        UniqueConstraint("integration_id", "key", name="uq_idempotency_key_integration_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    integration_id: int = Field(foreign_key="integration.id", ondelete="CASCADE")
    key: str = Field(sa_type=String(MAX_KEY_LENGTH))
    request_hash: str = Field(sa_type=String(64))
    case_id: int = Field(foreign_key="case_file.id", ondelete="CASCADE")
    created_at: datetime = utc_field(default_factory=utcnow)


def is_valid_key(key: str) -> bool:
    """Tell whether *key* may be an ``Idempotency-Key``: 1 to 200 printable characters."""
    return 0 < len(key) <= MAX_KEY_LENGTH and key.isprintable()


def request_hash(body: Any) -> str:
    """A SHA-256 of the request's parsed body, independent of key order and spacing."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def earlier_answer(session: Session, integration: Integration, key: str) -> tuple[str, Case] | None:
    """The request hash and case remembered under *key* for *integration*, if any."""
    found = session.execute(
        select(col(IdempotencyKey.request_hash), Case)
        .join(Case, col(Case.id) == col(IdempotencyKey.case_id))
        .where(col(IdempotencyKey.integration_id) == integration.id)
        .where(col(IdempotencyKey.key) == key)
    ).first()
    return (found[0], found[1]) if found is not None else None


def remember(
    session: Session,
    integration: Integration,
    key: str,
    digest: str,
    case: Case,
    *,
    now: datetime,
) -> None:
    """Remember *key* as the request (hashed *digest*) that made *case*, in the caller's
    transaction: a concurrent request with the same key fails on the unique constraint."""
    session.add(
        IdempotencyKey(
            integration_id=integration.id,  # type: ignore[arg-type]
            key=key,
            request_hash=digest,
            case_id=case.id,  # type: ignore[arg-type]
            created_at=now,
        )
    )
    session.flush()
