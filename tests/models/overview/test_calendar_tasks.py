"""The calendar window: meetings and task deadlines share one cap, the earliest kept."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session

from models.overview import calendar as calendar_tasks
from models.overview import calendar_meetings as calendar_view
from models.overview.calendar import TASK_DEADLINE, calendar_window
from models.tasks.tables import Task
from tests.factories import District, add_meetings, in_days


def test_meetings_and_deadlines_share_the_cap_and_the_earliest_are_kept(
    session: Session, district: District, monkeypatch: pytest.MonkeyPatch
) -> None:
    for module in (calendar_view, calendar_tasks):
        monkeypatch.setattr(module, "MAX_CALENDAR_EVENTS", 5)
    add_meetings(session, district, 4)  # 10:00, 11:00, 12:00, 13:00 in Almaty tomorrow
    for minutes in (30, 90, 150, 210):  # 10:30, 11:30, 12:30, 13:30
        session.add(
            Task(
                district_id=district.row.id,  # type: ignore[arg-type]
                title=f"Задача {minutes}",
                responsible_agency_id=district.police.id,  # type: ignore[arg-type]
                due_at=in_days(1) + timedelta(minutes=minutes),
            )
        )
    session.commit()
    start, end, now = in_days(0), in_days(3), in_days(0)
    window = calendar_window(session, district.inspector, start=start, end=end, now=now)
    assert [m.title for m in window.meetings] == [
        "Обследование 000",
        "Обследование 001",
        "Обследование 002",
    ]
    assert [t.title for t in window.tasks] == ["Задача 30", "Задача 90"]
    # One kind alone has the whole cap; an unknown kind is no filter.
    tasks_only = calendar_window(
        session, district.inspector, start=start, end=end, now=now, kinds=[TASK_DEADLINE]
    )
    assert (len(tasks_only.meetings), len(tasks_only.tasks)) == (0, 4)
    meetings_only = calendar_window(
        session, district.inspector, start=start, end=end, now=now, kinds=["joint_inspection"]
    )
    assert (len(meetings_only.meetings), len(meetings_only.tasks)) == (4, 0)
    unknown = calendar_window(
        session, district.inspector, start=start, end=end, now=now, kinds=["x"]
    )
    assert len(unknown.meetings) + len(unknown.tasks) == 5
    with pytest.raises(ValueError):
        calendar_window(
            session, district.inspector, start=end, end=start, now=now, kinds=[TASK_DEADLINE]
        )
