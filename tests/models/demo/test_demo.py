from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlmodel import Session, SQLModel

from models.cases.tables import Case, CaseRestricted
from models.core.base import utcnow
from models.core.settings import Settings
from models.demo.district import DEMO_PASSWORD, load_demo
from models.meetings.tables import Meeting, MeetingKind
from models.people.tables import Agency, AgencyKind, User
from models.tasks.tables import Task


def counts(session: Session) -> dict[str, int]:
    return {
        table.name: session.scalar(select(func.count()).select_from(table)) or 0
        for table in SQLModel.metadata.sorted_tables
    }


def test_demo_district_is_complete_and_loads_idempotently(
    session: Session, settings: Settings
) -> None:
    logins = load_demo(session, settings)
    session.commit()
    first = counts(session)
    load_demo(session, settings)
    session.commit()
    assert counts(session) == first

    kinds = set(session.scalars(select(Agency.kind)))
    assert {k.value for k in AgencyKind} - kinds <= {"ombudsman"}
    assert len(session.scalars(select(Agency).where(Agency.kind == "school")).all()) == 3
    assert {role for _, role, _ in logins} == {"admin", "chair", "coordinator", "member"}
    assert {m.kind for m in session.scalars(select(Meeting))} == {k.value for k in MeetingKind}
    codes = session.scalars(select(Case.code).order_by(Case.code)).all()
    assert codes[0] == "D-2026-0042" and len(codes) == 5
    assert {c.source for c in session.scalars(select(Case))} >= {
        "helpline_111",
        "police",
        "door_to_door",
        "school",
    }
    assert session.scalar(select(func.count()).select_from(CaseRestricted)) == 5
    now = utcnow()
    open_tasks = session.scalars(select(Task).where(Task.status == "open")).all()
    assert any(t.due_at < now for t in open_tasks)  # some overdue
    tomorrow = (now.astimezone(settings.zone) + timedelta(days=1)).date()
    assert any(t.due_at.astimezone(settings.zone).date() == tomorrow for t in open_tasks)
    assert any(t.status == "done" for t in session.scalars(select(Task)))
    chair = session.scalars(select(User).where(User.role == "chair")).one()
    assert chair.check_password(DEMO_PASSWORD)
    assert {u.locale for u in session.scalars(select(User))} == {"ru", "kk"}
    # Every agency reads in English too; a Kazakh-speaking school writes its council in Kazakh.
    assert all(a.name_en for a in session.scalars(select(Agency)))
    assert session.scalars(
        select(Meeting.title).where(Meeting.title.startswith("Профилактика кеңесі"))
    ).all()
