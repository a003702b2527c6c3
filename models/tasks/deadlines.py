"""Statutory deadlines: the rules a case's facts call for become tasks due per the district's
working-day calendar; a calendar change recomputes the open ones."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Session, col

from calendars.workdays import Period, PeriodKind, WorkCalendar
from models.cases.access import JoinReason, add_agency_to_case
from models.cases.tables import Case
from models.core.audit import record_event
from models.core.base import require_id
from models.people.tables import Agency, User
from models.tasks.changes import task_changed
from models.tasks.escalation.planner import replan_district_tasks, replan_task_alerts
from models.tasks.tables import (
    RESPONSIBLE_LEAD,
    RESPONSIBLE_RECEIVING,
    RuleTrigger,
    StatutoryRule,
    Task,
    TaskOrigin,
    TaskStatus,
)
from models.workdays.calendar import district_calendar

__all__ = [
    "RuleGap",
    "apply_rules",
    "recompute_open_deadlines",
    "rule_gaps",
    "rule_period",
    "statutory_due",
]


@dataclass(frozen=True)
class RuleGap:
    """A rule that applies to a case but names an agency kind the district lacks."""

    rule: StatutoryRule

    @property
    def responsible(self) -> str:
        return self.rule.responsible


def rule_period(rule: StatutoryRule) -> Period:
    """Return the period of *rule* as the working-day calendar understands it."""
    return Period(PeriodKind(rule.period_kind), rule.period_days)


def _responsible_agency(session: Session, case: Case, rule: StatutoryRule) -> Agency | None:
    if rule.responsible == RESPONSIBLE_RECEIVING:
        return session.get(Agency, case.receiving_agency_id or case.lead_agency_id)
    if rule.responsible == RESPONSIBLE_LEAD:
        return session.get(Agency, case.lead_agency_id)
    return session.scalars(
        select(Agency)
        .where(col(Agency.district_id) == case.district_id)
        .where(col(Agency.kind) == rule.responsible)
        .order_by(col(Agency.id))
    ).first()


def _rules_for(session: Session, trigger: RuleTrigger) -> Sequence[StatutoryRule]:
    return session.scalars(
        select(StatutoryRule)
        .where(col(StatutoryRule.trigger) == trigger.value)
        .where(col(StatutoryRule.active) == True)  # noqa: E712
        .order_by(col(StatutoryRule.position), col(StatutoryRule.id))
    ).all()


def statutory_due(
    session: Session, district_id: int, trigger: RuleTrigger, counted_from: datetime
) -> list[tuple[StatutoryRule, datetime]]:
    """Return each active rule of *trigger* with the moment its task would be due, counted
    from *counted_from* on the district's calendar, as :func:`apply_rules` would count it."""
    calendar = district_calendar(session, district_id)
    return [
        (rule, calendar.due(counted_from, rule_period(rule)))
        for rule in _rules_for(session, trigger)
    ]


def apply_rules(
    session: Session,
    case: Case,
    trigger: RuleTrigger,
    *,
    counted_from: datetime,
    user: User | None,
    now: datetime,
    calendar: WorkCalendar | None = None,
) -> tuple[list[Task], list[RuleGap]]:
    """Create the tasks the active rules of *trigger* call for on *case*.

    Each task is due per the district's calendar, counted from *counted_from*, and assigned to
    the agency the rule names, which joins the case (it must see what it has to do). A rule
    whose agency the district lacks creates nothing and is returned as a gap, and audited.
    """
    calendar = calendar or district_calendar(session, case.district_id)
    case_id = require_id(case)
    tasks: list[Task] = []
    gaps: list[RuleGap] = []
    for rule in _rules_for(session, trigger):
        agency = _responsible_agency(session, case, rule)
        if agency is None:
            gaps.append(RuleGap(rule))
            record_event(
                session,
                user_id=user.id if user else None,
                action="case.rule_unassigned",
                object_type="case",
                object_id=case_id,
                detail=f"rule={rule.slug} responsible={rule.responsible}",
                at=now,
            )
            continue
        agency_id = require_id(agency)
        add_agency_to_case(session, user, case, agency, how=JoinReason.RULE, now=now)
        task = Task(
            district_id=case.district_id,
            case_id=case_id,
            rule_id=rule.id,
            origin=TaskOrigin.RULE.value,
            title=rule.title_ru,
            responsible_agency_id=agency_id,
            counted_from=counted_from,
            due_at=calendar.due(counted_from, rule_period(rule)),
            created_at=now,
            created_by_id=user.id if user else None,
        )
        session.add(task)
        session.flush()
        replan_task_alerts(session, task, calendar=calendar)
        tasks.append(task)
        record_event(
            session,
            user_id=user.id if user else None,
            action="task.created",
            object_type="task",
            object_id=task.id,
            detail=f"case={case.code} rule={rule.slug} agency={agency.slug} "
            f"due={task.due_at.isoformat()}",
            at=now,
        )
        task_changed(session, task, now=now, created=True)
    return tasks, gaps


def rule_gaps(session: Session, case: Case) -> list[RuleGap]:
    """Return the rules that apply to *case* today but whose agency its district lacks."""
    triggers = [RuleTrigger.REPORT_RECEIVED]
    if case.signs_of_offence:
        triggers.append(RuleTrigger.SIGNS_OF_OFFENCE)
    if case.child_removed:
        triggers.append(RuleTrigger.CHILD_REMOVED)
    covered = set(
        session.scalars(select(col(Task.rule_id)).where(col(Task.case_id) == case.id)).all()
    )
    gaps = []
    for trigger in triggers:
        for rule in _rules_for(session, trigger):
            if rule.id not in covered and _responsible_agency(session, case, rule) is None:
                gaps.append(RuleGap(rule))
    return gaps


def recompute_open_deadlines(
    session: Session, district_id: int, user: User | None, now: datetime
) -> list[Task]:
    """Recompute the due moments of the district's open rule-based tasks after its calendar
    changed; write the old and new due moment of each changed task to the audit trail.

    Runs in the caller's transaction (the override change and the recomputation commit
    together). Returns the tasks whose due moment moved.
    """
    calendar = district_calendar(session, district_id)
    rows = session.execute(
        select(Task, StatutoryRule)
        .join(StatutoryRule, col(Task.rule_id) == col(StatutoryRule.id))
        .where(col(Task.district_id) == district_id)
        .where(col(Task.status) == TaskStatus.OPEN.value)
        .where(col(Task.counted_from).is_not(None))
        .order_by(col(Task.id))
    ).all()
    moved = []
    for task, rule in rows:
        assert task.counted_from is not None
        due = calendar.due(task.counted_from, rule_period(rule))
        if due == task.due_at:
            continue
        record_event(
            session,
            user_id=user.id if user else None,
            action="task.due_recomputed",
            object_type="task",
            object_id=task.id,
            detail=f"old={task.due_at.isoformat()} new={due.isoformat()}",
            at=now,
        )
        task.due_at = due
        task_changed(session, task, now=now)
        moved.append(task)
    session.flush()
    # The ladder's moments follow the calendar too; emails planned for an old due are voided.
    replan_district_tasks(session, district_id)
    return moved
