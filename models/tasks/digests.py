"""The daily digest of overdue tasks, planned by the scheduler's tick at the start of each
working day: the chair gets every overdue task of the district by agency, each agency head the
part of their agency; nobody gets one when nothing is overdue.

A district's ``digest_planned_on`` is claimed with a conditional update (one scheduler wins
a day), and each email's dedupe key (``digest:<district>:<date>:user:<id>``,
:func:`models.outbox.keys.digest_key`) guards again. A tick outside working hours plans none;
a scheduler started late in the day still sends that day's digest.

A tick reads only the districts whose ``digest_due_at`` has come (an index): each is then
given the start of its next working day, so a tick costs the districts due, not how many
districts the deployment serves. A calendar change (``models.tasks.calendar_changes``) clears
it, and the district is looked at again on the next tick.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any, cast

from sqlalchemy import or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col

from calendars.workdays import WorkCalendar
from models.cases.tables import Case
from models.core.base import require_id
from models.core.settings import Settings
from models.outbox.keys import Addressee, digest_key
from models.outbox.notifications import NotificationKind, add_notification
from models.people.access import district_chairs
from models.people.tables import Agency, District
from models.tasks.emails import DigestLine, digest_email
from models.tasks.escalation.ladder import agency_head
from models.tasks.queries import overdue
from models.tasks.tables import Task
from models.tasks.titles import statutory_titles, title_in
from models.workdays.calendar import district_calendar

__all__ = ["overdue_tasks", "plan_digests"]


def overdue_tasks(
    session: Session, district_id: int, *, now: datetime
) -> Sequence[tuple[Task, Agency, str | None]]:
    """Return the district's open tasks past their due moment with their agency and case code,
    by agency and due moment."""
    rows = session.execute(
        select(Task, Agency, col(Case.code))
        .join(Agency, col(Agency.id) == col(Task.responsible_agency_id))
        .outerjoin(Case, col(Case.id) == col(Task.case_id))
        .where(col(Task.district_id) == district_id)
        .where(overdue(now))
        .order_by(col(Agency.name_ru), col(Agency.id), col(Task.due_at), col(Task.id))
    ).all()
    return [(task, agency, code) for task, agency, code in rows]


def _claim_day(session: Session, district_id: int, today: date) -> bool:
    d = District
    result = session.execute(
        update(d)
        .where(col(d.id) == district_id)
        .where(or_(col(d.digest_planned_on).is_(None), col(d.digest_planned_on) < today))
        .values(digest_planned_on=today),
        execution_options={"synchronize_session": False},
    )
    return cast("CursorResult[Any]", result).rowcount == 1


def _look_again(session: Session, district_id: int, at: datetime) -> None:
    session.execute(
        update(District).where(col(District.id) == district_id).values(digest_due_at=at),
        execution_options={"synchronize_session": False},
    )


def plan_digests(session: Session, settings: Settings, *, now: datetime) -> int:
    """Write today's digests of every district whose working day has begun and whose digest
    is not planned yet; return how many emails were written. Nothing is committed."""
    written = 0
    due = session.scalars(
        select(District)
        .where(or_(col(District.digest_due_at).is_(None), col(District.digest_due_at) <= now))
        .order_by(col(District.id))
    ).all()
    for district in due:
        district_id = require_id(district)
        calendar = district_calendar(session, district_id)
        opens = calendar.next_working_moment(now)
        if opens != now:
            _look_again(session, district_id, opens)
            continue
        today = calendar.local_date(now)
        midnight = datetime.combine(today + timedelta(days=1), time(0), tzinfo=calendar.zone)
        _look_again(session, district_id, calendar.next_working_moment(midnight))
        if district.digest_planned_on is not None and district.digest_planned_on >= today:
            continue
        if not _claim_day(session, district_id, today):
            continue
        set_committed_value(district, "digest_planned_on", today)
        overdue = overdue_tasks(session, district_id, now=now)
        if overdue:
            written += _write_digests(session, settings, calendar, district_id, overdue, now=now)
    session.flush()
    return written


def _lines(
    overdue: Sequence[tuple[Task, Agency, str | None]],
    calendar: WorkCalendar,
    locale: str,
    now: datetime,
    titles: dict[str, str],
) -> list[DigestLine]:
    return [
        DigestLine(
            agency_name=agency.name(locale),
            case_code=code,
            title=title_in(task.title, titles),
            due_at=task.due_at,
            working_days_overdue=calendar.working_days_between(task.due_at, now),
        )
        for task, agency, code in overdue
    ]


def _write_digests(
    session: Session,
    settings: Settings,
    calendar: WorkCalendar,
    district_id: int,
    overdue: Sequence[tuple[Task, Agency, str | None]],
    *,
    now: datetime,
) -> int:
    today = calendar.local_date(now)
    chairs = district_chairs(session, district_id)
    # (key, address, locale, user id, the tasks it lists, link)
    wanted: list[tuple[str, str, str, int | None, list[Any], str]] = []
    for chair in chairs:
        wanted.append(
            (
                digest_key(district_id, today, Addressee(user_id=require_id(chair))),
                chair.email,
                chair.locale,
                chair.id,
                list(overdue),
                f"{settings.base_url}/tasks?scope=district&bucket=overdue",
            )
        )
    by_agency: dict[int, list[tuple[Task, Agency, str | None]]] = {}
    for row in overdue:
        by_agency.setdefault(require_id(row[1]), []).append(row)
    for agency_id, rows in by_agency.items():
        head = agency_head(rows[0][1])
        if head is not None:
            wanted.append(
                (
                    digest_key(district_id, today, Addressee(head_of_agency_id=agency_id)),
                    head.email,
                    head.locale,
                    None,
                    rows,
                    f"{settings.base_url}/tasks?bucket=overdue",
                )
            )
    written = 0
    for key, address, locale, user_id, rows, url in wanted:
        email = digest_email(
            _lines(rows, calendar, locale, now, statutory_titles(session, locale)),
            day=today,
            url=url,
            locale=locale,
            zone=calendar.zone,
        )
        added = add_notification(
            session,
            district_id=district_id,
            dedupe_key=key,
            user_id=user_id,
            recipient=address,
            locale=locale,
            subject=email.subject,
            body=email.text,
            html=email.html,
            kind=NotificationKind.DIGEST,
            now=now,
            grace=timedelta(0),
        )
        written += added is not None
    return written
