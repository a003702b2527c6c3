"""Days off in the portal: scheduling on one warns and names it; the calendar's events carry
the district's days off."""

from __future__ import annotations

from datetime import date

from flask.testing import FlaskClient
from sqlmodel import Session

from models.workdays.calendar import CalendarOverride
from tests.factories import District, csrf_token, in_days, login


def next_independence_day() -> date:
    """16 December (Independence Day), at least two days ahead."""
    soon = in_days(2).date()
    day = date(soon.year, 12, 16)
    return day if day >= soon else date(soon.year + 1, 12, 16)


def test_scheduling_on_independence_day_warns_and_names_the_day(
    client: FlaskClient, district: District
) -> None:
    login(client, district.coordinator.email)
    day = next_independence_day()
    page = client.get("/meetings/new").get_data(as_text=True)
    response = client.post(
        "/meetings/new",
        data={
            "csrf_token": csrf_token(page),
            "kind": "case_conference",
            "title": "Индивидуальный план работы",
            "date": day.isoformat(),
            "start_time": "10:00",
            "end_time": "11:30",
            "case_code": "D-2026-0042",
            "repeat": "once",
            "agencies": [str(district.police.id)],
        },
        follow_redirects=True,
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Встреча назначена" in text  # warned, not refused
    assert (
        f"Приходится на выходной день: 16 декабря {day.year}\u202fг. (День независимости)." in text
    )


def test_the_calendar_events_carry_the_days_off_of_the_district(
    client: FlaskClient, district: District, session: Session
) -> None:
    session.add(
        CalendarOverride(
            district_id=district.row.id,  # type: ignore[arg-type]
            day=date(2026, 12, 18),
            kind="day_off",
            note="Постановление № 1",
        )
    )
    session.commit()
    login(client, district.inspector.email)
    window = "start=2026-11-30T00:00:00&end=2027-01-11T00:00:00"
    events = client.get(f"/calendar/events?{window}&kind=task_deadline").get_json()
    days_off = {e["date"]: e["title"] for e in events if e["type"] == "day_off"}
    # Every named day off, weekend holidays too; a plain weekend is not listed.
    assert days_off == {
        "2026-12-16": "День независимости",
        "2026-12-18": "Выходной день (по постановлению)",
        "2027-01-01": "Новый год",
        "2027-01-02": "Новый год",
        "2027-01-04": "Новый год (перенесённый выходной)",
        "2027-01-07": "Православное Рождество",
    }
