"""The demo's region: the demo district in West Kazakhstan Region, beside a second district of
the same region with its own agencies (its own ``police`` and a school), people, a case whose
statutory tasks are under way (one of them overdue) and meetings. Loading twice changes nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlmodel import Session, col

from models.cases.tables import Case
from models.casework.operations import open_case
from models.core.base import require_id
from models.core.settings import Settings
from models.demo.building import (
    DemoMeeting,
    ensure_agencies,
    ensure_overseer,
    ensure_users,
    schedule_demo_meetings,
)
from models.demo.cases import DEMO_CHILDREN
from models.meetings.tables import MeetingKind
from models.people.tables import Agency, AgencyKind, District, Region, Role, User
from models.tasks.calendar_changes import add_decree_transfers
from models.tasks.operations import complete_task, create_task
from models.workdays.calendar import district_calendar

__all__ = [
    "DEMO_REGION",
    "DEPLOYMENT_ADMINISTRATOR",
    "REGIONAL_VIEWER",
    "SECOND_DISTRICT",
    "load_demo_region",
]

DEMO_REGION = ("Западно-Казахстанская область", "Батыс Қазақстан облысы")

#: The region's viewer (the oblast akimat's deputy akim) and the deployment's administrator.
REGIONAL_VIEWER = ("region@birge.example", "Гүлнар Сейітқалиева")
DEPLOYMENT_ADMINISTRATOR = ("deployment@birge.example", "Администратор развёртывания")
#: Russian name, Kazakh name, case-code prefix.
SECOND_DISTRICT = ("Бурлинский район", "Бөрлі ауданы", "BRL")

_AGENCIES: list[tuple[str, AgencyKind, str, str]] = [
    (
        "akimat",
        AgencyKind.AKIMAT,
        "Аппарат акима Бурлинского района",
        "Бөрлі ауданы әкімінің аппараты",
    ),
    ("education", AgencyKind.EDUCATION, "Отдел образования Бурлинского района", "Білім бөлімі"),
    (
        "police",
        AgencyKind.POLICE,
        "Бурлинский районный отдел полиции (ИДН)",
        "Бөрлі аудандық полиция бөлімі (КІЖИ)",
    ),
    (
        "guardianship",
        AgencyKind.GUARDIANSHIP,
        "Орган опеки и попечительства",
        "Қорғаншылық және қамқоршылық органы",
    ),
    ("school-5", AgencyKind.SCHOOL, "Средняя школа № 5 г. Аксай", "Ақсай қ. № 5 мектеп"),
]
_ENGLISH_NAMES = {
    "akimat": "Office of the Akim of Burli District",
    "education": "Burli Department of Education",
    "police": "Burli District Police Department (juvenile inspectors)",
    "guardianship": "Guardianship Authority",
    "school-5": "Aksai Secondary School No. 5",
}
_USERS: list[tuple[str, str, Role, str, str]] = [
    ("admin.burli@birge.example", "Асхат Нұрмағанбетов", Role.ADMIN, "akimat", "kk"),
    ("deputy.akim.burli@birge.example", "Елена Гришина", Role.CHAIR, "akimat", "ru"),
    ("education.burli@birge.example", "Гаухар Исмагулова", Role.COORDINATOR, "education", "kk"),
    ("inspector.burli@birge.example", "Руслан Каримов", Role.MEMBER, "police", "ru"),
    ("pedagogue.burli@birge.example", "Сауле Жанибекова", Role.COORDINATOR, "school-5", "ru"),
]
_MEETINGS: list[DemoMeeting] = [
    DemoMeeting(
        "burli-council-5",
        MeetingKind.PREVENTION_COUNCIL,
        "Совет профилактики школы № 5",
        4,
        time(15, 0),
        90,
        "Школа № 5, актовый зал",
        "school-5",
        ("police", "education"),
    ),
    DemoMeeting(
        "burli-conference-1",
        MeetingKind.CASE_CONFERENCE,
        "Кейс-конференция по сообщению с линии 111",
        7,
        time(11, 0),
        60,
        "Отдел образования, кабинет 12",
        "education",
        ("police", "guardianship", "school-5"),
        True,
    ),
]
#: The second district's case: a helpline report three working days old.
_CHILD = "burli"


def load_demo_region(
    session: Session, settings: Settings, first: District, *, now: datetime
) -> list[tuple[str, str, str]]:
    """Place *first* in the demo region and add the region's second district where missing;
    return the second district's logins."""
    region = session.scalars(select(Region).where(col(Region.name_ru) == DEMO_REGION[0])).first()
    if region is None:
        region = Region(name_ru=DEMO_REGION[0], name_kk=DEMO_REGION[1])
        session.add(region)
        session.flush()
    if first.region_id is None:
        first.region_id = region.id
        session.add(first)
    name_ru, name_kk, prefix = SECOND_DISTRICT
    district = session.scalars(select(District).where(col(District.name_ru) == name_ru)).first()
    if district is None:
        district = District(
            region_id=region.id,
            name_ru=name_ru,
            name_kk=name_kk,
            case_prefix=prefix,
            timezone=settings.timezone,
        )
        session.add(district)
        session.flush()
    agencies = ensure_agencies(session, district, _AGENCIES, _ENGLISH_NAMES)
    logins = ensure_users(session, agencies, _USERS)
    logins.append(ensure_overseer(session, *REGIONAL_VIEWER, Role.REGIONAL, region))
    logins.append(ensure_overseer(session, *DEPLOYMENT_ADMINISTRATOR, Role.DEPLOYMENT))
    add_decree_transfers(session, require_id(district), now.year, now=now)
    case = session.scalars(select(Case).where(col(Case.district_id) == district.id)).first()
    if case is None:
        case = _open_the_case(session, settings, district, agencies, now=now)
    schedule_demo_meetings(session, settings, district, agencies, case, _MEETINGS, now=now)
    return logins


def _open_the_case(
    session: Session,
    settings: Settings,
    district: District,
    agencies: dict[str, Agency],
    *,
    now: datetime,
) -> Case:
    """Open the helpline's report of three working days ago: its statutory tasks all done but
    one, left overdue; and a home visit due tomorrow."""
    coordinator = _user(session, "education.burli@birge.example")
    chair = _user(session, "deputy.akim.burli@birge.example")
    zone = ZoneInfo(district.timezone)
    calendar = district_calendar(session, require_id(district))
    today = now.astimezone(zone).date()
    received = calendar.add_working_days(
        datetime.combine(today, time(10, 0), tzinfo=zone).astimezone(UTC), -3
    )
    received = min(received, now - timedelta(minutes=30))
    opened_at = min(received + timedelta(hours=1), now)
    opened = open_case(
        session,
        coordinator,
        received_at=received,
        source="helpline_111",
        category="neglect",
        receiving_agency_id=require_id(agencies["education"]),
        lead_agency_id=require_id(agencies["education"]),
        agency_ids=[require_id(agencies["school-5"]), require_id(agencies["police"])],
        restricted=DEMO_CHILDREN[_CHILD],
        now=opened_at,
    )
    overdue = sorted((t for t in opened.tasks if t.due_at < now), key=lambda t: t.due_at)
    for task in overdue[1:]:  # the earliest is left overdue
        complete_task(session, chair, task, note="Выполнено", now=min(task.due_at, now))
    tomorrow = datetime.combine(today + timedelta(days=1), time(18, 0), tzinfo=zone)
    create_task(
        session,
        coordinator,
        settings=settings,
        title=f"Посетить семью по случаю {opened.case.code}",
        agency_id=require_id(agencies["education"]),
        due_at=tomorrow.astimezone(UTC),
        now=now,
        case=opened.case,
    )
    return opened.case


def _user(session: Session, email: str) -> User:
    return session.scalars(select(User).where(col(User.email) == email)).one()
