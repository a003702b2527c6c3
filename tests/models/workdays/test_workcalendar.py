from __future__ import annotations

import threading
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlmodel import Session

from calendars.workdays import Period, PeriodKind
from models.core.audit import AuditEvent
from models.core.db import make_engine
from models.people.tables import User
from models.tasks.calendar_changes import (
    PastDateUnconfirmed,
    add_override,
    remove_override,
    set_working_hours,
)
from models.tasks.tables import Task
from models.workdays.calendar import (
    CalendarError,
    CalendarOverride,
    OverrideKind,
    calendar_year,
    district_calendar,
)
from tests.conftest import load_settings_for
from tests.factories import District, make_district, make_user, open_test_case

ALMATY = ZoneInfo("Asia/Almaty")
DECREE = "Постановление Правительства РК от 20.11.2026 № 1000"


@pytest.fixture
def admin(session: Session, district: District) -> User:
    user = make_user(session, district.akimat, "admin@akimat.test", "admin")
    session.commit()
    return user


def add(session: Session, user: User | None, district: District, **over: object) -> object:
    values: dict[str, object] = {
        "district_id": district.row.id,
        "day": date(2026, 12, 18),  # a Friday
        "kind": "day_off",
        "note": DECREE,
    }
    return add_override(session, user, **(values | over))


def test_a_decree_day_off_moves_deadlines_and_is_audited(
    session: Session, district: District, admin: User
) -> None:
    received = datetime(2026, 12, 17, 10, 0, tzinfo=ALMATY)
    one_day = Period(PeriodKind.WORKING_DAYS, 1)
    before = district_calendar(session, district.row.id).due(received, one_day)
    change = add(session, admin, district)
    session.commit()
    after = district_calendar(session, district.row.id).due(received, one_day)
    assert before.astimezone(ALMATY) == datetime(2026, 12, 18, 18, 0, tzinfo=ALMATY)
    assert after.astimezone(ALMATY) == datetime(2026, 12, 21, 18, 0, tzinfo=ALMATY)
    assert change.day == date(2026, 12, 18)
    assert change.kind is OverrideKind.DAY_OFF
    (event,) = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "calendar.override_added")
    )
    assert event.user_id == admin.id
    assert event.object_id == district.row.id
    assert "day=2026-12-18" in event.detail


def test_a_removed_override_gives_back_the_national_calendar(
    session: Session, district: District, admin: User
) -> None:
    add(session, admin, district, day=date(2026, 12, 19), kind="working_day")  # a Saturday
    session.commit()
    assert district_calendar(session, district.row.id).is_working_day(date(2026, 12, 19))
    change = remove_override(session, admin, district_id=district.row.id, day=date(2026, 12, 19))
    session.commit()
    assert change.kind is OverrideKind.WORKING_DAY and not change.added
    assert not district_calendar(session, district.row.id).is_working_day(date(2026, 12, 19))
    assert session.scalars(select(CalendarOverride)).all() == []
    actions = list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert actions[-2:] == ["calendar.override_added", "calendar.override_removed"]


def test_district_hours_set_when_periods_end(session: Session, district: District) -> None:
    district.row.day_starts = time(8, 30)
    district.row.day_ends = time(17, 30)
    session.add(district.row)
    session.commit()
    calendar = district_calendar(session, district.row.id)
    due = calendar.due(
        datetime(2026, 11, 24, 10, tzinfo=ALMATY), Period(PeriodKind.WORKING_DAYS, 1)
    )
    assert due.astimezone(ALMATY) == datetime(2026, 11, 25, 17, 30, tzinfo=ALMATY)


def test_the_year_lists_national_days_and_every_override(
    session: Session, district: District, admin: User
) -> None:
    add(session, admin, district, day=date(2026, 1, 3), kind="working_day", confirm_past=True)
    add(session, admin, district, day=date(2026, 1, 5), confirm_past=True)
    session.commit()
    listed = {d.day: d for d in calendar_year(session, district.row.id, 2026)}
    assert listed[date(2026, 1, 3)].working and listed[date(2026, 1, 3)].override is not None
    assert not listed[date(2026, 1, 5)].working
    assert listed[date(2026, 3, 23)].label == "Nowruz Holiday"
    assert listed[date(2026, 3, 23)].override is None
    assert date(2026, 3, 21) not in listed  # a Saturday holiday


@pytest.mark.parametrize(
    ("over", "field", "message"),
    [
        ({"note": "x" * 201}, "note", "The note is too long (at most 200 characters)."),
        ({"note": "  "}, "note", "Say which decree makes this change."),
        (
            {"kind": "holiday"},
            "kind",
            "Choose whether the date becomes a day off or a working day.",
        ),
        ({"day": date(2026, 12, 19)}, "day", "This date is a day off already."),
        ({"day": date(2026, 12, 16)}, "day", "This date is a day off already."),
        (
            {"day": date(2026, 12, 17), "kind": "working_day"},
            "day",
            "This date is a working day already.",
        ),
        ({"day": date(1999, 12, 31)}, "day", "Choose a date between the years 2000 and 2100."),
        ({"district_id": 999_999}, "district", "There is no such district."),
    ],
)
def test_bad_overrides_are_refused_and_nothing_is_written(
    session: Session,
    district: District,
    admin: User,
    over: dict[str, object],
    field: str,
    message: str,
) -> None:
    with pytest.raises(CalendarError) as refused:
        add(session, admin, district, **over)
    session.rollback()
    assert (refused.value.field, str(refused.value)) == (field, message)
    assert session.scalars(select(CalendarOverride)).all() == []
    assert session.scalars(select(AuditEvent)).all() == []


def test_a_duplicate_override_is_refused(session: Session, district: District, admin: User) -> None:
    add(session, admin, district)
    session.commit()
    with pytest.raises(CalendarError, match="override already"):
        add(session, admin, district, kind="working_day")
    session.rollback()
    assert len(session.scalars(select(CalendarOverride)).all()) == 1


def test_removing_an_unknown_date_is_refused(
    session: Session, district: District, admin: User
) -> None:
    with pytest.raises(CalendarError, match="no override"):
        remove_override(session, admin, district_id=district.row.id, day=date(2026, 12, 18))


@pytest.mark.parametrize("who", ["chair", "coordinator", "inspector"])
def test_only_administrators_change_the_calendar(
    session: Session, district: District, who: str
) -> None:
    with pytest.raises(CalendarError, match="Only administrators"):
        add(session, getattr(district, who), district)
    session.rollback()
    assert session.scalars(select(CalendarOverride)).all() == []


def test_the_command_line_operator_acts_without_a_user(
    session: Session, district: District
) -> None:
    add(session, None, district)
    session.commit()
    (override,) = session.scalars(select(CalendarOverride))
    assert override.created_by_id is None and override.note == DECREE


def test_two_administrators_adding_the_same_date_at_once_get_a_clear_error(
    postgres_only_url: str,
) -> None:
    """The unique index decides a race between two sessions; the loser is told, not a 500."""
    engine = make_engine(load_settings_for(postgres_only_url).database_url)
    with Session(engine, expire_on_commit=False) as first, Session(engine) as second:
        district = make_district(first)
        first.commit()
        district_id = district.row.id
        assert district_id is not None
        decree = {"district_id": district_id, "day": date(2026, 12, 18), "note": DECREE}
        add_override(first, None, kind="day_off", **decree)  # flushed, not committed
        outcome: list[BaseException | None] = []

        def race() -> None:
            try:
                add_override(second, None, kind="day_off", **decree)  # waits on the index
                outcome.append(None)
            except BaseException as exc:
                outcome.append(exc)

        racer = threading.Thread(target=race)
        racer.start()
        racer.join(timeout=1.0)
        first.commit()
        racer.join(timeout=30.0)
        second.rollback()
    engine.dispose()
    assert len(outcome) == 1 and isinstance(outcome[0], CalendarError)
    assert str(outcome[0]) == "This date has an override already; remove it first."


def test_working_hours_are_the_districts(session: Session, district: District, admin: User) -> None:
    district_id = district.row.id
    assert district_id is not None
    set_working_hours(
        session,
        admin,
        district_id=district_id,
        day_starts=time(8, 0),
        day_ends=time(17, 0),
    )
    session.commit()
    calendar = district_calendar(session, district_id)
    received = datetime(2026, 11, 24, 10, 0, tzinfo=ALMATY)
    due = calendar.due(received, Period(PeriodKind.WORKING_DAYS, 1))
    assert due.astimezone(ALMATY) == datetime(2026, 11, 25, 17, 0, tzinfo=ALMATY)
    (event,) = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "calendar.hours_changed")
    )
    assert event.detail == "old=09:00-18:00 new=08:00-17:00"


@pytest.mark.parametrize(
    ("starts", "ends"),
    [(time(18), time(9)), (time(9), time(9))],
)
def test_bad_working_hours_are_refused(
    session: Session,
    district: District,
    admin: User,
    starts: time,
    ends: time,
) -> None:
    district_id = district.row.id
    assert district_id is not None
    with pytest.raises(CalendarError, match="must end after it starts"):
        set_working_hours(session, admin, district_id=district_id, day_starts=starts, day_ends=ends)
    session.rollback()
    assert district_calendar(session, district_id).day_ends == time(18, 0)


def test_only_administrators_change_working_hours(session: Session, district: District) -> None:
    with pytest.raises(CalendarError, match="Only administrators"):
        set_working_hours(
            session,
            district.chair,
            district_id=district.row.id,
            day_starts=time(8),
            day_ends=time(17),
        )


def test_new_working_hours_move_the_open_tasks_due_moments(
    session: Session, district: District, admin: User
) -> None:
    received = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)  # Mon 10:00 in Almaty
    opened = open_test_case(session, district, received_at=received, now=received)
    first = next(t for t in opened.tasks if t.title.startswith("Сформировать"))
    session.commit()
    assert first.due_at.astimezone(ALMATY) == datetime(2026, 11, 24, 18, 0, tzinfo=ALMATY)
    set_working_hours(
        session,
        admin,
        district_id=district.row.id,
        day_starts=time(8, 30),
        day_ends=time(17, 30),
        now=received,
    )
    session.commit()
    moved = session.get(Task, first.id)
    assert moved is not None
    assert moved.due_at.astimezone(ALMATY) == datetime(2026, 11, 24, 17, 30, tzinfo=ALMATY)
    recomputed = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "task.due_recomputed")
    ).all()
    assert first.id in {e.object_id for e in recomputed}


def test_an_administrator_confirms_a_past_date_and_today_is_not_past(
    session: Session, district: District, admin: User
) -> None:
    # 00:30 in Almaty on 18 December is still 17 December in UTC: the district's date counts.
    now = datetime(2026, 12, 18, 0, 30, tzinfo=ALMATY)
    with pytest.raises(PastDateUnconfirmed) as refused:
        add(session, admin, district, day=date(2026, 12, 17), kind="day_off", now=now)
    assert refused.value.field == "day"
    assert session.scalars(select(CalendarOverride)).all() == []
    add(session, admin, district, day=date(2026, 12, 18), now=now)  # today
    add(session, admin, district, day=date(2026, 12, 17), now=now, confirm_past=True)
    add(session, None, district, day=date(2026, 12, 14), now=now)  # the operator is not asked
    session.commit()
    assert {o.day.day for o in session.scalars(select(CalendarOverride))} == {14, 17, 18}
