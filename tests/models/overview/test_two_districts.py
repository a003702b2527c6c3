"""The chair's dashboard on a deployment of two districts with the same agency slugs: each
chair sees their own district's overdue tasks and on-time rate, counted and kept per district,
and never another district's tasks, case codes or titles, on the home page either."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlmodel import Session

from models.core.base import utcnow
from models.core.settings import Settings
from models.overview.dashboard import OverviewCache, dashboard_for
from models.people.tables import Agency
from models.tasks.operations import complete_task, create_task
from tests.factories import District, in_days, login, logout, make_district, schedule


def add_task(
    session: Session,
    settings: Settings,
    district: District,
    agency: Agency,
    title: str,
    *,
    due: float,
    done: float | None = None,
    case: bool = True,
) -> None:
    """A task given by the chair 20 days ago, due *due* days from now, done *done* days from
    now if given."""
    task = create_task(
        session,
        district.chair,
        settings=settings,
        title=title,
        agency_id=agency.id or 0,
        due_at=in_days(due),
        now=in_days(-20),
        case=district.case if case else None,
    )
    if done is not None:
        complete_task(session, district.chair, task, note="Выполнено", now=in_days(done))


def two_districts(session: Session, settings: Settings, district: District) -> District:
    """District 1 ("Альфа"): three overdue tasks (two of the police, one of the akimat) and one
    done on time, 1 of 4 due on time (25%), and a joint inspection in 3 days. District 2
    ("Бета"): one overdue task of education and one done late, 0 of 2 on time; its akimat has
    one task, not yet due."""
    other = make_district(session, "-2")
    one, two = district, other
    add_task(session, settings, one, one.police, "Альфа: обследовать семью", due=-3)
    add_task(session, settings, one, one.police, "Альфа: опросить соседей", due=-2)
    add_task(session, settings, one, one.akimat, "Альфа: протокол акимата", due=-1)
    add_task(session, settings, one, one.education, "Альфа: справка", due=-5, done=-6)
    add_task(session, settings, two, two.education, "Бета: подготовить заключение", due=-2)
    add_task(session, settings, two, two.police, "Бета: рапорт", due=-4, done=-3)
    add_task(session, settings, two, two.akimat, "Бета: протокол акимата", due=3, case=False)
    schedule(session, settings, one, title="Альфа: обследование условий")  # in 3 days
    session.commit()
    return other


def test_each_chair_sees_their_own_districts_overdue_tasks_and_on_time_rate(
    session: Session, settings: Settings, district: District
) -> None:
    other = two_districts(session, settings, district)
    now = utcnow().replace(second=0)
    cache = OverviewCache()  # one per web process: both chairs' pages count through it
    first = dashboard_for(session, district.chair, now=now, cache=cache)
    second = dashboard_for(session, other.chair, now=now, cache=cache)  # the same minute
    assert first.district_tasks is not None and second.district_tasks is not None
    assert (first.district_tasks.overdue, first.district_tasks.on_time_percent) == (3, 25)
    record = second.district_tasks
    assert (record.overdue, record.on_time_percent) == (1, 0)
    assert [(r.agency.id, r.overdue, r.due_in_window, r.on_time) for r in record.by_agency] == [
        (other.education.id, 1, 1, 0),
        (other.police.id, 0, 1, 0),
    ]
    assert second.tasks is not None  # the chair's own agency: district 2's akimat
    assert (second.tasks.open, second.tasks.overdue) == (1, 0)
    assert [(t.title, code) for t, code in second.tasks.pressing] == [
        ("Бета: протокол акимата", None)
    ]
    assert second.overview is not None
    assert {load.agency.id for load in second.overview.by_agency} == {
        a.id for a in (other.akimat, other.education, other.police, other.school)
    }


def test_the_home_page_shows_a_chair_their_own_districts_tasks_only(
    client: FlaskClient, session: Session, settings: Settings, district: District
) -> None:
    other = two_districts(session, settings, district)
    other.chair.locale = "en"
    session.add(other.chair)
    session.commit()
    # District 1's chair looks first: the counts kept for the minute are theirs (the test
    # above holds the minute still; here the two pages may fall in two minutes).
    login(client, district.chair.email)
    page = client.get("/").get_data(as_text=True)
    assert "Альфа: протокол акимата" in page and "D-2026-0042" in page
    assert "Альфа: обследование условий" in page  # the district's coming meeting
    logout(client)
    login(client, other.chair.email)
    page = client.get("/").get_data(as_text=True)
    assert "Бета: протокол акимата" in page  # the chair's own agency's task
    for foreign in ("Альфа", "D-2026-0042"):
        assert foreign not in page, foreign
    record = page[page.index('class="district-record"') :]
    record = record[: record.index("</section>")]
    assert re.search(r"Overdue in the district</dt><dd><a [^>]*>1</a>", record), record
    assert re.search(r"Done on time over the last 90 days</dt><dd>0%</dd>", record), record
    linked = {int(i) for i in re.findall(r"agency=(\d+)", record)}
    assert linked == {other.education.id}  # its one agency with overdue tasks
