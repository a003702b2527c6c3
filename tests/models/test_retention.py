"""Tables that only grew: the scheduler's tick prunes ended sign-in sessions, old throttling
rows, used and expired password resets and old sent or voided emails, in bounded batches,
and keeps everything recent (retention in the README)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlmodel import Session, SQLModel, col

from models.core.base import utcnow
from models.core.settings import Settings
from models.outbox.notifications import Notification
from models.people.passwords import PasswordReset
from models.people.sessions import UserSession
from models.people.throttle import SignInThrottle
from models.tasks.operations import create_task
from tests.factories import District
from workers.runtime import build_runtime, tick

DAY = timedelta(days=1)


def _count(session: Session, table: type[SQLModel]) -> int:
    return int(session.scalar(select(func.count()).select_from(table)) or 0)


def _rows(
    session: Session, settings: Settings, district: District, now: datetime
) -> dict[str, set[int]]:
    """Write old and recent rows of each table; return the ids that must stay, by table."""
    user = district.inspector.id or 0
    old, recent = now - 200 * DAY, now - 2 * DAY

    def sign_in(n: int, seen: datetime, ended: datetime | None) -> UserSession:
        return UserSession(
            user_id=user,
            token_hash=f"s{n:063d}",
            created_at=seen,
            last_seen_at=seen,
            ended_at=ended,
        )

    def reset(n: int, made: datetime, used: datetime | None) -> PasswordReset:
        return PasswordReset(
            user_id=user,
            token_hash=f"r{n:063d}",
            created_at=made,
            expires_at=made + DAY,
            used_at=used,
        )

    def email(n: int, status: str, at: datetime, task_id: int | None = None) -> Notification:
        return Notification(
            district_id=district.row.id,
            dedupe_key=f"retention:{n}",
            recipient="inspector@police.test",
            subject="s",
            body="b",
            status=status,
            created_at=at,
            next_attempt_at=at,
            sent_at=at if status == "sent" else None,
            task_id=task_id,
        )

    task = create_task(
        session,
        district.coordinator,
        settings=settings,
        title="Открытое поручение",
        agency_id=district.police.id or 0,
        due_at=now + 30 * DAY,
        now=old,
        case=district.case,
    )
    session.flush()
    gone = [
        *(sign_in(n, old, old + DAY) for n in range(5)),  # signed out long ago
        sign_in(5, old, None),  # left idle long ago, never marked ended
        *(SignInThrottle(key_hash=f"t{n:063d}", failures=3, last_failure_at=old) for n in range(3)),
        reset(0, old, old + timedelta(hours=1)),
        reset(1, old, None),  # expired unused
        *(email(n, "sent", old) for n in range(5)),
        email(5, "voided", old),
    ]
    kept = [
        sign_in(10, now - timedelta(minutes=5), None),  # signed in now
        sign_in(11, recent, recent),  # signed out two days ago
        SignInThrottle(key_hash=f"t{9:063d}", failures=6, last_failure_at=now - timedelta(hours=2)),
        reset(10, now - timedelta(minutes=10), None),  # a link still valid
        reset(11, recent, recent),
        email(10, "sent", recent),
        email(11, "pending", old),  # never sent: never pruned
        email(12, "failed", old),
        email(13, "sent", old, task_id=task.id),  # an open task's: it says who was told
    ]
    session.add_all(gone + kept)
    session.commit()
    stay: dict[str, set[int]] = {}
    for row in kept:
        stay.setdefault(type(row).__name__, set()).add(row.id or 0)  # type: ignore[attr-defined]
    return stay


def test_the_tick_prunes_old_rows_in_bounded_batches_and_keeps_recent_ones(
    make_settings: Callable[..., Settings], database_url: str, session: Session, district: District
) -> None:
    settings = make_settings(database_url, BIRGE_PRUNE_BATCH="2")
    now = utcnow()
    stay = _rows(session, settings, district, now)
    tables = (UserSession, SignInThrottle, PasswordReset, Notification)
    before = {t: _count(session, t) for t in tables}
    runtime = build_runtime(settings)
    try:
        tick(runtime, now=now)
        session.expire_all()
        after_one = {t: _count(session, t) for t in tables}
        # One tick deletes at most one batch (2 rows) of each table, and does delete.
        assert all(0 < before[t] - after_one[t] <= 2 for t in tables), (before, after_one)
        for _ in range(5):  # the backlog goes on the following ticks
            tick(runtime, now=now)
    finally:
        runtime.close()
        runtime.engine.dispose()
    session.expire_all()
    for table in (UserSession, SignInThrottle, PasswordReset):
        ids = set(session.scalars(select(col(table.id))))  # type: ignore[attr-defined]
        assert ids == stay[table.__name__], table.__name__
    # (the new task's own emails to the police are recent: left out of the comparison)
    ours = select(col(Notification.id)).where(col(Notification.dedupe_key).like("retention:%"))
    assert set(session.scalars(ours)) == stay["Notification"]
