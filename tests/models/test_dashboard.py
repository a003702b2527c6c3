from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from models.base import utcnow
from models.dashboard import OverviewCache
from models.settings import Settings
from tests.factories import District, schedule


def test_the_district_overview_is_kept_a_minute_then_counted_again(
    session: Session, settings: Settings, district: District
) -> None:
    now = utcnow()
    cache = OverviewCache(max_age=timedelta(seconds=60))
    assert cache.get(session, district.chair, now=now).total == 0
    schedule(session, settings, district)
    session.commit()
    assert cache.get(session, district.chair, now=now + timedelta(seconds=30)).total == 0
    fresh = cache.get(session, district.chair, now=now + timedelta(seconds=61))
    assert fresh.total == 1 and fresh.meetings_by_kind["joint_inspection"] == 1
    loads = {load.agency.slug: load.meetings for load in fresh.by_agency}
    assert loads == {"education": 1, "police": 1, "akimat": 0, "school-1": 0}
    assert [a.slug for a in fresh.idle_agencies] == ["akimat", "school-1"]


def test_the_overview_counts_a_councils_sittings_in_the_coming_30_days(
    session: Session, settings: Settings, district: District
) -> None:
    from models.dashboard import district_overview
    from models.reminders import plan_due
    from tests.models.test_series_reminders import FEB, JAN, council

    council(session, settings, district)
    now = JAN + timedelta(days=4)  # January's sitting is over; February's is in 28 days
    plan_due(session, settings, now=now)
    session.commit()
    overview = district_overview(session, district.chair, now=now)
    assert overview.meetings_by_kind["prevention_council"] == 1 and overview.this_week == 0
    loads = {load.agency.slug: load.meetings for load in overview.by_agency}
    assert loads["school-1"] == 1 and loads["police"] == 1
    weekly = district_overview(session, district.chair, now=FEB - timedelta(days=3))
    assert weekly.this_week == 1
