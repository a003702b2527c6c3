"""The change mark moves with every commit that changes what pages show, and only then."""

from __future__ import annotations

from sqlalchemy import text, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from models.audit import record_event
from models.freshness import current_mark
from models.meetings import Meeting
from models.notifications import Notification
from models.settings import Settings
from tests.factories import District, schedule


def _mark(engine: Engine) -> int:
    with Session(engine) as other:  # what another process sees: committed changes only
        return current_mark(other)


def test_scheduling_a_meeting_moves_the_mark_when_it_commits(
    engine: Engine, session: Session, settings: Settings, district: District
) -> None:
    before = _mark(engine)
    meeting = schedule(session, settings, district).meeting
    assert _mark(engine) == before
    session.commit()
    assert _mark(engine) > before
    moved = _mark(engine)
    meeting.title = "Совместное обследование, перенесено"
    session.flush()
    assert _mark(engine) == moved  # not before the commit: no page is kept ahead of the data
    session.commit()
    assert _mark(engine) == moved + 1


def test_a_rolled_back_change_and_reading_leave_the_mark(
    engine: Engine, session: Session, settings: Settings, district: District
) -> None:
    meeting = schedule(session, settings, district).meeting
    session.commit()
    mark = _mark(engine)
    meeting.title = "Не сохранено"
    session.flush()
    session.rollback()
    session.get(Meeting, meeting.id)
    session.execute(text("SELECT 1"))
    session.commit()
    assert _mark(engine) == mark


def test_statements_move_the_mark_unless_they_write_untracked_tables(
    engine: Engine, session: Session, settings: Settings, district: District
) -> None:
    meeting = schedule(session, settings, district).meeting
    session.commit()
    mark = _mark(engine)
    record_event(
        session, user_id=district.chair.id, action="view", object_type="meeting", object_id=1
    )
    session.execute(update(Notification).values(attempts=0))
    session.commit()
    assert _mark(engine) == mark  # the audit trail and the outbox change no page

    session.execute(
        update(Meeting).where(col(Meeting.id) == meeting.id).values(location="Школа № 1")
    )
    session.commit()
    assert _mark(engine) == mark + 1


def test_a_missing_mark_row_is_created_by_the_next_change(
    engine: Engine, session: Session, settings: Settings, district: District
) -> None:
    session.execute(text("DELETE FROM change_mark"))
    session.commit()  # textual SQL other than SELECT counts as a change: the row is back
    assert _mark(engine) == 1
    schedule(session, settings, district)
    session.commit()
    assert _mark(engine) == 2
