from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlmodel import Session, SQLModel

from models.cases.tables import Case, CaseRestricted
from models.core.base import utcnow
from models.core.settings import Settings
from models.demo.district import DEMO_PASSWORD, load_demo
from models.demo.region import DEMO_REGION, SECOND_DISTRICT
from models.meetings.tables import Meeting, MeetingKind
from models.people.tables import Agency, AgencyKind, District, Region, User
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

    # The demo district (district 1); the region's second district is checked below.
    kinds = set(session.scalars(select(Agency.kind).where(Agency.district_id == 1)))
    assert {k.value for k in AgencyKind} - kinds <= {"ombudsman"}
    schools = select(Agency).where(Agency.kind == "school", Agency.district_id == 1)
    assert len(session.scalars(schools).all()) == 3
    assert {role for _, role, _ in logins} == {
        "admin",
        "chair",
        "coordinator",
        "member",
        "regional",
        "deployment",
    }
    assert {m.kind for m in session.scalars(select(Meeting))} == {k.value for k in MeetingKind}
    codes = session.scalars(select(Case.code).order_by(Case.code)).all()
    assert codes[0].startswith("BRL-") and codes[1] == "D-2026-0042" and len(codes) == 6
    assert {c.source for c in session.scalars(select(Case))} >= {
        "helpline_111",
        "police",
        "door_to_door",
        "school",
    }
    assert session.scalar(select(func.count()).select_from(CaseRestricted)) == 6
    now = utcnow()
    open_tasks = session.scalars(select(Task).where(Task.status == "open")).all()
    assert any(t.due_at < now for t in open_tasks)  # some overdue
    tomorrow = (now.astimezone(settings.zone) + timedelta(days=1)).date()
    assert any(t.due_at.astimezone(settings.zone).date() == tomorrow for t in open_tasks)
    assert any(t.status == "done" for t in session.scalars(select(Task)))
    chair = session.scalars(select(User).where(User.email == "deputy.akim@birge.example")).one()
    assert chair.check_password(DEMO_PASSWORD)
    assert {u.locale for u in session.scalars(select(User))} == {"ru", "kk"}
    # Every agency reads in English too; a Kazakh-speaking school writes its council in Kazakh.
    assert all(a.name_en for a in session.scalars(select(Agency)))
    assert session.scalars(
        select(Meeting.title).where(Meeting.title.startswith("Профилактика кеңесі"))
    ).all()


def test_the_demo_region_holds_a_second_district_with_its_own_police(
    session: Session, settings: Settings
) -> None:
    """The demo district is kept as it was and placed in West Kazakhstan Region, beside a
    second district with its own agencies (its own ``police`` and a school), people, a case
    with exactly one overdue task, and meetings; its logins are printed with the others."""
    logins = load_demo(session, settings)
    session.commit()
    region = session.scalars(select(Region)).one()
    assert (region.name_ru, region.name_kk) == DEMO_REGION
    first, second = session.scalars(select(District).order_by(District.id)).all()
    assert first.region_id == second.region_id == region.id
    assert (first.name_ru, first.case_prefix) == ("Байтерекский район", "D")
    assert (second.name_ru, second.name_kk, second.case_prefix) == SECOND_DISTRICT
    slugs = set(session.scalars(select(Agency.slug).where(Agency.district_id == second.id)))
    assert {"police", "akimat", "education"} <= slugs and any(s.startswith("school") for s in slugs)
    assert "police" in set(session.scalars(select(Agency.slug).where(Agency.district_id == 1)))
    emails = {email for email, _, _ in logins}
    assert {"admin@birge.example", "admin.burli@birge.example"} <= emails
    now = utcnow()
    open_tasks = session.scalars(
        select(Task).where(Task.district_id == second.id, Task.status == "open")
    ).all()
    assert len([t for t in open_tasks if t.due_at < now]) == 1
    year = now.astimezone(settings.zone).year
    codes = session.scalars(select(Case.code).where(Case.district_id == second.id)).all()
    assert codes == [f"BRL-{year}-0001"]
    assert len(session.scalars(select(Meeting).where(Meeting.district_id == second.id)).all()) == 2
