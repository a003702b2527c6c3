"""Change and close open cases: set a flag (with the tasks its rules call for), hand the case to
another lead agency, close it. Each checks need-to-know through :mod:`models.cases.access`,
writes its audit row in the caller's transaction and returns the webhook events it wrote."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlmodel import Session, col

from models.cases.access import (
    JoinReason,
    add_agency_to_case,
    may_change_case,
    may_choose_lead_agency,
)
from models.cases.tables import Case, CaseAgency, CaseFlag, CaseStatus
from models.casework.errors import CaseError
from models.casework.operations import OpenedCase
from models.core.audit import record_event
from models.core.base import require_id
from models.core.i18n import N_
from models.core.text import CONTROL_CHARACTERS_MESSAGE, has_forbidden_controls
from models.integrations.webhooks import announce_case_closed, announce_lead_agency_chosen
from models.outbox.notifications import Notification
from models.people.tables import Agency, User
from models.tasks.deadlines import apply_rules
from models.tasks.tables import RuleTrigger, Task, TaskStatus

__all__ = ["MAX_REASON_LENGTH", "choose_lead_agency", "close_case", "set_case_flag"]

MAX_REASON_LENGTH = 500


def set_case_flag(
    session: Session, user: User, case: Case, flag: CaseFlag, *, now: datetime
) -> OpenedCase:
    """Set *flag* on *case* and create the tasks its rules call for, counted from *now*.

    Setting a flag that is already set changes nothing. Raises CaseError when *user* may not.
    """
    if not may_change_case(session, user, case):
        raise CaseError(N_("You may not change this case."))
    if case.status != CaseStatus.OPEN:
        raise CaseError(N_("The case is closed."))
    result = OpenedCase(case)
    if case.flag(flag):
        return result
    setattr(case, flag.value, True)
    session.add(case)
    record_event(
        session,
        user_id=user.id,
        action="case.flag_set",
        object_type="case",
        object_id=case.id,
        detail=f"code={case.code} flag={flag.value}",
        at=now,
    )
    result.tasks, result.gaps = apply_rules(
        session, case, RuleTrigger(flag.value), counted_from=now, user=user, now=now
    )
    return result


def choose_lead_agency(
    session: Session, user: User, case: Case, agency: Agency, *, now: datetime
) -> list[Notification]:
    """Make *agency* the lead agency of the open *case*: the chair, or a coordinator of the
    agency that leads it now. The new lead joins the case (:func:`add_agency_to_case`), the
    former one keeps working on it. Audited as ``case.lead_agency_chosen``.

    Only the choice is recorded: the statutory task of choosing the lead agency
    (``lead-agency-to-akimat``) is completed by its agency as any task is.

    Returns the ``case.lead_agency_chosen`` event written for the webhook of the integration
    that opened the case, if it has one, for the caller to nudge the workers with.

    Raises:
      CaseError: *user* may not choose, the case is closed, or *agency* is not of the district
        or leads the case already.
    """
    if not may_choose_lead_agency(session, user, case):
        raise CaseError(N_("You may not choose the lead agency of this case."))
    if case.status != CaseStatus.OPEN:
        raise CaseError(N_("The case is closed."))
    if agency.district_id != case.district_id:
        raise CaseError(N_("Choose an agency of the district."), "lead_agency")
    if agency.id == case.lead_agency_id:
        raise CaseError(N_("This agency leads the case already."), "lead_agency")
    former = session.get(Agency, case.lead_agency_id)
    assert former is not None
    # Joined while the former lead still leads: the one rule for joining a case asks it.
    add_agency_to_case(session, user, case, agency, how=JoinReason.MANUAL, now=now)
    if session.get(CaseAgency, (case.id, former.id)) is None:
        # The former lead keeps the knowledge of the case it led (a case opened before leads
        # were also listed among its agencies).
        session.add(CaseAgency(case_id=require_id(case), agency_id=require_id(former)))
    case.lead_agency_id = require_id(agency)
    session.add(case)
    record_event(
        session,
        user_id=user.id,
        action="case.lead_agency_chosen",
        object_type="case",
        object_id=case.id,
        detail=f"code={case.code} from={former.slug} to={agency.slug}",
        at=now,
    )
    session.flush()
    event = announce_lead_agency_chosen(session, case, agency, now=now)
    return [event] if event is not None else []


def close_case(
    session: Session, user: User, case: Case, *, reason: str, now: datetime
) -> list[Notification]:
    """Close *case* with *reason*, once every task of it is done or cancelled.

    Returns the ``case.closed`` event written for the webhook of the integration that opened
    the case, if it has one, for the caller to nudge the workers with once committed.
    """
    if not may_change_case(session, user, case):
        raise CaseError(N_("You may not change this case."))
    reason = " ".join(reason.split())
    if not reason:
        raise CaseError(N_("Give the reason for closing the case."), "reason")
    if len(reason) > MAX_REASON_LENGTH:
        raise CaseError(N_("This text is too long."), "reason")
    if has_forbidden_controls(reason):
        raise CaseError(CONTROL_CHARACTERS_MESSAGE, "reason")
    if case.status != CaseStatus.OPEN:
        raise CaseError(N_("The case is closed."))
    open_tasks = session.scalar(
        select(func.count())
        .select_from(Task)
        .where(col(Task.case_id) == case.id)
        .where(col(Task.status) == TaskStatus.OPEN.value)
    )
    if open_tasks:
        raise CaseError(N_("A case closes only when all its tasks are done or cancelled."))
    case.status = CaseStatus.CLOSED.value
    case.closed_at = now
    case.closed_reason = reason
    session.add(case)
    record_event(
        session,
        user_id=user.id,
        action="case.closed",
        object_type="case",
        object_id=case.id,
        detail=f"code={case.code}",
        at=now,
    )
    session.flush()
    event = announce_case_closed(session, case, now=now)
    return [event] if event is not None else []
