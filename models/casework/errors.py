"""The error of the case operations."""

from __future__ import annotations

from models.core.errors import DomainError

__all__ = ["CaseError"]


class CaseError(DomainError):
    """The case cannot be changed as asked."""
