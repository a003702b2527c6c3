"""What the demo's districts are built of: agencies, accounts and meetings made where missing,
so that loading the demo twice changes nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache

from sqlalchemy import select
from sqlmodel import Session, col
from werkzeug.security import generate_password_hash

from calendars.recurrence import monthly_rule_like
from calendars.workdays import WorkCalendar
from models.cases.tables import Case
from models.core.audit import record_event
from models.core.base import require_id
from models.core.settings import Settings
from models.meetings.reminders import replan_meeting_reminders
from models.meetings.sittings import sitting_times
from models.meetings.tables import Meeting, MeetingAgency, MeetingKind, Sitting
from models.people.tables import Agency, AgencyKind, District, Region, Role, User
from models.workdays.calendar import district_calendar

__all__ = [
    "DEMO_PASSWORD",
    "DemoMeeting",
    "ensure_agencies",
    "ensure_users",
    "local_moment",
    "schedule_demo_meetings",
]

DEMO_PASSWORD = "birge-demo-2026"  # noqa: S105 - printed for the demo on purpose


@dataclass(frozen=True)
class DemoMeeting:
    key: str
    kind: MeetingKind
    title: str
    days_ahead: int
    start: time
    minutes: int
    location: str
    organizer: str
    agencies: tuple[str, ...]
    with_case: bool = False


def ensure_agencies(
    session: Session,
    district: District,
    rows: list[tuple[str, AgencyKind, str, str]],
    english: dict[str, str],
) -> dict[str, Agency]:
    """The district's agencies of *rows* (slug, kind, Russian and Kazakh names), made where
    missing; by slug."""
    agencies: dict[str, Agency] = {}
    for slug, kind, name_ru, name_kk in rows:
        agency = session.scalars(
            select(Agency).where(col(Agency.district_id) == district.id, col(Agency.slug) == slug)
        ).first()
        if agency is None:
            agency = Agency(
                district_id=require_id(district),
                slug=slug,
                kind=kind.value,
                name_ru=name_ru,
                name_kk=name_kk,
                name_en=english[slug],
                head_email=f"head.{slug}@birge.example",
            )
            session.add(agency)
            session.flush()
        elif not agency.name_en:
            agency.name_en = english[slug]  # a district loaded before agencies had English names
            session.add(agency)
        agencies[slug] = agency
    return agencies


def ensure_users(
    session: Session, agencies: dict[str, Agency], rows: list[tuple[str, str, Role, str, str]]
) -> list[tuple[str, str, str]]:
    """The accounts of *rows* (email, name, role, agency slug, language), made where missing,
    with the demo password; return their (email, role, agency) logins."""
    logins = []
    for email, full_name, role, slug, locale in rows:
        user = session.scalars(select(User).where(col(User.email) == email)).first()
        if user is None:
            user = User(
                agency_id=require_id(agencies[slug]),
                email=email,
                full_name=full_name,
                role=role.value,
                locale=locale,
            )
            user.password_hash = _demo_password_hash()
            session.add(user)
        logins.append((email, role.value, slug))
    session.flush()
    return logins


def ensure_overseer(
    session: Session, email: str, full_name: str, role: Role, region: Region | None = None
) -> tuple[str, str, str]:
    """The account above the districts *email* (a regional viewer of *region*, or a deployment
    administrator), made where missing with the demo password; return its login, its place
    ("region" or "deployment") where a district's staff have their agency."""
    user = session.scalars(select(User).where(col(User.email) == email)).first()
    if user is None:
        user = User(
            agency_id=None,
            region_id=require_id(region) if region is not None else None,
            email=email,
            full_name=full_name,
            role=role.value,
            locale="ru",
        )
        user.password_hash = _demo_password_hash()
        session.add(user)
        session.flush()
    return email, role.value, "region" if region is not None else "deployment"


def schedule_demo_meetings(
    session: Session,
    settings: Settings,
    district: District,
    agencies: dict[str, Agency],
    case: Case | None,
    specs: list[DemoMeeting],
    *,
    now: datetime,
) -> None:
    """Schedule whichever of *specs* the district does not have yet, each on a working day."""
    today = now.astimezone(settings.zone).date()
    calendar = district_calendar(session, require_id(district))
    for spec in specs:
        uid = f"demo-{spec.key}@birge"
        if (
            session.scalars(select(col(Meeting.id)).where(col(Meeting.uid) == uid)).first()
            is not None
        ):
            continue
        # Nothing on a day off: the first working day from the planned one.
        day = today + timedelta(days=spec.days_ahead)
        while not calendar.is_working_day(day):
            day += timedelta(days=1)
        starts_at = local_moment(day, spec.start, settings)
        meeting = Meeting(
            uid=uid,
            district_id=require_id(district),
            kind=spec.kind.value,
            title=spec.title,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=spec.minutes),
            location=spec.location,
            organizer_agency_id=require_id(agencies[spec.organizer]),
            case_id=case.id if spec.with_case and case is not None else None,
            created_at=now,
            updated_at=now,
        )
        if spec.kind is MeetingKind.PREVENTION_COUNCIL:
            # A school's council repeats monthly on the weekday of its first sitting.
            meeting.school_agency_id = require_id(agencies[spec.organizer])
            meeting.rrule = monthly_rule_like(starts_at.astimezone(settings.zone))
        session.add(meeting)
        session.flush()
        if meeting.rrule:
            _move_sittings_off_days_off(session, settings, meeting, calendar)
        replan_meeting_reminders(session, settings, meeting, now=now)
        for slug in dict.fromkeys((spec.organizer, *spec.agencies)):
            session.add(
                MeetingAgency(meeting_id=require_id(meeting), agency_id=require_id(agencies[slug]))
            )
        record_event(
            session,
            user_id=None,
            action="meeting.scheduled",
            object_type="meeting",
            object_id=meeting.id,
            detail=f"kind={spec.kind.value} source=demo",
        )


def _move_sittings_off_days_off(
    session: Session, settings: Settings, meeting: Meeting, calendar: WorkCalendar
) -> None:
    """Move each sitting of the series *meeting* in its first year that its rule puts on a
    day off (the fourth Monday of March is Nauryz) to the next working day, as a school would."""
    for sitting in sitting_times(
        meeting,
        [],
        settings.zone,
        after=meeting.starts_at,
        before=meeting.starts_at + timedelta(days=366),
    ):
        local = sitting.starts_at.astimezone(settings.zone)
        day = local.date()
        if calendar.is_working_day(day):
            continue
        while not calendar.is_working_day(day):
            day += timedelta(days=1)
        moved = local_moment(day, local.time(), settings)
        session.add(
            Sitting(
                meeting_id=require_id(meeting),
                original_start=sitting.original_start,
                starts_at=moved,
                ends_at=moved + (sitting.ends_at - sitting.starts_at),
            )
        )
    session.flush()


@cache
def _demo_password_hash() -> str:
    """Every demo account has the printed password; hash it once (hashing is slow on purpose)."""
    return generate_password_hash(DEMO_PASSWORD)


def local_moment(day: date, at: time, settings: Settings) -> datetime:
    """*day* at *at* in the deployment's zone, in UTC."""
    return datetime.combine(day, at, tzinfo=settings.zone).astimezone(UTC)
