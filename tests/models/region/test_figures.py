"""A region's figures: per district and agency kind, counted from the rows as a regional viewer
needs them, another region's districts left out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import Session

from models.meetings.tables import Meeting, Sitting
from models.minutes.tables import MeetingMinutes
from models.people.tables import Region
from models.region.figures import TREND_WEEKS, RegionCache, region_figures
from models.tasks.tables import Task, TaskOrigin, TaskStatus
from tests.factories import District, make_district

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)  # a Wednesday, 14:00 in Almaty


def _task(
    session: Session,
    d: District,
    *,
    due: timedelta,
    status: TaskStatus = TaskStatus.OPEN,
    done_after_due: timedelta | None = None,
    statutory: bool = True,
    school: bool = False,
) -> Task:
    task = Task(
        district_id=d.row.id,  # type: ignore[arg-type]
        case_id=d.case.id,
        origin=(TaskOrigin.RULE if statutory else TaskOrigin.MANUAL).value,
        title="Первичная информация",
        responsible_agency_id=(d.school if school else d.police).id,  # type: ignore[arg-type]
        due_at=NOW + due,
        status=status.value,
        created_at=NOW - timedelta(days=200),
    )
    if status is TaskStatus.DONE:
        task.completed_at = task.due_at + (done_after_due or timedelta(0))
    if status is TaskStatus.CANCELLED:
        task.cancelled_at = task.due_at
    session.add(task)
    session.flush()
    return task


def _council(
    session: Session, d: District, uid: str, *, days_ago: int, rrule: str | None = None
) -> Meeting:
    start = NOW - timedelta(days=days_ago)
    meeting = Meeting(
        uid=uid,
        district_id=d.row.id,  # type: ignore[arg-type]
        kind="prevention_council",
        title="Совет профилактики школы № 1",
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        organizer_agency_id=d.school.id,  # type: ignore[arg-type]
        rrule=rrule,
    )
    session.add(meeting)
    session.flush()
    return meeting


def test_a_regions_figures_count_each_district_by_agency_kind_and_leave_other_regions_out(
    session: Session,
) -> None:
    region = Region(name_ru="Западно-Казахстанская область", name_kk="Батыс Қазақстан облысы")
    elsewhere = Region(name_ru="Акмолинская область", name_kk="Ақмола облысы")
    session.add_all([region, elsewhere])
    session.flush()
    first, second, other = (
        make_district(session),
        make_district(session, "-2"),
        make_district(session, "-3", "C"),
    )
    first.row.region_id, second.row.region_id, other.row.region_id = (
        region.id,
        region.id,
        elsewhere.id,
    )
    first.row.name_ru, second.row.name_ru = "Альфа", "Бета"

    # The first district: police have two open statutory tasks, one overdue; of those due in
    # the last 90 days one was done in time, one late, one is still open (late too) and one
    # cancelled (not counted); a manual task and a task older than 90 days do not count.
    _task(session, first, due=timedelta(days=-2))
    _task(session, first, due=timedelta(days=3))
    _task(session, first, due=timedelta(days=-10), status=TaskStatus.DONE)
    _task(
        session,
        first,
        due=timedelta(days=-20),
        status=TaskStatus.DONE,
        done_after_due=timedelta(hours=5),
    )
    _task(session, first, due=timedelta(days=-5), status=TaskStatus.CANCELLED)
    _task(session, first, due=timedelta(days=-4), statutory=False)
    _task(session, first, due=timedelta(days=-120), status=TaskStatus.DONE)
    _task(session, first, due=timedelta(days=-1), school=True)
    # The second district: one overdue school task. The other region's: many overdue.
    _task(session, second, due=timedelta(days=-30), school=True)
    for _ in range(5):
        _task(session, other, due=timedelta(days=-1))

    # Councils of the last 90 days: the first district planned two single sittings and held
    # one (its minutes), and a monthly series that sat three times in the window with one of
    # them cancelled; a sitting 100 days ago is out of the window.
    held = _council(session, first, "c1@test", days_ago=10)
    _council(session, first, "c2@test", days_ago=20)
    _council(session, first, "c-old@test", days_ago=100)
    series = _council(session, first, "series@test", days_ago=80, rrule="FREQ=MONTHLY;COUNT=6")
    session.add(
        Sitting(
            meeting_id=series.id,  # type: ignore[arg-type]
            original_start=series.starts_at + timedelta(days=30),
            starts_at=series.starts_at + timedelta(days=30),
            ends_at=series.ends_at + timedelta(days=30),
            cancelled=True,
        )
    )
    session.add(MeetingMinutes(meeting_id=held.id, sitting_start=held.starts_at))  # type: ignore[arg-type]
    session.flush()

    figures = region_figures(session, region, now=NOW)

    assert [d.district.name_ru for d in figures.districts] == ["Альфа", "Бета"]
    alpha, beta = figures.districts
    police = {k.kind: k for k in alpha.by_kind}["police"]
    assert (police.open, police.overdue) == (2, 1)
    assert (police.due_in_window, police.on_time, police.on_time_percent) == (3, 1, 33)
    school = {k.kind: k for k in alpha.by_kind}["school"]
    assert (school.open, school.overdue, school.due_in_window, school.on_time) == (1, 1, 1, 0)
    assert (alpha.open, alpha.overdue) == (3, 2)
    assert (alpha.councils_planned, alpha.councils_held) == (4, 1)
    assert alpha.meetings_by_kind["prevention_council"] == 4
    assert alpha.meetings_by_kind["joint_inspection"] == 0
    assert (beta.open, beta.overdue, beta.councils_planned) == (1, 1, 0)
    assert figures.overdue == 3  # the other region's five are not here

    # The trend: twelve weeks, the last one the current week; at its end (now) three overdue.
    assert len(alpha.weeks) == TREND_WEEKS and alpha.weeks[-1].starts_on.isoformat() == "2026-11-30"
    assert [w.overdue for w in figures.weeks][-1] == 3
    # Five weeks back (the week of 26 October) Beta's task was not due yet: nothing overdue.
    assert beta.weeks[-6].overdue == 0 and beta.weeks[-5].overdue == 1
    # The week of 9 November (three weeks before now's): Alpha's task done 5 hours late.
    late_week = alpha.weeks[-4]
    assert (late_week.due, late_week.on_time) == (1, 0)


def test_the_cache_counts_a_region_once_a_minute(session: Session) -> None:
    region = Region(name_ru="Атырауская область", name_kk="Атырау облысы")
    session.add(region)
    session.flush()
    d = make_district(session)
    d.row.region_id = region.id
    _task(session, d, due=timedelta(days=-1))
    cache = RegionCache()
    first = cache.get(session, region, now=NOW)
    _task(session, d, due=timedelta(days=-1))
    assert cache.get(session, region, now=NOW + timedelta(seconds=30)) is first
    assert cache.get(session, region, now=NOW + timedelta(seconds=60)).overdue == 2
