"""Migration 0011_sittings: every meeting gets its next sitting (a series' is found by the next
tick), the minutes recorded so far belong to their meeting's first sitting, and the downgrade
keeps the minutes with their attendance and decisions."""

from __future__ import annotations

from sqlalchemy import text

import migrations
from models.core.db import make_engine
from tests.migrations.conftest import add_district

_MEETING = (
    "INSERT INTO meeting (id, uid, district_id, kind, title, starts_at, ends_at, location, "
    "organizer_agency_id, status, sequence, created_at, updated_at, rrule, address, "
    "outcome_note, reminder_due_at) VALUES (:id, :uid, 1, :kind, 'С', :starts, :ends, '', 7, "
    ":status, 0, '2026-11-01 05:00:00+00', '2026-11-01 05:00:00+00', :rrule, '', '', :due)"
)


def test_next_sittings_are_filled_and_minutes_keep_their_rows_both_ways(
    empty_database: str,
) -> None:
    migrations.upgrade(empty_database, "0009")
    engine = make_engine(empty_database)
    with engine.begin() as conn:
        add_district(conn, slug="school", name="Ш")
        meetings = [
            (1, "joint_inspection", "2026-12-03 05:00:00+00", "scheduled", None, None),
            (
                2,
                "prevention_council",
                "2026-10-29 10:00:00+00",
                "scheduled",
                "FREQ=MONTHLY;BYDAY=-1TH",
                None,
            ),
            (
                3,
                "prevention_council",
                "2026-12-31 10:00:00+00",
                "scheduled",
                "FREQ=MONTHLY;BYDAY=-1TH",
                "2026-11-20 10:00:00+00",
            ),
            (
                4,
                "prevention_council",
                "2026-10-29 10:00:00+00",
                "cancelled",
                "FREQ=MONTHLY;BYDAY=-1TH",
                None,
            ),
        ]
        for meeting_id, kind, starts, status, rrule, due in meetings:
            conn.execute(
                text(_MEETING),
                {
                    "id": meeting_id,
                    "uid": f"m{meeting_id}@t",
                    "kind": kind,
                    "starts": starts,
                    "ends": starts.replace(":00:00+", ":30:00+"),
                    "status": status,
                    "rrule": rrule,
                    "due": due,
                },
            )
        conn.execute(
            text(
                "INSERT INTO user_account (id, agency_id, email, full_name, role, locale, "
                "password_hash, active, created_at) VALUES (5, 7, 'p@t', 'П', 'coordinator', 'ru', "
                "'x', true, '2026-10-01 05:00:00+00')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO meeting_minutes (id, meeting_id, text, recorded_at) "
                "VALUES (9, 2, 'Протокол', '2026-10-29 12:00:00+00')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO meeting_attendance (minutes_id, agency_id, user_id, present) "
                "VALUES (9, 7, 5, true)"
            )
        )
    migrations.upgrade(empty_database)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT id, next_sitting_at, reminder_due_at FROM meeting ORDER BY id")
        ).all()
        minutes = conn.execute(text("SELECT id, sitting_start FROM meeting_minutes")).all()
        attendance = conn.execute(text("SELECT count(*) FROM meeting_attendance")).scalar_one()
    found = {r[0]: (str(r[1]), r[2]) for r in rows}
    assert found[1][0].startswith("2026-12-03 05:00:00")  # a single meeting: its start
    assert found[1][1] is None  # and its reminders as they were
    # a scheduled series is looked at again by the next tick, which finds its next sitting
    assert found[2][1] is not None and found[3][1] is not None and found[4][1] is None
    assert str(found[3][1]).startswith("2026-11-20 10:00:00")  # a moment waited for stays
    assert [(m[0], str(m[1])[:19]) for m in minutes] == [(9, "2026-10-29 10:00:00")]
    assert attendance == 1
    migrations.downgrade(empty_database, "0009")
    with engine.connect() as conn:
        minutes_ids = conn.execute(text("SELECT id FROM meeting_minutes")).scalars().all()
        attendance = conn.execute(text("SELECT count(*) FROM meeting_attendance")).scalar_one()
    migrations.upgrade(empty_database)
    engine.dispose()
    assert minutes_ids == [9] and attendance == 1
