"""A task email whose send failed is retried inside the district's working hours, like its
first send: an escalation refused at 17:59 does not leave at 18:01, but at 09:00 next day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlmodel import Session, col

from models.core.settings import Settings
from models.outbox.claims import claim, mark_failed_attempt
from models.outbox.notifications import Notification, due_notification_ids
from models.tasks.operations import create_task
from models.tick import plan_due
from tests.conftest import load_settings_for
from tests.factories import District

TASK_SETTINGS = load_settings_for("sqlite:///unused.sqlite3", BIRGE_BASE_URL="http://birge.test")

#: Monday 8 February 2027, 10:00 in Almaty: the task is created.
CREATED = datetime(2027, 2, 8, 5, 0, tzinfo=UTC)
#: Wednesday 10 February 2027, 17:00 in Almaty: it is due; level 1 goes to the police head.
DUE = datetime(2027, 2, 10, 12, 0, tzinfo=UTC)
#: 17:59 in Almaty: the mail server refuses the escalation; the retry falls after 18:00.
REFUSED = datetime(2027, 2, 10, 12, 59, tzinfo=UTC)
#: Thursday 11 February 2027, 09:00 in Almaty: the next working hour.
THU_9 = datetime(2027, 2, 11, 4, 0, tzinfo=UTC)


def test_a_failed_task_email_is_retried_in_working_hours_only(
    session: Session, settings: Settings, district: District
) -> None:
    create_task(
        session,
        district.coordinator,
        settings=TASK_SETTINGS,
        title="Провести обследование",
        agency_id=district.police.id or 0,
        due_at=DUE,
        now=CREATED,
        case=district.case,
    )
    session.commit()
    plan_due(session, settings, now=DUE)
    session.commit()
    escalation = session.scalars(
        select(Notification).where(col(Notification.dedupe_key).like("%:level:1:%"))
    ).one()
    claimed = claim(session, escalation.id or 0, lease=timedelta(seconds=30), now=REFUSED)
    assert claimed is not None
    assert mark_failed_attempt(
        session,
        claimed,
        error="451 try again later",
        max_attempts=8,
        now=REFUSED,
        retry_base_seconds=120,
    )
    session.refresh(claimed)
    assert claimed.next_attempt_at > DUE.replace(hour=13)  # the plain backoff: after hours

    for evening in (REFUSED + timedelta(minutes=3), REFUSED + timedelta(hours=5)):
        plan_due(session, settings, now=evening)
        session.commit()
        assert escalation.id not in due_notification_ids(session, now=evening)
    plan_due(session, settings, now=THU_9 - timedelta(minutes=1))
    session.commit()
    assert escalation.id not in due_notification_ids(session, now=THU_9 - timedelta(minutes=1))
    plan_due(session, settings, now=THU_9)
    session.commit()
    assert escalation.id in due_notification_ids(session, now=THU_9)
    session.refresh(claimed)
    assert claimed.next_attempt_at == THU_9
    assert claim(session, escalation.id or 0, lease=timedelta(seconds=30), now=THU_9) is not None
