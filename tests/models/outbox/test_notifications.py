from __future__ import annotations

import threading
from datetime import UTC, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from models.core.base import utcnow
from models.outbox.claims import (
    claim,
    claim_batch,
    confirm_and_extend,
    mark_failed_attempt,
    mark_sent,
    mark_voided,
)
from models.outbox.notifications import Notification, add_notification, due_notification_ids
from models.people.tables import District

LEASE = timedelta(minutes=5)


def a_district(session: Session) -> int:
    """The district the outbox's own tests write their emails for (any will do)."""
    found = session.scalars(select(District.id)).first()
    if found is not None:
        return found
    made = District(name_ru="Район", name_kk="Аудан")
    session.add(made)
    session.flush()
    return made.id or 0


def make(session: Session, key: str = "k1") -> Notification:
    notification = add_notification(
        session,
        district_id=a_district(session),
        dedupe_key=key,
        recipient="inspector@police.test",
        subject="s",
        body="b",
        locale="ru",
    )
    assert notification is not None
    session.commit()
    return notification


def test_the_same_dedupe_key_is_written_once(session: Session) -> None:
    make(session)
    again = add_notification(
        session,
        district_id=a_district(session),
        dedupe_key="k1",
        recipient="x@y.test",
        subject="s",
        body="b",
        locale="ru",
    )
    assert again is None


def test_a_sent_notification_cannot_be_claimed_again(session: Session) -> None:
    notification = make(session)
    claimed = claim(session, notification.id, now=utcnow(), lease=LEASE)
    assert claimed is not None and claimed.attempts == 1
    mark_sent(session, claimed, now=utcnow())
    assert claim(session, notification.id, now=utcnow(), lease=LEASE) is None
    assert claim(session, notification.id, now=utcnow() + timedelta(days=1), lease=LEASE) is None


def test_only_one_of_two_racing_workers_wins(engine: Engine, session: Session) -> None:
    notification = make(session)
    results: list[object] = []
    barrier = threading.Barrier(2)

    def worker() -> None:
        with Session(engine) as own:
            barrier.wait()
            results.append(claim(own, notification.id, now=utcnow(), lease=LEASE))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r is not None for r in results) == 1


def test_a_dead_workers_lease_expires_and_the_row_is_retried(session: Session) -> None:
    notification = make(session)
    now = utcnow()
    assert claim(session, notification.id, now=now, lease=LEASE) is not None
    assert claim(session, notification.id, now=now + timedelta(minutes=1), lease=LEASE) is None
    assert notification.id not in due_notification_ids(session, now=now + timedelta(minutes=1))
    later = now + LEASE + timedelta(seconds=1)
    assert notification.id in due_notification_ids(session, now=later)
    again = claim(session, notification.id, now=later, lease=LEASE)
    assert again is not None and again.attempts == 2


def test_failures_back_off_then_give_up(session: Session) -> None:
    notification = make(session)
    now = utcnow()
    claimed = claim(session, notification.id, now=now, lease=LEASE)
    assert claimed is not None
    mark_failed_attempt(session, claimed, error="SMTP down", now=now, max_attempts=2)
    assert claimed.status == "pending" and claimed.last_error == "SMTP down"
    assert claim(session, notification.id, now=now, lease=LEASE) is None  # not yet due
    retry_at = claimed.next_attempt_at
    assert notification.id in due_notification_ids(session, now=retry_at)
    claimed = claim(session, notification.id, now=retry_at, lease=LEASE)
    assert claimed is not None
    mark_failed_attempt(session, claimed, error="SMTP down", now=retry_at, max_attempts=2)
    assert claimed.status == "failed"
    assert notification.id not in due_notification_ids(session, now=retry_at + timedelta(days=1))


def test_a_fresh_row_is_left_to_the_web_nudge_for_a_grace_period(session: Session) -> None:
    notification = make(session)
    assert notification.id not in due_notification_ids(session, now=utcnow())
    assert notification.id in due_notification_ids(session, now=utcnow() + timedelta(minutes=2))


def test_while_the_mail_server_is_away_an_email_is_retried_for_a_day_at_most_an_hour_apart(
    session: Session,
) -> None:
    """A night's outage must not drop the morning's escalations: past its 8 attempts the
    email keeps trying, at most an hour apart, until a day after it was written."""
    notification = make(session)
    written = notification.created_at.replace(tzinfo=UTC)
    at, tries = utcnow(), 0
    while True:
        claimed = claim(session, notification.id, now=at, lease=LEASE)
        assert claimed is not None, f"not claimable after {tries} tries"
        tries += 1
        mark_failed_attempt(
            session,
            claimed,
            error="ConnectionRefusedError",
            now=at,
            max_attempts=8,
            server_unavailable=True,
            keep_trying=timedelta(hours=24),
        )
        if claimed.status == "failed":
            break
        assert claimed.status == "pending"
        retry_at = claimed.next_attempt_at.replace(tzinfo=UTC)
        assert timedelta(0) < retry_at - at <= timedelta(hours=1)
        at = retry_at
    assert tries > 8
    assert timedelta(hours=24) <= at - written < timedelta(hours=25)


def test_a_refusing_recipient_is_given_up_after_its_attempts_even_within_the_day(
    session: Session,
) -> None:
    notification = make(session)
    at = utcnow()
    for _ in range(3):
        claimed = claim(session, notification.id, now=at, lease=LEASE)
        assert claimed is not None
        mark_failed_attempt(
            session,
            claimed,
            error="550 no such user",
            now=at,
            max_attempts=3,
            server_unavailable=False,
            keep_trying=timedelta(hours=24),
        )
        at = claimed.next_attempt_at.replace(tzinfo=UTC)
    assert claimed.status == "failed"


def test_a_fenced_mark_leaves_no_unfenced_write_behind(session: Session) -> None:
    """A mark writes the row only if the claim still holds it; the loaded row learns what was
    written without becoming dirty, or the next commit would write it again by id alone,
    over whatever another worker did since."""
    first, second = make(session, "k1"), make(session, "k2")
    claimed = claim_batch(session, [first.id or 0, second.id or 0], lease=LEASE)
    held = confirm_and_extend(
        session, claimed[0].claim_id, sent=claimed[0], keep=claimed[1:], lease=LEASE
    )
    assert held == {first.id, second.id} and claimed[0].status == "sent"
    assert not session.dirty
    assert mark_voided(session, claimed[1], reason="the meeting moved")
    assert claimed[1].status == "voided" and not session.dirty
