"""Meeting reminders on a deployment of two districts with the same agency slugs: a meeting
reminds its own district's invitees only, never the people of another district's agency of the
same slug, and each reminder is its meeting's district's row."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from models.core.settings import Settings
from tests.factories import District, make_district
from tests.models.meetings.test_reminders import INVITEES, START, reminders, schedule, tick_at


def test_a_meeting_reminds_its_own_districts_invitees_only(
    session: Session, settings: Settings, district: District
) -> None:
    """District 1's police inspection of D-2026-0042 and district 2's school inspection of
    B-2026-0042, at the same hour: each is reminded to its own invitees, with its own code."""
    other = make_district(session, "-2")
    session.commit()
    first = schedule(session, settings, district)  # education with the police
    second = schedule(
        session, settings, other, organizer=other.coordinator, agency_ids=[other.school.id]
    )
    assert tick_at(session, settings, START - timedelta(hours=24)) == 5
    assert tick_at(session, settings, START - timedelta(hours=1)) == 5
    sent = reminders(session)
    ours = [n for n in sent if n.meeting_id == first.id]
    theirs = [n for n in sent if n.meeting_id == second.id]
    assert len(ours) + len(theirs) == len(sent) == 10
    # Nobody of district 2's police (inspector-2@, head-2@) nor its retired officer.
    assert sorted(n.recipient for n in ours) == sorted([*INVITEES, *INVITEES])
    assert sorted(n.recipient for n in theirs) == sorted(
        ["coord-2@education.test", "pedagogue-2@school.test"] * 2
    )  # not district 1's pedagogue of school-1
    for n in ours:
        assert n.district_id == district.row.id
        assert "D-2026-0042" in n.body and "B-2026-0042" not in n.body
    for n in theirs:
        assert n.district_id == other.row.id
        assert "B-2026-0042" in n.body and "D-2026-0042" not in n.body
