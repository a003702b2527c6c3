"""Example case codes in hints and messages: of the reader's own district."""

from __future__ import annotations

from datetime import datetime

from flask.testing import FlaskClient
from sqlmodel import Session

from models.core.settings import Settings
from tests.factories import District, csrf_token, login, make_district


def test_forms_give_an_example_case_code_of_the_readers_own_district(
    client: FlaskClient, district: District, session: Session, settings: Settings
) -> None:
    """District 1's example (``D-2026-0042``, one of its real codes) would name a case that
    district 2's people cannot find: their hints and messages show their own prefix."""
    other = make_district(session, "-2", prefix="BRL")
    session.commit()
    example = f"BRL-{datetime.now(settings.zone).year}-0042"
    login(client, other.coordinator.email)
    for path in ("/tasks", "/tasks/new", "/meetings/new"):
        page = client.get(path).get_data(as_text=True)
        assert f'placeholder="{example}"' in page and "D-2026-0042" not in page, path
    page = client.get("/tasks/new").get_data(as_text=True)
    refused = client.post(
        "/tasks/new",
        data={"csrf_token": csrf_token(page), "title": "Бета", "case_code": "2026-42"},
    )
    assert refused.status_code == 400
    assert f"Код случая имеет вид {example}." in refused.get_data(as_text=True)
