"""A realistic demo district for ``birge demo``: loading it twice changes nothing."""

from __future__ import annotations

from datetime import time, timedelta

from sqlalchemy import select
from sqlmodel import Session, col

from models.cases.tables import Case, CaseAgency
from models.core.audit import record_event
from models.core.base import require_id, utcnow
from models.core.settings import Settings
from models.demo.building import (
    DEMO_PASSWORD,
    DemoMeeting,
    ensure_agencies,
    ensure_users,
    schedule_demo_meetings,
)
from models.demo.cases import load_demo_cases
from models.demo.region import load_demo_region
from models.meetings.tables import MeetingKind
from models.people.tables import AgencyKind, District, Role
from models.tasks.calendar_changes import add_decree_transfers

__all__ = ["DEMO_PASSWORD", "load_demo"]

DEMO_CASE_CODE = "D-2026-0042"

_DISTRICT = ("Байтерекский район", "Бәйтерек ауданы")

# slug, kind, Russian name, Kazakh name
_AGENCIES: list[tuple[str, AgencyKind, str, str]] = [
    (
        "akimat",
        AgencyKind.AKIMAT,
        "Аппарат акима Байтерекского района",
        "Бәйтерек ауданы әкімінің аппараты",
    ),
    ("education", AgencyKind.EDUCATION, "Отдел образования", "Білім бөлімі"),
    ("police", AgencyKind.POLICE, "Районный отдел полиции (ИДН)", "Аудандық полиция бөлімі (КІЖИ)"),
    ("health", AgencyKind.HEALTH, "Районная поликлиника", "Аудандық емхана"),
    (
        "social",
        AgencyKind.SOCIAL_PROTECTION,
        "Отдел занятости и социальных программ",
        "Жұмыспен қамту және әлеуметтік бағдарламалар бөлімі",
    ),
    (
        "guardianship",
        AgencyKind.GUARDIANSHIP,
        "Орган опеки и попечительства",
        "Қорғаншылық және қамқоршылық органы",
    ),
    (
        "kdnzp",
        AgencyKind.KDNZP,
        "Комиссия по делам несовершеннолетних и защите их прав",
        "Кәмелетке толмағандардың істері және олардың құқықтарын қорғау жөніндегі комиссия",
    ),
    (
        "crisis-center",
        AgencyKind.CENTER,
        "Кризисный центр «Шаңырақ»",
        "«Шаңырақ» дағдарыс орталығы",
    ),
    ("ngo-komek", AgencyKind.NGO, "ОФ «Көмек»", "«Көмек» ҚҚ"),
    ("school-12", AgencyKind.SCHOOL, "Средняя школа № 12", "№ 12 жалпы білім беретін мектеп"),
    ("school-27", AgencyKind.SCHOOL, "Школа-гимназия № 27", "№ 27 мектеп-гимназия"),
    ("school-41", AgencyKind.SCHOOL, "Средняя школа № 41 им. Абая", "Абай атындағы № 41 мектеп"),
]

_ENGLISH_NAMES = {
    "akimat": "Office of the Akim of Baiterek District",
    "education": "Department of Education",
    "police": "District Police Department (juvenile inspectors)",
    "health": "District Polyclinic",
    "social": "Department of Employment and Social Programmes",
    "guardianship": "Guardianship Authority",
    "kdnzp": "Commission on Juvenile Affairs and the Protection of Their Rights",
    "crisis-center": "Shanyrak Crisis Centre",
    "ngo-komek": "Komek Public Foundation",
    "school-12": "Secondary School No. 12",
    "school-27": "School-Gymnasium No. 27",
    "school-41": "Abai Secondary School No. 41",
}

# email, full name, role, agency slug, locale
_USERS: list[tuple[str, str, Role, str, str]] = [
    ("admin@birge.example", "Ерлан Касымов", Role.ADMIN, "akimat", "ru"),
    ("deputy.akim@birge.example", "Гүлнар Сейітқызы Әбенова", Role.CHAIR, "akimat", "kk"),
    ("secretary@birge.example", "Марина Петренко", Role.COORDINATOR, "akimat", "ru"),
    ("education@birge.example", "Айгерім Нұрланқызы", Role.COORDINATOR, "education", "kk"),
    ("inspector@birge.example", "Данияр Оспанов", Role.MEMBER, "police", "ru"),
    ("police.head@birge.example", "Серик Жумабаев", Role.COORDINATOR, "police", "ru"),
    ("pediatrician@birge.example", "Ольга Ким", Role.MEMBER, "health", "ru"),
    ("social@birge.example", "Бауыржан Төлеуов", Role.MEMBER, "social", "kk"),
    ("guardianship@birge.example", "Светлана Иванова", Role.COORDINATOR, "guardianship", "ru"),
    ("kdnzp@birge.example", "Асель Муратова", Role.COORDINATOR, "kdnzp", "ru"),
    ("psychologist@birge.example", "Жанар Ахметова", Role.MEMBER, "crisis-center", "kk"),
    ("ngo@birge.example", "Тимур Ли", Role.MEMBER, "ngo-komek", "ru"),
    ("pedagogue.12@birge.example", "Динара Бекова", Role.COORDINATOR, "school-12", "ru"),
    ("director.12@birge.example", "Нұрлан Серікұлы", Role.MEMBER, "school-12", "kk"),
    ("pedagogue.27@birge.example", "Алия Жақсылықова", Role.COORDINATOR, "school-27", "kk"),
    ("pedagogue.41@birge.example", "Ирина Соколова", Role.COORDINATOR, "school-41", "ru"),
]


_MEETINGS: list[DemoMeeting] = [
    DemoMeeting(
        "council-12",
        MeetingKind.PREVENTION_COUNCIL,
        "Совет профилактики школы № 12",
        2,
        time(15, 0),
        90,
        "Школа № 12, кабинет 204",
        "school-12",
        ("police", "social"),
    ),
    DemoMeeting(
        "inspection-1",
        MeetingKind.JOINT_INSPECTION,
        "Обследование условий проживания семьи по случаю D-2026-0042",
        3,
        time(10, 0),
        120,
        "Выезд от отдела образования",
        "education",
        ("police", "guardianship", "social"),
        True,
    ),
    DemoMeeting(
        "conference-1",
        MeetingKind.CASE_CONFERENCE,
        "Кейс-конференция: индивидуальный план работы",
        6,
        time(11, 0),
        60,
        "Отдел образования, зал заседаний",
        "education",
        ("school-12", "police", "health", "social", "guardianship", "crisis-center"),
        True,
    ),
    DemoMeeting(
        "coordination-1",
        MeetingKind.COORDINATION_MEETING,
        "Заседание межведомственной комиссии: просроченные поручения",
        9,
        time(16, 0),
        90,
        "Акимат, малый зал",
        "akimat",
        (
            "education",
            "police",
            "health",
            "social",
            "guardianship",
            "kdnzp",
            "crisis-center",
            "ngo-komek",
        ),
    ),
    DemoMeeting(
        "council-27",
        MeetingKind.PREVENTION_COUNCIL,
        "Профилактика кеңесі, қарашадағы отырыс",
        13,
        time(14, 30),
        90,
        "№ 27 мектеп-гимназия, мәжіліс залы",
        "school-27",
        ("police", "health"),
    ),
    DemoMeeting(
        "inspection-2",
        MeetingKind.JOINT_INSPECTION,
        "Посещение центра адаптации",
        16,
        time(10, 30),
        120,
        "Кризисный центр «Шаңырақ»",
        "kdnzp",
        ("crisis-center", "education", "health"),
    ),
    DemoMeeting(
        "council-41",
        MeetingKind.PREVENTION_COUNCIL,
        "Совет профилактики, внеочередное заседание",
        20,
        time(15, 0),
        60,
        "Школа № 41",
        "school-41",
        ("police", "ngo-komek"),
    ),
]


def load_demo(session: Session, settings: Settings) -> list[tuple[str, str, str]]:
    """Create whatever of the demo district is missing; return (email, role, agency) logins."""
    now = utcnow()
    district = session.scalars(
        select(District).where(col(District.name_ru) == _DISTRICT[0])
    ).first()
    if district is None:
        district = District(name_ru=_DISTRICT[0], name_kk=_DISTRICT[1], timezone=settings.timezone)
        session.add(district)
        session.flush()
    assert district.id is not None

    agencies = ensure_agencies(session, district, _AGENCIES, _ENGLISH_NAMES)
    logins = ensure_users(session, agencies, _USERS)

    case = session.scalars(select(Case).where(col(Case.code) == DEMO_CASE_CODE)).first()
    if case is None:
        case = Case(
            district_id=district.id,
            code=DEMO_CASE_CODE,
            lead_agency_id=require_id(agencies["education"]),
            receiving_agency_id=require_id(agencies["school-12"]),
            received_at=now - timedelta(days=3, hours=2),
            source="school",
            category="violence",
            opened_at=now - timedelta(days=3),
        )
        session.add(case)
        session.flush()
        for slug in ("education", "school-12", "police", "health", "social", "guardianship"):
            session.add(CaseAgency(case_id=require_id(case), agency_id=require_id(agencies[slug])))
        record_event(
            session,
            user_id=None,
            action="case.opened",
            object_type="case",
            object_id=case.id,
            detail=f"code={case.code} source=demo",
        )

    today = now.astimezone(settings.zone).date()
    add_decree_transfers(session, district.id, today.year, now=now)
    load_demo_cases(session, settings, district, now)  # after the decrees: they count them
    schedule_demo_meetings(session, settings, district, agencies, case, _MEETINGS, now=now)
    logins += load_demo_region(session, settings, district, now=now)
    return logins
