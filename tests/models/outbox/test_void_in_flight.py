"""An email stops while a worker holds it: closing a task voids its emails being sent too, and
the worker's check before each email then finds them no longer its own."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlmodel import Session, col

from models.core.base import utcnow
from models.core.settings import Settings
from models.outbox.claims import claim_batch, confirm_and_extend
from models.outbox.notifications import Notification, NotificationStatus
from models.tasks.operations import complete_task, create_task
from tests.factories import District, in_days

LEASE = timedelta(seconds=60)


def test_closing_a_task_voids_its_emails_a_worker_is_sending(
    session: Session, district: District, settings: Settings
) -> None:
    task = create_task(
        session,
        district.coordinator,
        settings=settings,
        title="Обследование условий",
        agency_id=district.police.id or 0,
        due_at=in_days(3),
        case=district.case,
        now=utcnow(),
    )
    session.commit()
    rows = list(session.scalars(select(Notification).where(col(Notification.task_id) == task.id)))
    assert len(rows) == 2  # the task's news to the police's two active people
    claimed = claim_batch(session, [r.id or 0 for r in rows], lease=LEASE)
    assert {r.status for r in claimed} == {NotificationStatus.SENDING.value}
    claim_id = claimed[0].claim_id
    first, second = claimed

    # The worker has just handed the first email to the server; the task is completed.
    complete_task(session, district.chair, task, note="Выполнено", now=utcnow())
    session.commit()

    held = confirm_and_extend(session, claim_id, sent=first, keep=[second], lease=LEASE)
    assert held == set()  # the second is not sent, and the first is not recorded as sent
    session.expire_all()
    statuses = {session.get(Notification, r.id).status for r in rows}  # type: ignore[union-attr]
    assert statuses == {NotificationStatus.VOIDED.value}
