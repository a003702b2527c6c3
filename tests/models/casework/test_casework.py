"""Opening, changing and closing cases; codes; the restricted part; statutory tasks."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from models.cases.access import may_read_restricted, visible_cases
from models.cases.tables import Case, CaseAgency, CaseFlag, CaseRestricted
from models.casework.changes import close_case, set_case_flag
from models.casework.operations import CaseError, find_case
from models.casework.restricted import RestrictedDetails, read_restricted, update_restricted
from models.core.audit import AuditEvent
from models.core.db import make_engine
from models.core.settings import Settings
from models.tasks.calendar_changes import add_override, remove_override
from models.tasks.deadlines import rule_gaps
from models.tasks.operations import cancel_task, complete_task
from models.tasks.tables import StatutoryRule, Task
from tests.conftest import load_settings_for
from tests.factories import (
    CHILD,
    REPORT_AT,
    District,
    make_agency,
    make_district,
    make_user,
    open_test_case,
    schedule_case_conference,
)

ALMATY = timedelta(hours=5)


def local(task: Task) -> str:
    return (task.due_at + ALMATY).strftime("%a %Y-%m-%d %H:%M")


def events(session: Session, action: str) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(col(AuditEvent.action) == action)))


def test_opening_a_case_issues_the_next_code_after_the_existing_one(
    session: Session, district: District
) -> None:
    first = open_test_case(session, district).case
    second = open_test_case(session, district).case
    session.commit()
    assert (first.code, second.code) == ("D-2026-0043", "D-2026-0044")
    assert [e.detail.split()[0] for e in events(session, "case.opened")] == [
        "code=D-2026-0043",
        "code=D-2026-0044",
    ]


def test_a_rolled_back_opening_gives_its_number_back(session: Session, district: District) -> None:
    open_test_case(session, district)
    session.rollback()
    assert open_test_case(session, district).case.code == "D-2026-0043"


def test_each_district_numbers_its_own_cases(session: Session, district: District) -> None:
    other = make_district(session, "-2")  # its case B-2026-0042, the same agencies' slugs
    here = open_test_case(session, district).case
    there = open_test_case(
        session,
        other,
        receiving_agency_id=other.education.id,
        lead_agency_id=other.education.id,
        agency_ids=[],
    ).case
    session.commit()
    # Numbered per district and year; the prefix makes each code name one case of the deployment.
    assert (here.code, there.code) == ("D-2026-0043", "B-2026-0043")
    assert find_case(session, district.coordinator, "D-2026-0043") == here
    assert find_case(session, other.coordinator, "B-2026-0043") == there
    assert find_case(session, other.coordinator, "D-2026-0043") is None


def test_the_report_creates_its_statutory_tasks_due_per_the_calendar(
    session: Session, district: District
) -> None:
    opened = open_test_case(session, district)
    session.commit()
    tasks = {t.title: t for t in opened.tasks}
    # Fri 20 March 15:00: one working day skips Nauryz and its observed days and the weekend.
    assert local(tasks["Сформировать первичную информацию о ребёнке (семье)"]) == (
        "Thu 2026-03-26 18:00"
    )
    # Two calendar days end on Sun 22 March, a day off: moved to the next working day.
    assert (
        local(tasks["Выбрать приоритетный орган и передать информацию специалисту акимата"])
        == "Thu 2026-03-26 18:00"
    )
    assert local(tasks["Продублировать информацию в орган опеки и попечительства"]) == (
        "Fri 2026-03-20 16:00"
    )
    assert {t.responsible_agency_id for t in opened.tasks} == {district.education.id}
    assert opened.gaps == []


def test_flags_create_their_tasks_now_or_later_and_join_the_agency(
    session: Session, district: District
) -> None:
    opened = open_test_case(session, district, signs_of_offence=True)
    assert "Незамедлительно сообщить в ОВД для принятия мер защиты" in {
        t.title for t in opened.tasks
    }
    later = REPORT_AT + timedelta(days=1)
    result = set_case_flag(
        session, district.coordinator, opened.case, CaseFlag.CHILD_REMOVED, now=later
    )
    session.commit()
    due = {t.title: local(t) for t in result.tasks}
    assert due == {
        "Незамедлительно информировать прокурора об отобрании ребёнка": "Sat 2026-03-21 16:00",
        # 7 calendar days from Sat 21 March end on Sat 28 March: moved to Mon 30 March.
        "Собрать материалы об ограничении или лишении родительских прав и обратиться в суд": (
            "Mon 2026-03-30 18:00"
        ),
    }
    again = set_case_flag(
        session, district.coordinator, opened.case, CaseFlag.CHILD_REMOVED, now=later
    )
    assert again.tasks == []


def test_a_rule_whose_agency_the_district_lacks_is_reported(
    session: Session, district: District
) -> None:
    rule = session.scalars(
        select(StatutoryRule).where(col(StatutoryRule.slug) == "inform-prosecutor")
    ).one()
    rule.responsible = "guardianship"  # the test district has no guardianship body
    session.commit()
    opened = open_test_case(session, district, child_removed=True)
    session.commit()
    assert [g.rule.slug for g in opened.gaps] == ["inform-prosecutor"]
    assert [g.rule.slug for g in rule_gaps(session, opened.case)] == ["inform-prosecutor"]
    assert events(session, "case.rule_unassigned")[0].detail == (
        "rule=inform-prosecutor responsible=guardianship"
    )


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"receiving_agency_id": 9999}, "receiving_agency"),
        ({"lead_agency_id": 9999}, "lead_agency"),
        ({"agency_ids": [9999]}, "agencies"),
        ({"received_at": REPORT_AT + timedelta(hours=2)}, "received_at"),
        ({"received_at": datetime(1999, 12, 31, tzinfo=UTC)}, "received_at"),
        ({"source": "rumour"}, "source"),
        ({"category": "unknown"}, "category"),
        ({"restricted": RestrictedDetails(notes="x" * 2001)}, "notes"),
        ({"restricted": RestrictedDetails(birth_date=datetime(2027, 1, 1).date())}, "birth_date"),
    ],
)
def test_bad_reports_name_the_field_and_write_nothing(
    session: Session, district: District, over: dict[str, object], field: str
) -> None:
    with pytest.raises(CaseError) as caught:
        open_test_case(session, district, **over)
    session.rollback()
    assert caught.value.field == field
    assert session.scalar(select(func.count()).select_from(Case)) == 1
    assert session.scalar(select(func.count()).select_from(Task)) == 0


def test_members_may_not_open_cases(session: Session, district: District) -> None:
    with pytest.raises(CaseError, match="You may not open cases"):
        open_test_case(session, district, user=district.inspector)


def test_only_lead_guardianship_chair_and_admins_read_the_restricted_part(
    session: Session, district: District
) -> None:
    case = open_test_case(session, district, agency_ids=[district.police.id]).case
    session.commit()
    assert may_read_restricted(session, district.coordinator, case)  # lead agency
    assert may_read_restricted(session, district.chair, case)
    assert not may_read_restricted(session, district.inspector, case)  # on the case, not lead
    assert not may_read_restricted(session, district.pedagogue, case)
    details = read_restricted(session, district.chair, case, now=REPORT_AT)
    assert details is not None and details.child_name == CHILD.child_name
    with pytest.raises(CaseError):
        read_restricted(session, district.inspector, case, now=REPORT_AT)
    session.commit()
    assert [e.user_id for e in events(session, "case.restricted_viewed")] == [district.chair.id]
    assert [e.user_id for e in events(session, "case.restricted_refused")] == [
        district.inspector.id
    ]


def test_changing_the_restricted_part_is_audited_without_its_values(
    session: Session, district: District
) -> None:
    case = open_test_case(session, district).case
    update_restricted(
        session,
        district.coordinator,
        case,
        RestrictedDetails(child_name=CHILD.child_name, address="ул. Жамбыла 3"),
        now=REPORT_AT + timedelta(hours=1),
    )
    session.commit()
    row = session.get(CaseRestricted, case.id)
    assert row is not None and row.address == "ул. Жамбыла 3" and row.notes == ""
    change = events(session, "case.restricted_changed")[-1]
    assert change.detail == f"code={case.code} fields=birth_date,address,school_class,notes"
    every_detail = " ".join(e.detail for e in session.scalars(select(AuditEvent)))
    assert "Жамбыла" not in every_detail and CHILD.child_name not in every_detail


def test_a_case_closes_only_when_its_tasks_are_finished(
    session: Session, district: District
) -> None:
    opened = open_test_case(session, district)
    now = REPORT_AT + timedelta(days=2)
    with pytest.raises(CaseError, match="only when all its tasks"):
        close_case(session, district.coordinator, opened.case, reason="Причины устранены", now=now)
    for task in opened.tasks[:-1]:
        complete_task(session, district.coordinator, task, note="Сделано", now=now)
    cancel_task(session, district.coordinator, opened.tasks[-1], reason="Не требуется", now=now)
    with pytest.raises(CaseError) as empty:
        close_case(session, district.coordinator, opened.case, reason="  ", now=now)
    assert empty.value.field == "reason"
    with pytest.raises(CaseError):
        close_case(session, district.inspector, opened.case, reason="Причины устранены", now=now)
    close_case(session, district.coordinator, opened.case, reason="Причины устранены", now=now)
    session.commit()
    assert (opened.case.status, opened.case.closed_at) == ("closed", now)
    assert opened.case.closed_reason == "Причины устранены"


def test_case_lists_follow_need_to_know(session: Session, district: District) -> None:
    mine = open_test_case(session, district).case
    session.commit()
    codes = {
        user.email: set(
            session.scalars(visible_cases(session, user).with_only_columns(col(Case.code)))
        )
        for user in (district.chair, district.coordinator, district.inspector, district.pedagogue)
    }
    assert codes[district.chair.email] == {"D-2026-0042", mine.code}
    assert codes[district.coordinator.email] == {"D-2026-0042", mine.code}
    assert codes[district.pedagogue.email] == {"D-2026-0042", mine.code}  # school on both
    assert codes[district.inspector.email] == {"D-2026-0042"}
    assert session.get(CaseAgency, (mine.id, district.police.id)) is None


def test_concurrent_openings_on_postgresql_get_distinct_codes_without_gaps(
    postgres_only_url: str, settings: Settings
) -> None:
    engine: Engine = make_engine(load_settings_for(postgres_only_url).database_url)
    with Session(engine, expire_on_commit=False) as session:
        district = make_district(session)
        session.commit()
    codes: list[str] = []
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def open_one() -> None:
        try:
            with Session(engine, expire_on_commit=False) as session:
                start.wait()
                opened = open_test_case(session, district, now=datetime.now(UTC))
                session.commit()
                codes.append(opened.case.code)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    engine.dispose()
    assert errors == []
    year = datetime.now(UTC).year
    first = 43 if year == 2026 else 1
    assert sorted(codes) == [f"D-{year}-{n:04d}" for n in range(first, first + 8)]


def test_a_decree_override_recomputes_open_statutory_deadlines(
    session: Session, district: District
) -> None:
    admin = make_user(session, district.akimat, "admin@akimat.test", "admin")
    received = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)  # Mon 10:00 in Almaty
    opened = open_test_case(session, district, received_at=received, now=received)
    first = next(t for t in opened.tasks if t.title.startswith("Сформировать"))
    done = next(t for t in opened.tasks if t.title.startswith("Продублировать"))
    complete_task(session, district.coordinator, done, note="", now=received)
    session.commit()
    assert local(first) == "Tue 2026-11-24 18:00"
    day = datetime(2026, 11, 24).date()
    add_override(
        session,
        admin,
        district_id=district.row.id,
        day=day,
        kind="day_off",
        note="Decree 1",
        now=received,
    )  # type: ignore[arg-type]
    session.commit()
    session.refresh(first)
    assert local(first) == "Wed 2026-11-25 18:00"
    (event,) = events(session, "task.due_recomputed")
    assert (event.object_id, event.detail) == (
        first.id,
        "old=2026-11-24T13:00:00+00:00 new=2026-11-25T13:00:00+00:00",
    )
    remove_override(session, admin, district_id=district.row.id, day=day, now=received)  # type: ignore[arg-type]
    session.commit()
    session.refresh(first)
    assert local(first) == "Tue 2026-11-24 18:00"
    # Done tasks keep their due moment: only the open one was recomputed, back and forth.
    assert {e.object_id for e in events(session, "task.due_recomputed")} == {first.id}


def test_scheduling_finds_a_case_code_in_the_organizers_district(
    session: Session, district: District, settings: Settings
) -> None:
    other = make_district(session, "-2")  # its own case B-2026-0042
    session.commit()
    here = schedule_case_conference(session, settings, district).meeting
    there = schedule_case_conference(
        session, settings, other, organizer=other.coordinator, agency_ids=[other.police.id]
    ).meeting
    assert (here.case_id, there.case_id) == (district.case.id, other.case.id)


def test_the_guardianship_body_joins_every_case_and_reads_its_child(
    session: Session, district: District
) -> None:
    body = make_agency(session, district.row, "guardianship", "guardianship")
    officer = make_user(session, body, "officer@guardianship.test", "member")
    case = open_test_case(session, district, agency_ids=[]).case
    session.commit()
    assert session.get(CaseAgency, (case.id, body.id)) is not None
    assert may_read_restricted(session, officer, case)
    assert not may_read_restricted(session, officer, district.case)  # not on the old case
