"""A case's restricted part, the child-identifying details: checked, written with the case or
changed later, and read only by those who need to know, every view and change audited (which
fields, never what)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session

from models.cases.access import may_read_restricted
from models.cases.tables import Case, CaseRestricted
from models.casework.errors import CaseError
from models.core.audit import record_event
from models.core.base import require_id
from models.core.i18n import N_
from models.core.text import CONTROL_CHARACTERS_MESSAGE, has_forbidden_controls
from models.integrations.tokens import Integration
from models.people.tables import User

__all__ = ["RestrictedDetails", "read_restricted", "update_restricted", "write_restricted"]

_RESTRICTED_LIMITS = {"child_name": 200, "address": 300, "school_class": 200, "notes": 2000}


@dataclass(frozen=True)
class RestrictedDetails:
    """The child-identifying details as entered; lengths are checked by :func:`check`."""

    child_name: str = ""
    birth_date: date | None = None
    address: str = ""
    school_class: str = ""
    notes: str = ""

    def check(self, today: date) -> None:
        for name, limit in _RESTRICTED_LIMITS.items():
            if len(getattr(self, name)) > limit:
                raise CaseError(N_("This text is too long."), name)
            if has_forbidden_controls(getattr(self, name), multiline=name == "notes"):
                raise CaseError(CONTROL_CHARACTERS_MESSAGE, name)
        if self.birth_date is not None and not (date(1990, 1, 1) <= self.birth_date <= today):
            raise CaseError(N_("Enter a birth date that is not in the future."), "birth_date")


def read_restricted(
    session: Session, user: User, case: Case, *, now: datetime
) -> CaseRestricted | None:
    """Return the restricted part of *case* for *user*, auditing the view.

    Raises CaseError when *user* may not read it (the refusal is audited too).
    """
    if not may_read_restricted(session, user, case):
        record_event(
            session,
            user_id=user.id,
            action="case.restricted_refused",
            object_type="case",
            object_id=case.id,
            detail=f"code={case.code}",
            at=now,
        )
        raise CaseError(N_("You may not see the child's details of this case."))
    record_event(
        session,
        user_id=user.id,
        action="case.restricted_viewed",
        object_type="case",
        object_id=case.id,
        detail=f"code={case.code}",
        at=now,
    )
    return session.get(CaseRestricted, case.id)


def update_restricted(
    session: Session, user: User, case: Case, details: RestrictedDetails, *, now: datetime
) -> CaseRestricted:
    """Replace the restricted part of *case* with *details*; audited (which fields, not what)."""
    if not may_read_restricted(session, user, case):
        raise CaseError(N_("You may not see the child's details of this case."))
    details.check(now.date())
    return write_restricted(session, user, case, details, now=now)


def write_restricted(
    session: Session,
    by: User | Integration,
    case: Case,
    details: RestrictedDetails,
    *,
    now: datetime,
) -> CaseRestricted:
    """Store *details* as the restricted part of *case*, by a person or an integration; the
    caller has checked them (:meth:`RestrictedDetails.check`) and its right to."""
    row = session.get(CaseRestricted, case.id) or CaseRestricted(case_id=require_id(case))
    changed = [
        name
        for name in ("child_name", "birth_date", "address", "school_class", "notes")
        if getattr(row, name) != getattr(details, name)
    ]
    for name in ("child_name", "birth_date", "address", "school_class", "notes"):
        value = getattr(details, name)
        setattr(row, name, value.strip() if isinstance(value, str) else value)
    row.updated_at = now
    row.updated_by_id = by.id if isinstance(by, User) else None
    session.add(row)
    record_event(
        session,
        user_id=by.id if isinstance(by, User) else None,
        integration_id=by.id if isinstance(by, Integration) else None,
        action="case.restricted_changed",
        object_type="case",
        object_id=case.id,
        detail=f"code={case.code} fields={','.join(changed)}",
        at=now,
    )
    session.flush()
    return row
