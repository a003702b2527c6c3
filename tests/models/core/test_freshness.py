"""Change marks move with every commit that changes what a district's pages show, and only
then; a change in one district leaves the others' marks."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta

from sqlalchemy import text, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from models.core.audit import record_event
from models.core.marks import current_marks
from models.core.settings import Settings
from models.meetings.answers import record_response
from models.meetings.tables import Answer, Meeting
from models.outbox.notifications import Notification
from models.tick import plan_due
from tests.factories import District, make_district, schedule


def _marks(engine: Engine, district: District) -> tuple[int, int]:
    with Session(engine) as other:  # what another process sees: committed changes only
        return current_marks(other, agency_id=district.police.id)  # type: ignore[arg-type]


def test_scheduling_a_meeting_moves_its_districts_mark_when_it_commits(
    engine: Engine, session: Session, settings: Settings, district: District
) -> None:
    before = _marks(engine, district)
    meeting = schedule(session, settings, district).meeting
    assert _marks(engine, district) == before
    session.commit()
    every, own = _marks(engine, district)
    assert every == before[0] and own > before[1]
    meeting.title = "Совместное обследование, перенесено"
    session.flush()
    assert _marks(engine, district) == (every, own)  # not before the commit
    session.commit()
    assert _marks(engine, district) == (every, own + 1)


def test_a_change_in_one_district_keeps_the_pages_of_another(
    engine: Engine, session: Session, settings: Settings, district: District
) -> None:
    other = make_district(session, tag="-2")
    session.commit()
    before = _marks(engine, other)
    meeting = schedule(session, settings, district).meeting
    session.commit()
    meeting.location = "Школа № 1"  # a row with the meeting's district
    session.commit()
    assert _marks(engine, other) == before
    assert _marks(engine, district)[1] > before[1]


def test_rows_of_a_meeting_move_the_meetings_district(
    engine: Engine, session: Session, settings: Settings, district: District
) -> None:
    other = make_district(session, tag="-2")
    meeting = schedule(session, settings, district).meeting
    session.commit()
    before, theirs = _marks(engine, district), _marks(engine, other)

    record_response(session, meeting=meeting, user=district.inspector, answer=Answer.DECLINED)
    session.commit()  # a meeting_response row: placed through its meeting
    assert _marks(engine, district)[1] == before[1] + 1
    assert _marks(engine, other) == theirs


def test_reading_a_rolled_back_change_and_the_schedulers_bookkeeping_leave_the_marks(
    engine: Engine, session: Session, settings: Settings, district: District
) -> None:
    meeting = schedule(session, settings, district).meeting
    session.commit()
    marks = _marks(engine, district)
    meeting.title = "Не сохранено"
    session.flush()
    session.rollback()
    session.get(Meeting, meeting.id)
    session.execute(text("SELECT 1"))
    session.commit()
    assert _marks(engine, district) == marks
    # The tick plans the reminders: only its own columns and the outbox are written.
    plan_due(session, settings, now=meeting.starts_at - timedelta(hours=30))
    session.commit()
    plan_due(session, settings, now=meeting.starts_at - timedelta(hours=23))
    session.commit()
    assert _marks(engine, district) == marks


def test_statements_move_every_districts_mark_unless_they_write_untracked_tables(
    engine: Engine, session: Session, settings: Settings, district: District
) -> None:
    meeting = schedule(session, settings, district).meeting
    session.commit()
    every, own = _marks(engine, district)
    record_event(
        session, user_id=district.chair.id, action="view", object_type="meeting", object_id=1
    )
    session.execute(update(Notification).values(attempts=0))
    session.commit()
    assert _marks(engine, district) == (every, own)  # the audit trail and the outbox

    session.execute(
        update(Meeting).where(col(Meeting.id) == meeting.id).values(location="Школа № 1")
    )
    session.commit()
    assert _marks(engine, district) == (every + 1, own)
    session.execute(text("DELETE FROM change_mark"))
    session.commit()  # textual SQL other than SELECT counts as a change anywhere
    assert _marks(engine, district) == (1, 0)


def test_importing_birge_registers_no_listener_until_a_process_installs_them() -> None:
    """Importing ``models`` (or the web, or the workers) attaches nothing to sessions; the
    application factory does, explicitly."""
    program = (
        "import models, web, workers.runtime, workers.actors\n"
        "from models.core.marks import change_marks_installed\n"
        "print(change_marks_installed())\n"
        "from models.core.settings import load_settings\n"
        "web.create_app(load_settings({'BIRGE_DATABASE_URL': 'sqlite://',"
        " 'BIRGE_SECRET_KEY': 'test-secret-key-0123456789'}, create_instance=False))\n"
        "print(change_marks_installed())\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.split() == ["False", "True"]
