"""Small factories for test data; every function adds to the session and flushes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask.testing import FlaskClient
from sqlmodel import Session
from werkzeug.security import generate_password_hash

from models.cases.tables import Case, CaseAgency
from models.casework.operations import OpenedCase, open_case
from models.casework.restricted import RestrictedDetails
from models.core.settings import Settings
from models.meetings.scheduling import ScheduledMeeting, schedule_meeting
from models.meetings.tables import Meeting, MeetingAgency
from models.people.tables import Agency, Region, User
from models.people.tables import District as DistrictRow
from models.tasks.rules import seed_default_rules

PASSWORD = "correct horse battery"
# Hashing is slow on purpose (scrypt, about 0.1 s a check). The test users' hash is made once,
# with few PBKDF2 rounds: sign-in reads the method from the stored hash, so every test that signs
# in checks a real hash without paying scrypt's cost. Accounts made through the portal still get
# the default method.
_PASSWORD_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")


@dataclass
class District:
    """A small district: the akimat, education, police, a school, and their people."""

    row: DistrictRow
    akimat: Agency
    education: Agency
    police: Agency
    school: Agency
    chair: User
    coordinator: User  # education
    inspector: User  # police, member
    police_head: User  # police, coordinator, speaks Kazakh
    pedagogue: User  # school, coordinator
    retired: User  # police, inactive
    case: Case


def make_agency(
    session: Session, district: DistrictRow, slug: str, kind: str, **over: Any
) -> Agency:
    agency = Agency(
        district_id=district.id,  # type: ignore[arg-type]
        slug=slug,
        kind=kind,
        name_ru=over.pop("name_ru", f"Ведомство {slug}"),
        name_kk=over.pop("name_kk", f"Мекеме {slug}"),
        head_email=over.pop("head_email", f"head@{slug}.test"),
        **over,
    )
    session.add(agency)
    session.flush()
    return agency


def make_user(
    session: Session, agency: Agency, email: str, role: str = "member", **over: Any
) -> User:
    user = User(
        agency_id=agency.id,  # type: ignore[arg-type]
        email=email,
        full_name=over.pop("full_name", email.split("@")[0].title()),
        role=role,
        locale=over.pop("locale", "ru"),
        **over,
    )
    user.password_hash = _PASSWORD_HASH
    session.add(user)
    session.flush()
    return user


def make_overseer(
    session: Session, email: str, role: str = "regional", region: Region | None = None
) -> User:
    """An account above the districts: a regional viewer of *region*, or (role
    ``deployment``) a deployment administrator."""
    user = User(
        agency_id=None,
        region_id=region.id if region is not None else None,
        email=email,
        full_name=email.split("@")[0].title(),
        role=role,
        locale="ru",
    )
    user.password_hash = _PASSWORD_HASH
    session.add(user)
    session.flush()
    return user


def make_district(session: Session, tag: str = "", prefix: str = "") -> District:
    """Make the test district; a second one needs a *tag* to keep emails unique (its agencies'
    slugs are the first's, as in any district, but their heads' addresses carry the tag:
    ``head-2@police.test``, its police head's) and gets case codes ``B-…`` (or *prefix*)."""
    prefix = prefix or ("B" if tag else "D")
    row = DistrictRow(name_ru="Тестовый район", name_kk="Сынақ ауданы", case_prefix=prefix)
    session.add(row)
    session.flush()
    seed_default_rules(session)

    def add_agency(slug: str, kind: str, **over: Any) -> Agency:
        return make_agency(session, row, slug, kind, head_email=f"head{tag}@{slug}.test", **over)

    akimat = add_agency("akimat", "akimat")
    education = add_agency("education", "education", name_ru="Отдел образования")
    police = add_agency("police", "police", name_ru="Отдел полиции")
    school = add_agency("school-1", "school", name_ru="Школа № 1")
    case = Case(district_id=row.id, code=f"{prefix}-2026-0042", lead_agency_id=education.id)  # type: ignore[arg-type]
    session.add(case)
    session.flush()
    for agency in (education, police, school):
        session.add(CaseAgency(case_id=case.id, agency_id=agency.id))  # type: ignore[arg-type]
    return District(
        row=row,
        akimat=akimat,
        education=education,
        police=police,
        school=school,
        chair=make_user(session, akimat, f"chair{tag}@akimat.test", "chair"),
        coordinator=make_user(session, education, f"coord{tag}@education.test", "coordinator"),
        inspector=make_user(session, police, f"inspector{tag}@police.test", "member"),
        police_head=make_user(
            session, police, f"head{tag}@police.test", "coordinator", locale="kk"
        ),
        pedagogue=make_user(
            session, school, f"pedagogue{tag}@school.test", "coordinator", locale="en"
        ),
        retired=make_user(session, police, f"retired{tag}@police.test", "member", active=False),
        case=case,
    )


def in_days(days: float, hour: int = 5) -> datetime:
    """A UTC time *days* from now at *hour* UTC (10:00 in Almaty for hour 5)."""
    day = datetime.now(UTC) + timedelta(days=days)
    return day.replace(hour=hour, minute=0, second=0, microsecond=0)


_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "the page has no CSRF token"
    return match.group(1)


def login(client: FlaskClient, email: str, password: str = PASSWORD) -> Any:
    page = client.get("/login").get_data(as_text=True)
    return client.post(
        "/login", data={"email": email, "password": password, "csrf_token": csrf_token(page)}
    )


def logout(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(page)})


def schedule_case_conference(
    session: Session, settings: Settings, district: District, **over: Any
) -> ScheduledMeeting:
    """Schedule a case conference on the district's case (D-2026-0042 in the first district)."""
    values: dict[str, Any] = {
        "kind": "case_conference",
        "title": "Индивидуальный план работы",
        "case_code": district.case.code,
    }
    return schedule(session, settings, district, **(values | over))


def held_case_conference(session: Session, settings: Settings, district: District) -> Meeting:
    """A case conference held yesterday with the police and the school, its minutes not yet
    recorded; committed."""
    meeting = schedule_case_conference(
        session,
        settings,
        district,
        starts_at=in_days(-1),
        ends_at=in_days(-1) + timedelta(hours=1),
        agency_ids=[district.police.id, district.school.id],
        now=in_days(-3),
    ).meeting
    session.commit()
    return meeting


def schedule(
    session: Session, settings: Settings, district: District, **over: Any
) -> ScheduledMeeting:
    """Schedule the meeting of :func:`meeting_request`."""
    return schedule_meeting(session, settings, **meeting_request(district, **over))


def meeting_request(district: District, **over: Any) -> dict[str, Any]:
    """Return what schedules a joint inspection of D-2026-0042 by the education coordinator
    with the police, in 3 days."""
    values: dict[str, Any] = {
        "organizer": district.coordinator,
        "kind": "joint_inspection",
        "title": "Обследование условий проживания",
        "case_code": district.case.code,
        "address": "ул. Тестовая, 1",
        "starts_at": in_days(3),
        "ends_at": in_days(3) + timedelta(hours=1),
        "agency_ids": [district.police.id],
    }
    return values | over


def add_meetings(session: Session, district: District, count: int, *, days: float = 1) -> None:
    """Add *count* joint inspections of education with the police, one per hour."""
    for i in range(count):
        start = in_days(days) + timedelta(hours=i)
        meeting = Meeting(
            uid=f"bulk-{i}-{days}@test",
            district_id=district.row.id,  # type: ignore[arg-type]
            kind="joint_inspection",
            title=f"Обследование {i:03d}",
            starts_at=start,
            ends_at=start + timedelta(minutes=30),
            organizer_agency_id=district.education.id,  # type: ignore[arg-type]
        )
        session.add(meeting)
        session.flush()
        for agency in (district.education, district.police):
            session.add(MeetingAgency(meeting_id=meeting.id, agency_id=agency.id))  # type: ignore[arg-type]
    session.commit()


#: Friday 20 March 2026, 15:00 in Almaty: the issue's first example.
REPORT_AT = datetime(2026, 3, 20, 10, 0, tzinfo=UTC)

CHILD = RestrictedDetails(
    child_name="Әлихан Серікбайұлы Тестов",
    birth_date=datetime(2015, 4, 2).date(),
    address="ул. Абая 17, кв. 4",
    school_class="Школа № 1, 4 «Б»",
    notes="Соседи слышат крики по вечерам",
)


def open_test_case(session: Session, district: District, **over: Any) -> OpenedCase:
    """Open a case by the education coordinator, received at REPORT_AT, with CHILD's details."""
    user = over.pop("user", district.coordinator)
    values: dict[str, Any] = {
        "received_at": REPORT_AT,
        "source": "helpline_111",
        "category": "violence",
        "receiving_agency_id": district.education.id,
        "lead_agency_id": district.education.id,
        "agency_ids": [district.school.id],
        "restricted": CHILD,
        "now": REPORT_AT + timedelta(minutes=30),
    }
    values.update(over)
    return open_case(session, user, **values)
