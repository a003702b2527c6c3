"""Text that enters by a side door (the CSV import, the command line) meets the forms' rules,
and a row written before the rules existed cannot break what it appears in."""

from __future__ import annotations

import io

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient
from icalendar import Calendar
from sqlalchemy import select
from sqlmodel import Session, col

from models.core.settings import Settings
from models.feeds.tokens import feed_token
from models.people.tables import Agency, User
from tests.factories import District, csrf_token, login, make_agency, make_user, schedule
from web.cli import main

BROKEN = ["Школа\r\nX-Injected: 1", "Школа\x1b[31m", "Школа\u2028№ 7", "Школа\x85№ 7"]


def _preview(client: FlaskClient, kind: str, text: str) -> str:
    form = client.get("/admin/import").get_data(as_text=True)
    return client.post(
        "/admin/import",
        data={
            "csrf_token": csrf_token(form),
            "kind": kind,
            "file": (io.BytesIO(text.encode()), f"{kind}.csv"),
        },
        content_type="multipart/form-data",
    ).get_data(as_text=True)


def _apply(client: FlaskClient, kind: str, text: str) -> int:
    form = client.get("/admin/import").get_data(as_text=True)
    data = {"csrf_token": csrf_token(form), "kind": kind, "content": text}
    return client.post("/admin/import/apply", data=data).status_code


@pytest.mark.parametrize("name", BROKEN)
def test_the_csv_import_refuses_control_characters_naming_the_line_and_column(
    client: FlaskClient, district: District, session: Session, name: str
) -> None:
    admin = make_user(session, district.akimat, "admin@akimat.test", "admin")
    session.commit()
    login(client, admin.email)
    quoted = name.replace('"', '""')
    agencies = (
        f'slug,kind,name_ru,name_kk\nschool-7,school,"{quoted}",№ 7 мектеп\n'
        "school-8,school,Школа № 8,№ 8 мектеп\n"
    )
    staff = f'email,full_name,role,agency\nnew@police.test,"{quoted}",member,police\n'
    preview = _preview(client, "agencies", agencies)
    assert "Строк без ошибок: 1, с ошибками: 1." in preview
    assert "name_ru: Поле содержит недопустимые символы." in preview
    assert "full_name: Поле содержит недопустимые символы." in _preview(client, "staff", staff)
    # Applied as it stands (a script may post to the apply step directly): never the bad rows.
    assert _apply(client, "agencies", agencies) in (200, 302, 400)
    assert _apply(client, "staff", staff) in (200, 302, 400)
    session.expire_all()
    assert session.scalars(select(Agency).where(col(Agency.slug) == "school-7")).first() is None
    assert session.scalars(select(User).where(col(User.email) == "new@police.test")).first() is None


def test_the_command_line_refuses_control_characters_in_a_name(
    client: FlaskClient, district: District, settings: Settings, session: Session
) -> None:
    env = {
        "BIRGE_INSTANCE_PATH": str(settings.instance_path),
        "BIRGE_DATABASE_URL": settings.database_url,
        "BIRGE_SECRET_KEY": settings.secret_key,
    }
    result = CliRunner().invoke(
        main,
        [
            "user",
            "create",
            "x@police.test",
            "--agency",
            "police",
            "--role",
            "member",
            "--name",
            "Иван\r\nBcc: x@y",
        ],
        env=env,
        input="a long enough password\n",
    )
    assert result.exit_code == 1 and "not allowed" in result.output, result.output
    assert session.scalars(select(User).where(col(User.email) == "x@police.test")).first() is None


def test_a_name_written_before_the_rules_cannot_break_its_agencys_feed(
    client: FlaskClient, district: District, session: Session, settings: Settings
) -> None:
    old = make_agency(session, district.row, "ngo-old", "ngo", name_ru="НПО\r\nX-Injected: 1")
    schedule(session, settings, district, agency_ids=[old.id])
    token = feed_token(session, old, settings.secret_key)
    session.commit()
    response = client.get(f"/calendars/{token}.ics")
    assert response.status_code == 200
    body = response.get_data()
    assert b"\r\nX-Injected" not in body
    calendar = Calendar.from_ical(body)
    assert "\n" not in str(calendar["X-WR-CALNAME"])
