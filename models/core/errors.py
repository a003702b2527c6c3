"""The domain error: what an operation refuses, and at which form field.

Every operation of ``models/`` that refuses its input or its user raises a subclass of
:class:`DomainError` with one signature, ``(message, field=None)``. The web shows it with one
helper (``web.formhelpers.show_error``); the CLI prints ``str()``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Self

__all__ = ["DomainError", "Refused"]


class DomainError(ValueError):
    """An operation refuses what it was asked.

    ``str()`` and ``message`` are an English message id, translated by whoever shows it;
    ``field`` names the form field it concerns (None: the form as a whole). An operation that
    reports every problem of a form at once raises :meth:`many`; ``errors`` then maps each
    field to its message, and ``message``/``field`` are the first. A single error's ``errors``
    is ``{field: message}``, so a reader of ``errors`` serves both.
    """

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.errors: dict[str | None, str] = {field: message}

    @classmethod
    def many(cls, errors: Mapping[str | None, str]) -> Self:
        """Return one error carrying every problem of *errors* (field to message id), in order.

        Raises:
          ValueError: *errors* is empty (there is nothing to refuse).
        """
        if not errors:
            raise ValueError("a domain error needs at least one message")
        field, message = next(iter(errors.items()))
        error = cls(message, field)
        error.errors = dict(errors)
        return error


class Refused(DomainError, PermissionError):
    """The acting user may not do this at all; a ``PermissionError`` too, for callers that
    answer 403 or 404 to any refusal of permission."""
