"""The meetings of bench/national.py's districts: each school's monthly prevention council
(a few with a moved or a cancelled sitting) and the district's other meetings of the year, each
row with the next sitting and reminder moment the planner would keep."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.engine import Connection

from calendars.recurrence import monthly_rule_like
from models.core.settings import Settings
from models.meetings.reminder_plan import plan_sittings
from models.meetings.sittings import SittingTime, sitting_times
from models.meetings.tables import Meeting, Sitting

__all__ = ["COUNCIL_GUESTS", "MEETING_GUESTS", "add_meetings"]

ZONE = ZoneInfo("Asia/Almaty")
#: Who is invited to a school's council besides the school.
COUNCIL_GUESTS = ("police", "education", "social", "kdnzp")
#: Who is invited to the district's other meetings besides the akimat, which organises them.
MEETING_GUESTS = ("police", "education", "guardianship", "health")
SINGLE_KINDS = ("coordination_meeting", "case_conference", "joint_inspection")


def add_meetings(
    conn: Connection, settings: Settings, schools: int, single_meetings: int, moment: datetime
) -> None:
    """Each school's monthly council, begun within the last year (every fourth with a moved
    sitting, every tenth with a cancelled one), and the district's other meetings of the year
    around *moment*; each with the next sitting and reminder moment the planner would keep."""
    agencies = {
        (district, slug): agency
        for district, slug, agency in conn.execute(text("SELECT district_id, slug, id FROM agency"))
    }
    districts = [row[0] for row in conn.execute(text("SELECT id FROM district ORDER BY id"))]
    meetings: list[dict[str, object]] = []
    guests: list[dict[str, int]] = []
    overrides: list[dict[str, object]] = []
    for district in districts:
        for school in range(1, schools + 1):
            meeting_id = len(meetings) + 1
            day = moment.astimezone(ZONE).date() - timedelta(days=330 + school % 28)
            while day.weekday() >= 5:
                day += timedelta(days=1)
            starts = datetime.combine(day, time(15, 0), tzinfo=ZONE).astimezone(UTC)
            school_id = agencies[(district, f"school-{school}")]
            meeting = Meeting(
                id=meeting_id,
                uid=f"bench-{meeting_id}@birge",
                district_id=district,
                kind="prevention_council",
                title=f"Совет профилактики школы № {school}",
                starts_at=starts,
                ends_at=starts + timedelta(minutes=90),
                location=f"Средняя школа № {school}, актовый зал",
                organizer_agency_id=school_id,
                school_agency_id=school_id,
                rrule=monthly_rule_like(starts.astimezone(ZONE)),
            )
            changed = _changed_sittings(meeting, school, moment)
            overrides += [
                {
                    "meeting": meeting_id,
                    "original": s.original_start,
                    "starts": s.starts_at,
                    "ends": s.ends_at,
                    "cancelled": s.cancelled,
                    "t": moment,
                }
                for s in changed
            ]
            meetings.append(_meeting_row(meeting, changed, settings, moment))
            guests += [{"meeting": meeting_id, "agency": school_id}] + [
                {"meeting": meeting_id, "agency": agencies[(district, slug)]}
                for slug in COUNCIL_GUESTS
            ]
        for number in range(single_meetings):
            meeting_id = len(meetings) + 1
            offset = timedelta(days=365 * number // max(single_meetings, 1) - 180)
            starts = moment.replace(minute=0, second=0, microsecond=0) + offset
            meeting = Meeting(
                id=meeting_id,
                uid=f"bench-{meeting_id}@birge",
                district_id=district,
                kind=SINGLE_KINDS[number % len(SINGLE_KINDS)],
                title=f"Заседание № {number + 1}",
                starts_at=starts,
                ends_at=starts + timedelta(minutes=120),
                location="Акимат, малый зал",
                organizer_agency_id=agencies[(district, "akimat")],
            )
            meetings.append(_meeting_row(meeting, [], settings, moment))
            guests += [
                {"meeting": meeting_id, "agency": agencies[(district, slug)]}
                for slug in ("akimat", *MEETING_GUESTS)
            ]
    conn.execute(
        text(
            """
            INSERT INTO meeting (id, uid, district_id, kind, title, starts_at, ends_at, location,
                organizer_agency_id, status, sequence, created_at, updated_at, rrule,
                school_agency_id, address, outcome_note, reminder_due_at, next_sitting_at)
            VALUES (:id, :uid, :district_id, :kind, :title, :starts_at, :ends_at, :location,
                :organizer_agency_id, 'scheduled', :sequence, :created, :created, :rrule,
                :school_agency_id, '', '', :reminder_due_at, :next_sitting_at)
            """
        ),
        meetings,
    )
    conn.execute(text("SELECT setval('meeting_id_seq', (SELECT max(id) FROM meeting))"))
    conn.execute(
        text("INSERT INTO meeting_agency (meeting_id, agency_id) VALUES (:meeting, :agency)"),
        guests,
    )
    if overrides:
        conn.execute(
            text(
                """
                INSERT INTO meeting_sitting (meeting_id, original_start, starts_at, ends_at,
                    cancelled, sequence, updated_at)
                VALUES (:meeting, :original, :starts, :ends, :cancelled, 1, :t)
                """
            ),
            overrides,
        )


def _changed_sittings(meeting: Meeting, school: int, moment: datetime) -> list[Sitting]:
    """Every fourth school's council moved its third sitting a day on; every tenth cancelled
    its sixth."""
    rule_sittings = sitting_times(
        meeting, [], ZONE, after=meeting.starts_at, before=moment + timedelta(days=60)
    )
    changed = []
    if school % 4 == 0 and len(rule_sittings) > 3:
        moved = rule_sittings[3]
        changed.append(
            Sitting(
                meeting_id=meeting.id or 0,
                original_start=moved.original_start,
                starts_at=moved.starts_at + timedelta(days=1),
                ends_at=moved.ends_at + timedelta(days=1),
                sequence=1,
            )
        )
    if school % 10 == 5 and len(rule_sittings) > 6:
        gone = rule_sittings[6]
        changed.append(
            Sitting(
                meeting_id=meeting.id or 0,
                original_start=gone.original_start,
                starts_at=gone.starts_at,
                ends_at=gone.ends_at,
                cancelled=True,
                sequence=1,
            )
        )
    return changed


def _meeting_row(
    meeting: Meeting, overrides: Sequence[Sitting], settings: Settings, moment: datetime
) -> dict[str, object]:
    """The row of *meeting* with the next sitting and reminder moment after *moment* (the
    reminders due before it count as sent)."""
    offsets = settings.reminder_offsets(meeting.kind)
    if meeting.rrule:
        horizon = moment + max(offsets, default=timedelta(0)) + timedelta(days=400)
        sittings = sitting_times(meeting, overrides, ZONE, after=moment, before=horizon)
    elif meeting.ends_at > moment:
        sittings = [SittingTime(meeting.starts_at, meeting.starts_at, meeting.ends_at)]
    else:
        sittings = []
    plan = plan_sittings(sittings, offsets, since=None, now=moment, series=bool(meeting.rrule))
    if meeting.rrule:
        next_sitting = plan.next_sitting.starts_at if plan.next_sitting else None
    else:
        next_sitting = meeting.starts_at
    return {
        "id": meeting.id,
        "uid": meeting.uid,
        "district_id": meeting.district_id,
        "kind": meeting.kind,
        "title": meeting.title,
        "starts_at": meeting.starts_at,
        "ends_at": meeting.ends_at,
        "location": meeting.location,
        "organizer_agency_id": meeting.organizer_agency_id,
        "sequence": len(overrides),
        "created": meeting.starts_at - timedelta(days=14),
        "rrule": meeting.rrule,
        "school_agency_id": meeting.school_agency_id,
        "reminder_due_at": plan.next_moment,
        "next_sitting_at": next_sitting,
    }
