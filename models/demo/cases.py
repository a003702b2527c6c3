"""The demo district's cases: different sources, invented children, statutory tasks of which
some are overdue, some done and some due tomorrow. Loading twice changes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlmodel import Session, col

from models.cases.tables import Case, CaseFlag, CaseRestricted
from models.casework.changes import set_case_flag
from models.casework.operations import open_case
from models.casework.restricted import RestrictedDetails, update_restricted
from models.core.base import require_id
from models.core.settings import Settings
from models.people.tables import Agency, District, User
from models.tasks.operations import complete_task, create_task
from models.tasks.rules import seed_default_rules
from models.workdays.calendar import district_calendar

__all__ = ["DEMO_CHILDREN", "load_demo_cases"]

#: Invented children. The privacy test asserts none of these ever leaves the portal.
DEMO_CHILDREN: dict[str, RestrictedDetails] = {
    "D-2026-0042": RestrictedDetails(
        child_name="Айдана Ерболқызы Сапарова",
        birth_date=date(2014, 9, 3),
        address="с. Бәйтерек, ул. Достык 14",
        school_class="Средняя школа № 12, 6 «А»",
        notes="Классный руководитель заметил синяки; мать работает вахтой.",
    ),
    "helpline": RestrictedDetails(
        child_name="Тимур Владимирович Гончаренко",
        birth_date=date(2016, 2, 11),
        address="с. Бәйтерек, ул. Мира 3, кв. 8",
        school_class="Школа-гимназия № 27, 4 «Б»",
        notes="Звонок соседки на линию 111: ночью крики, ребёнок один дома.",
    ),
    "police": RestrictedDetails(
        child_name="Нұрсұлтан Асқарұлы Жұмабеков",
        birth_date=date(2010, 6, 30),
        address="п. Қызылжар, ул. Абая 52",
        school_class="Средняя школа № 41 им. Абая, 9 «В»",
        notes="Доставлен участковым; отчим задержан.",
    ),
    "round": RestrictedDetails(
        child_name="Милана Сергеевна Ковальчук",
        birth_date=date(2019, 12, 1),
        address="с. Бәйтерек, ул. Садовая 21",
        school_class="",
        notes="Подворный обход: в доме нет отопления и еды.",
    ),
    # The second district's (models/demo/region.py).
    "burli": RestrictedDetails(
        child_name="Алина Маратовна Серікбаева",
        birth_date=date(2013, 5, 20),
        address="г. Аксай, мкр. 10, д. 4, кв. 17",
        school_class="Средняя школа № 5 г. Аксай, 7 «А»",
        notes="Звонок на линию 111: девочка не ночует дома, мать не выходит на связь.",
    ),
    "school": RestrictedDetails(
        child_name="Арман Бекзатұлы Төлегенов",
        birth_date=date(2012, 3, 17),
        address="с. Бәйтерек, мкр. Жастар 7, кв. 31",
        school_class="Средняя школа № 12, 8 «Б»",
        notes="Травля в классе, пропуски занятий три недели.",
    ),
}


@dataclass(frozen=True)
class _DemoCase:
    key: str
    source: str
    category: str
    receiving: str
    lead: str
    others: tuple[str, ...]
    working_days_ago: int  # received this many working days ago, at 10:00
    signs_of_offence: bool = False
    child_removed_later: bool = False
    done: int = 0  # how many of its first tasks are done


_CASES = (
    _DemoCase(
        "helpline", "helpline_111", "neglect", "education", "education", ("school-27",), 6, done=1
    ),
    _DemoCase(
        "police",
        "police",
        "violence",
        "police",
        "guardianship",
        ("education", "health", "school-41"),
        3,
        signs_of_offence=True,
        child_removed_later=True,
    ),
    _DemoCase("round", "door_to_door", "neglect", "social", "social", ("health",), 0),
    _DemoCase("school", "school", "bullying", "school-12", "school-12", ("education",), 0),
)


def load_demo_cases(
    session: Session, settings: Settings, district: District, now: datetime
) -> None:
    """Add the demo cases unless the district already has more than its first one."""
    seed_default_rules(session)
    district_id = require_id(district)
    agencies = {
        a.slug: a
        for a in session.scalars(select(Agency).where(col(Agency.district_id) == district_id))
    }
    secretary = session.scalars(
        select(User).where(col(User.email) == "secretary@birge.example")
    ).one()
    chair = session.scalars(
        select(User).where(col(User.email) == "deputy.akim@birge.example")
    ).one()
    first = session.scalars(select(Case).where(col(Case.code) == "D-2026-0042")).first()
    if first is not None and session.get(CaseRestricted, first.id) is None:
        update_restricted(session, chair, first, DEMO_CHILDREN["D-2026-0042"], now=now)
    count = session.scalar(
        select(func.count()).select_from(Case).where(col(Case.district_id) == district_id)
    )
    if (count or 0) > 1:
        return
    calendar = district_calendar(session, district_id)
    zone = ZoneInfo(district.timezone)
    today = now.astimezone(zone).date()
    for spec in _CASES:
        received = calendar.add_working_days(
            datetime.combine(today, time(10, 0), tzinfo=zone).astimezone(UTC),
            -spec.working_days_ago,
        )
        received = min(received, now - timedelta(minutes=30))
        opened_at = min(received + timedelta(hours=1), now)  # opened back then, not today
        opened = open_case(
            session,
            secretary,
            received_at=received,
            source=spec.source,
            category=spec.category,
            receiving_agency_id=require_id(agencies[spec.receiving]),
            lead_agency_id=require_id(agencies[spec.lead]),
            agency_ids=[require_id(agencies[s]) for s in spec.others],
            signs_of_offence=spec.signs_of_offence,
            restricted=DEMO_CHILDREN[spec.key],
            now=opened_at,
        )
        for task in opened.tasks[: spec.done]:
            done_at = min(opened_at + timedelta(hours=3), now)
            complete_task(session, chair, task, note="Выполнено в срок", now=done_at)
        if spec.child_removed_later:
            set_case_flag(
                session, chair, opened.case, CaseFlag.CHILD_REMOVED, now=now - timedelta(days=1)
            )
        # A home visit due tomorrow at 18:00, whatever the day.
        tomorrow = datetime.combine(today + timedelta(days=1), time(18, 0), tzinfo=zone)
        create_task(
            session,
            secretary,
            settings=settings,
            title=f"Посетить семью по случаю {opened.case.code}",
            agency_id=require_id(agencies[spec.lead]),
            due_at=tomorrow.astimezone(UTC),
            now=now,
            case=opened.case,
        )


def _user(session: Session, email: str) -> User:
    return session.scalars(select(User).where(col(User.email) == email)).one()
