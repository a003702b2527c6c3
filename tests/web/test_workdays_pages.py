from __future__ import annotations

from datetime import date

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlmodel import Session

from models.core.audit import AuditEvent
from models.people.tables import User
from models.workdays.calendar import CalendarOverride
from tests.factories import District, csrf_token, login, make_user

CALCULATOR = "/working-days/calculator"
OVERRIDES = "/working-days/overrides"


@pytest.fixture
def admin(session: Session, district: District) -> User:
    user = make_user(session, district.akimat, "admin@akimat.test", "admin", locale="en")
    session.commit()
    return user


def calculate(client: FlaskClient, **fields: str) -> tuple[int, str]:
    response = client.get(CALCULATOR, query_string=fields)
    return response.status_code, response.get_data(as_text=True)


def test_every_signed_in_user_counts_a_deadline_with_its_weekday(
    client: FlaskClient, district: District
) -> None:
    assert client.get(CALCULATOR).status_code == 302  # signed out: to the login page
    login(client, district.pedagogue.email)  # a school coordinator who reads English
    home = client.get("/").get_data(as_text=True)
    assert CALCULATOR in home
    status, page = calculate(
        client,
        received_date="2026-03-20",
        received_time="15:00",
        days="1",
        kind="working_days",
    )
    assert status == 200
    assert "Thursday, 26 March 2026, 18:00" in page
    assert "Received Friday, 20 March 2026, 15:00." in page
    assert "Nowruz Holiday (observed)" in page  # the days off it skipped


def test_calculator_immediately_and_calendar_days(client: FlaskClient, district: District) -> None:
    login(client, district.pedagogue.email)
    _, page = calculate(
        client, received_date="2026-06-13", received_time="23:30", kind="immediately"
    )
    assert "Sunday, 14 June 2026, 00:30" in page
    _, page = calculate(
        client, received_date="2026-05-07", received_time="09:00", days="2", kind="calendar_days"
    )
    assert "Tuesday, 12 May 2026, 18:00" in page and "Victory Day (observed)" in page


def test_calculator_speaks_russian(client: FlaskClient, district: District) -> None:
    login(client, district.coordinator.email)
    _, page = calculate(
        client, received_date="2026-12-09", received_time="10:00", days="7", kind="calendar_days"
    )
    assert "четверг, 17 декабря 2026, 18:00" in page
    assert "День независимости" in page


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"received_date": "", "received_time": "10:00", "days": "1", "kind": "working_days"},
         "Give the date of receipt."),
        ({"received_date": "2026-02-30", "received_time": "10:00", "days": "1",
          "kind": "working_days"}, "Not a valid date value."),
        ({"received_date": "2026-03-20", "received_time": "25:00", "days": "1",
          "kind": "working_days"}, "Not a valid time value."),
        ({"received_date": "2026-03-20", "received_time": "10:00", "days": "",
          "kind": "working_days"}, "Give the number of days."),
        ({"received_date": "2026-03-20", "received_time": "10:00", "days": "0",
          "kind": "calendar_days"}, "Give a number of days from 1 to 366."),
        ({"received_date": "2026-03-20", "received_time": "10:00", "days": "x",
          "kind": "calendar_days"}, "Not a valid integer value."),
        ({"received_date": "1812-03-20", "received_time": "10:00", "days": "1",
          "kind": "calendar_days"}, "Choose a date between the years 2000 and 2100."),
        ({"received_date": "2026-03-20", "received_time": "10:00", "days": "1",
          "kind": "fortnight"}, "Not a valid choice."),
    ],
)  # fmt: skip
def test_calculator_explains_bad_input_at_the_field(
    client: FlaskClient, district: District, fields: dict[str, str], message: str
) -> None:
    login(client, district.pedagogue.email)
    status, page = calculate(client, **fields)
    assert status == 400
    assert message in page and 'class="error"' in page
    assert 'id="due"' not in page


def test_an_administrator_adds_and_removes_a_decree_override(
    client: FlaskClient, session: Session, district: District, admin: User
) -> None:
    login(client, admin.email)
    assert OVERRIDES in client.get("/").get_data(as_text=True)
    page = client.get(f"{OVERRIDES}?year=2026").get_data(as_text=True)
    assert "Independence Day" in page
    response = client.post(
        OVERRIDES,
        data={
            "csrf_token": csrf_token(page),
            "day": "2026-12-18",
            "kind": "day_off",
            "note": "Government decree No. 1000",
        },
    )
    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    assert "Government decree No. 1000" in page and "Fri, 18 December 2026" in page
    _, due = calculate(
        client, received_date="2026-12-17", received_time="10:00", days="1", kind="working_days"
    )
    assert "Monday, 21 December 2026, 18:00" in due

    removed = client.post(
        f"{OVERRIDES}/2026-12-18/remove", data={"csrf_token": csrf_token(page), "confirm": "yes"}
    )
    assert removed.status_code == 302
    assert session.scalars(select(CalendarOverride)).all() == []
    actions = set(session.scalars(select(AuditEvent.action)))
    assert {"calendar.override_added", "calendar.override_removed"} <= actions


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"day": "2026-12-19", "kind": "day_off"}, "This date is a day off already."),
        ({"day": "", "kind": "day_off"}, "Give the date."),
        ({"day": "2026-12-18", "kind": ""}, "Choose a day off or a working day."),
        ({"day": "2026-12-18", "kind": "day_off", "note": ""},
         "Say which decree makes this change."),
        ({"day": "2026-12-18", "kind": "day_off", "note": "x" * 201},
         "The note is too long (at most 200 characters)."),
    ],
)  # fmt: skip
def test_bad_overrides_are_explained_and_nothing_is_written(
    client: FlaskClient,
    session: Session,
    district: District,
    admin: User,
    fields: dict[str, str],
    message: str,
) -> None:
    login(client, admin.email)
    page = client.get(OVERRIDES).get_data(as_text=True)
    data = {"csrf_token": csrf_token(page), "note": "Decree No. 1"} | fields
    response = client.post(OVERRIDES, data=data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert session.scalars(select(CalendarOverride)).all() == []


def test_a_duplicate_override_is_explained_at_the_date(
    client: FlaskClient, session: Session, district: District, admin: User
) -> None:
    login(client, admin.email)
    page = client.get(OVERRIDES).get_data(as_text=True)
    data = {"csrf_token": csrf_token(page), "day": "2026-12-18", "kind": "day_off", "note": "A"}
    assert client.post(OVERRIDES, data=data).status_code == 302
    again = client.post(OVERRIDES, data=data | {"kind": "working_day"})
    assert again.status_code == 400
    assert "This date has an override already; remove it first." in again.get_data(as_text=True)
    (override,) = session.scalars(select(CalendarOverride))
    assert override.day == date(2026, 12, 18) and override.kind == "day_off"


@pytest.mark.parametrize("who", ["chair", "coordinator", "inspector"])
def test_only_administrators_open_the_overrides(
    client: FlaskClient, district: District, who: str
) -> None:
    login(client, getattr(district, who).email)
    assert OVERRIDES not in client.get("/").get_data(as_text=True)
    assert client.get(OVERRIDES).status_code == 403
    page = client.get(CALCULATOR).get_data(as_text=True)
    assert (
        client.post(
            f"{OVERRIDES}/2026-12-18/remove", data={"csrf_token": csrf_token(page)}
        ).status_code
        == 403
    )


def test_unknown_years_and_dates_are_not_found(
    client: FlaskClient, district: District, admin: User
) -> None:
    login(client, admin.email)
    assert client.get(f"{OVERRIDES}?year=1812").status_code == 404
    for day in ("not-a-date", "١٢", "1812-01-01", "9999-12-31", "2026-12-18"):  # no override
        assert client.get(f"{OVERRIDES}/{day}/remove").status_code == 404
    page = client.get(OVERRIDES).get_data(as_text=True)
    assert (
        client.post(
            f"{OVERRIDES}/not-a-date/remove", data={"csrf_token": csrf_token(page)}
        ).status_code
        == 404
    )


def test_a_past_override_waits_for_the_administrators_confirmation(
    client: FlaskClient, session: Session, district: District, admin: User
) -> None:
    login(client, admin.email)
    page = client.get(f"{OVERRIDES}?year=2025").get_data(as_text=True)
    data = {
        "csrf_token": csrf_token(page),
        "day": "2025-11-14",  # a Friday gone by
        "kind": "day_off",
        "note": "Government decree No. 999",
    }
    refused = client.post(OVERRIDES, data=data)
    warning = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert "This date is in the past" in warning and "confirm_past" in warning
    assert session.scalars(select(CalendarOverride)).all() == []
    added = client.post(OVERRIDES, data=data | {"confirm_past": "y"})
    assert added.status_code == 302
    (override,) = session.scalars(select(CalendarOverride))
    assert override.day == date(2025, 11, 14)
    page = client.get(added.location).get_data(as_text=True)
    assert "Added: Fri, 14 November 2025 is now a day off." in page


def test_adding_and_removing_say_what_was_done_and_removing_asks_first(
    client: FlaskClient, session: Session, district: District, admin: User
) -> None:
    login(client, admin.email)
    page = client.get(f"{OVERRIDES}?year=2026").get_data(as_text=True)
    data = {"csrf_token": csrf_token(page), "day": "2026-12-18", "kind": "day_off", "note": "D 1"}
    added = client.post(OVERRIDES, data=data, follow_redirects=True).get_data(as_text=True)
    assert "Added: Fri, 18 December 2026 is now a day off." in added
    # The list links to a question; no button there removes the decree in one click.
    assert "/2026-12-18/remove" in added and 'action="/working-days/overrides/2026' not in added
    question = client.get(f"{OVERRIDES}/2026-12-18/remove")
    asked = question.get_data(as_text=True)
    assert question.status_code == 200
    assert "change of Fri, 18 December 2026?" in asked and "<h1>Remove the decree" in asked
    assert "D 1" in asked and "Yes, remove it" in asked
    assert len(session.scalars(select(CalendarOverride)).all()) == 1  # asking removes nothing
    unconfirmed = client.post(
        f"{OVERRIDES}/2026-12-18/remove", data={"csrf_token": csrf_token(asked)}
    )
    assert unconfirmed.status_code == 400
    assert len(session.scalars(select(CalendarOverride)).all()) == 1
    removed = client.post(
        f"{OVERRIDES}/2026-12-18/remove",
        data={"csrf_token": csrf_token(asked), "confirm": "yes"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Removed: Fri, 18 December 2026 follows the national calendar again." in removed
    assert "Added:" not in removed
    assert session.scalars(select(CalendarOverride)).all() == []
