"""Above the districts: a regional viewer sees its region's districts side by side, counts
only, and nothing of any district; a deployment administrator makes districts and their first
administrators and regional viewers, and sees nothing of a district's work either."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlmodel import Session

from models.core.audit import AuditEvent
from models.core.settings import Settings
from models.outbox.notifications import Notification
from models.people.tables import District, Region, User
from tests.factories import (
    CHILD,
    csrf_token,
    in_days,
    login,
    make_district,
    make_overseer,
    open_test_case,
    schedule,
)
from tests.factories import (
    District as Staffed,
)

#: Where an account above the districts may go: its pages, its account, and the health
#: checks and icon that answer anybody alike.
OWN = ("/region", "/deployment", "/account", "/login", "/logout", "/locale", "/password")
ANYBODY = ("/healthz", "/favicon.ico", "/metrics")


def _region_of_two(
    session: Session, settings: Settings, first: Staffed
) -> tuple[Region, Staffed, list[str]]:
    """The test district and a second one in a region, each with a case, its statutory tasks
    (one overdue) and a meeting; return what must never show above the districts."""
    region = Region(name_ru="Западно-Казахстанская область", name_kk="Батыс Қазақстан облысы")
    session.add(region)
    session.flush()
    second = make_district(session, "-2")
    first.row.region_id = second.row.region_id = region.id
    first.row.name_ru, second.row.name_ru = "Альфа район", "Бета район"
    secrets = [CHILD.child_name, CHILD.address]
    for d in (first, second):
        opened = open_test_case(session, d, user=d.coordinator)
        for task in opened.tasks:
            task.due_at = in_days(5)
        opened.tasks[0].due_at = in_days(-2)  # overdue
        scheduled = schedule(session, settings, d, title=f"Обследование {d.row.name_ru}")
        secrets += [
            opened.case.code,
            d.case.code,
            scheduled.meeting.title,
            d.chair.full_name,
            d.chair.email,
            d.police.name_ru,
            opened.tasks[0].title,
        ]
    session.commit()
    return region, second, secrets


def test_the_regional_viewer_sees_each_districts_counts_and_nothing_to_open(
    app: Flask, client: FlaskClient, session: Session, settings: Settings, district: Staffed
) -> None:
    region, _second, secrets = _region_of_two(session, settings, district)
    other = Region(name_ru="Акмолинская область", name_kk="Ақмола облысы")
    session.add(other)
    session.flush()
    third = make_district(session, "-3", "C")
    third.row.region_id, third.row.name_ru = other.id, "Гамма район"
    make_overseer(session, "region@oblast.test", region=region)
    session.commit()

    login(client, "region@oblast.test")
    home = client.get("/")
    assert home.status_code == 302 and home.headers["Location"].endswith("/region")
    page = client.get("/region").get_data(as_text=True)
    assert "Альфа район" in page and "Бета район" in page
    assert "Гамма район" not in page  # another region's district
    rows = {
        name: page.split(f'<th scope="row">{name}</th>', 1)[1].split("</tr>", 1)[0]
        for name in ("Альфа район", "Бета район")
    }
    for row in rows.values():  # open statutory tasks, of them one overdue
        cells = [c.split("<", 1)[0] for c in row.split("<td")[1:3]]
        assert cells[1].endswith(">1"), row
    leaked = [s for s in secrets if s in page]
    assert not leaked, leaked
    assert "/cases/" not in page and "/meetings/" not in page and "/tasks" not in page

    # Nothing of a district opens, whatever the route: a 404, as an object one may not see.
    opened = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.rule.startswith(("/static", "/api/")):
            continue
        if rule.rule.startswith(OWN + ANYBODY) or rule.rule == "/":
            continue
        url = rule.rule
        for argument in rule.arguments:
            url = url.replace(f"<int:{argument}>", "1").replace(f"<{argument}>", "x")
            url = url.replace(f"<path:{argument}>", "x")
        answer = client.get(url)
        if answer.status_code != 404:
            opened.append((url, answer.status_code))
        assert not [s for s in secrets if s in answer.get_data().decode(errors="replace")], url
    assert not opened, opened


def test_the_region_page_is_only_for_its_viewers(
    app: Flask, client: FlaskClient, session: Session, settings: Settings, district: Staffed
) -> None:
    _region_of_two(session, settings, district)
    make_overseer(session, "deploy@birge.test", "deployment")
    session.commit()
    for email in (district.chair.email, "deploy@birge.test"):
        visitor = app.test_client()
        login(visitor, email)
        assert visitor.get("/region").status_code == 404, email
    login(client, district.chair.email)
    assert client.get("/deployment").status_code == 404


def test_the_deployment_administrator_makes_a_district_its_administrator_and_a_viewer(
    client: FlaskClient, session: Session, settings: Settings, district: Staffed
) -> None:
    region, _second, secrets = _region_of_two(session, settings, district)
    admin = make_overseer(session, "deploy@birge.test", "deployment")
    session.commit()
    login(client, "deploy@birge.test")
    assert client.get("/").headers["Location"].endswith("/deployment")
    page = client.get("/deployment").get_data(as_text=True)
    assert "Альфа район" in page and "Бета район" in page
    assert not [s for s in secrets if s in page]
    token = csrf_token(page)

    district_form = {
        "csrf_token": token,
        "region": "батыс қазақстан облысы",  # an existing region, in Kazakh, any case
        "region_kk": "",
        "name_ru": "Теректинский район",
        "name_kk": "Бәйтерек ауданы",
        "case_prefix": "B",  # the second test district's
        "timezone": "Asia/Almaty",
    }
    refused = client.post("/deployment/districts", data=district_form)
    assert refused.status_code == 400
    assert "Коды случаев другого района уже начинаются так." in refused.get_data(as_text=True)
    made = client.post("/deployment/districts", data=district_form | {"case_prefix": "TRK"})
    assert made.status_code == 302
    new = session.scalars(select(District).where(District.case_prefix == "TRK")).one()
    assert new.region_id == region.id
    audited = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "district.created")
    ).one()
    assert audited.user_id == admin.id

    person = {"csrf_token": token, "full_name": "Айгерим Тлеуова", "locale": "kk"}
    answer = client.post(
        "/deployment/administrators",
        data=person | {"district_id": str(new.id), "email": "Admin@Terekti.kz"},
    )
    assert answer.status_code == 302
    first_admin = session.scalars(select(User).where(User.email == "admin@terekti.kz")).one()
    assert first_admin.role == "admin" and first_admin.region_id is None
    link = session.scalars(
        select(Notification).where(Notification.recipient == "admin@terekti.kz")
    ).one()
    assert link.district_id == new.id and "/password/reset/" in link.body

    answer = client.post(
        "/deployment/viewers",
        data=person | {"region_id": str(region.id), "email": "ombudsman@oblast.kz"},
    )
    assert answer.status_code == 302
    viewer = session.scalars(select(User).where(User.email == "ombudsman@oblast.kz")).one()
    assert (viewer.role, viewer.agency_id, viewer.region_id) == ("regional", None, region.id)
    mail = session.scalars(
        select(Notification).where(Notification.recipient == "ombudsman@oblast.kz")
    ).one()
    assert mail.district_id is None

    before = session.scalar(select(func.count()).select_from(User))
    for form, path in (
        ({"district_id": "999", "email": "x@y.kz"}, "/deployment/administrators"),
        ({"region_id": "999", "email": "x@y.kz"}, "/deployment/viewers"),
        ({"district_id": str(new.id), "email": "admin@terekti.kz"}, "/deployment/administrators"),
    ):
        assert client.post(path, data=person | form).status_code == 400, form
    assert session.scalar(select(func.count()).select_from(User)) == before
