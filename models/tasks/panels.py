"""The task panels of the home page: my agency's open and overdue tasks; for those who
oversee the district, overdue tasks by agency and each agency's on-time rate over 90 days.

Every query is an aggregate or a short page over the task indexes
(``ix_task_agency_status_due``, ``ix_task_district_status_due``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, select
from sqlmodel import Session, col

from models.cases.tables import Case
from models.people.tables import Agency, User
from models.tasks.queries import done_on_time, is_open, overdue
from models.tasks.tables import Task, TaskStatus

__all__ = ["AgencyTaskRecord", "AgencyTasks", "DistrictTasks", "agency_tasks", "district_tasks"]

ON_TIME_WINDOW = timedelta(days=90)


@dataclass(frozen=True)
class AgencyTasks:
    """My agency's open tasks: how many, how many overdue, the most pressing few."""

    open: int
    overdue: int
    pressing: Sequence[tuple[Task, str | None]]  # (task, case code), soonest due first


@dataclass(frozen=True)
class AgencyTaskRecord:
    agency: Agency
    overdue: int
    due_in_window: int
    on_time: int

    @property
    def on_time_percent(self) -> int | None:
        """Share of the tasks due in the last 90 days done by their deadline; None if none."""
        if not self.due_in_window:
            return None
        return round(100 * self.on_time / self.due_in_window)


@dataclass(frozen=True)
class DistrictTasks:
    days: int
    by_agency: list[AgencyTaskRecord]

    @property
    def overdue(self) -> int:
        return sum(r.overdue for r in self.by_agency)

    @property
    def on_time_percent(self) -> int | None:
        """Share of the district's tasks due in the last 90 days done by their deadline;
        None if none was due."""
        due = sum(r.due_in_window for r in self.by_agency)
        if not due:
            return None
        return round(100 * sum(r.on_time for r in self.by_agency) / due)


def agency_tasks(session: Session, user: User, *, now: datetime, limit: int = 5) -> AgencyTasks:
    """Count *user*'s agency's open and overdue tasks and list the *limit* soonest due."""
    mine = and_(col(Task.responsible_agency_id) == user.agency_id, is_open())
    total, late = session.execute(
        select(func.count(), func.count().filter(overdue(now))).where(mine)
    ).one()
    rows = session.execute(
        select(Task, col(Case.code))
        .outerjoin(Case, col(Case.id) == col(Task.case_id))
        .where(mine)
        .order_by(col(Task.due_at), col(Task.id))
        .limit(limit)
    ).all()
    return AgencyTasks(
        open=total or 0, overdue=late or 0, pressing=[(task, code) for task, code in rows]
    )


def district_tasks(session: Session, user: User, *, now: datetime) -> DistrictTasks:
    """Per agency of *user*'s district: open tasks overdue now, and of the tasks due in the
    last 90 days (cancelled ones aside) how many were done by their deadline."""
    own = session.get(Agency, user.agency_id)
    assert own is not None
    district = col(Task.district_id) == own.district_id
    late = dict(
        session.execute(
            select(col(Task.responsible_agency_id), func.count())
            .where(district)
            .where(overdue(now))
            .group_by(col(Task.responsible_agency_id))
        ).all()
    )
    record = {
        agency_id: (due, on_time)
        for agency_id, due, on_time in session.execute(
            select(
                col(Task.responsible_agency_id),
                func.count(),
                func.count().filter(done_on_time()),
            )
            .where(district)
            .where(col(Task.status) != TaskStatus.CANCELLED.value)
            .where(col(Task.due_at) >= now - ON_TIME_WINDOW)
            .where(col(Task.due_at) < now)
            .group_by(col(Task.responsible_agency_id))
        ).all()
    }
    agencies = session.scalars(
        select(Agency).where(col(Agency.district_id) == own.district_id).order_by(col(Agency.id))
    )
    rows = [
        AgencyTaskRecord(
            agency=agency,
            overdue=late.get(agency.id, 0),
            due_in_window=record.get(agency.id, (0, 0))[0],
            on_time=record.get(agency.id, (0, 0))[1],
        )
        for agency in agencies
    ]
    rows = [r for r in rows if r.overdue or r.due_in_window]
    rows.sort(key=lambda r: (-r.overdue, r.agency.id or 0))
    return DistrictTasks(days=ON_TIME_WINDOW.days, by_agency=rows)
