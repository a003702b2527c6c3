"""The send_notifications actor on real RabbitMQ, PostgreSQL and SMTP."""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select, update
from sqlmodel import Session, col

from models.core.base import utcnow
from models.core.settings import Settings, SmtpTarget
from models.meetings.tables import Meeting
from models.outbox.notifications import Notification
from models.people.passwords import PasswordResetRequest, ask_for_password_reset
from models.tick import plan_due
from tests import factories, services
from tests.conftest import SmtpServer
from tests.factories import District
from tests.queues import run_until_idle
from workers.delivery import deliver_notifications
from workers.runtime import Runtime, build_runtime, tick


def schedule(rt: Runtime, district: District) -> list[int]:
    with Session(rt.engine, expire_on_commit=False) as session:
        scheduled = factories.schedule(
            session, rt.settings, district, agency_ids=[district.police.id, district.school.id]
        )
        session.commit()
        return scheduled.notification_ids


def statuses(rt: Runtime) -> list[str]:
    with Session(rt.engine) as session:
        return list(session.scalars(select(Notification.status).order_by(Notification.id)))


def test_each_invitee_gets_exactly_one_email_even_when_a_message_is_delivered_twice(
    rt: Runtime, district: District, smtp_server: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="workers")
    caplog.set_level(logging.INFO)
    ids = schedule(rt, district)
    for batch in (ids, ids[:1], ids[1:]):  # at-least-once delivery: every id twice
        rt.actors.send_notifications.send(batch)
    run_until_idle(rt)

    mailbox = smtp_server.mailbox
    assert sorted(r for rs in mailbox.recipients for r in rs) == sorted(
        [
            district.coordinator.email,
            district.inspector.email,
            district.police_head.email,
            district.pedagogue.email,
        ]
    )
    assert statuses(rt) == ["sent"] * 4
    # log lines name notifications by id: no addresses, titles or case data
    logged = "\n".join(
        r.getMessage() for r in caplog.records if not r.name.startswith("mail.log")
    )  # mail.log is the test SMTP server's own logger
    assert "notification 1: sent" in logged
    assert "@" not in logged and "Обследование" not in logged
    message = mailbox.to(district.pedagogue.email)[0]
    calendar_part = next(p for p in message.walk() if p.get_content_type() == "text/calendar")
    assert calendar_part.get_param("method") == "REQUEST"
    (event,) = Calendar.from_ical(calendar_part.get_content()).walk("VEVENT")
    assert event.decoded("DTSTART").hour == 10


def test_smtp_down_keeps_the_email_and_the_tick_sends_it_later(
    production_settings: Settings,
    district: District,
    smtp_server: SmtpServer,
) -> None:
    closed_port = services.free_port()
    down = build_runtime(
        production_settings.replace(smtp=SmtpTarget("smtp", "127.0.0.1", closed_port))
    )
    try:
        ids = schedule(down, district)
        down.actors.send_notifications.send(ids)
        run_until_idle(down)
        assert statuses(down) == ["pending"] * 4
        with Session(down.engine) as session:
            # one was tried; the rest of its batch went back untried, their attempts intact
            attempts = sorted(session.scalars(select(Notification.attempts)))
            assert attempts == [0, 0, 0, 1]
            # ... and are due when the tried one is retried, not at once
            rows = session.scalars(select(Notification)).all()
            tried = next(n for n in rows if n.attempts == 1)
            assert all(n.next_attempt_at >= tried.next_attempt_at for n in rows)
        with Session(down.engine) as session:
            errors = set(session.scalars(select(Notification.last_error)))
            assert all(e and "ConnectionRefusedError" in e for e in errors)
            # time passes: the retry becomes due
            session.execute(
                update(Notification).values(next_attempt_at=utcnow() - timedelta(seconds=1))
            )
            session.commit()
    finally:
        down.close()
        down.engine.dispose()

    up = build_runtime(production_settings)
    try:
        assert tick(up) == 4
        run_until_idle(up)
        assert statuses(up) == ["sent"] * 4
        assert len(smtp_server.mailbox.messages) == 4
    finally:
        up.close()
        up.engine.dispose()


def test_a_refused_recipient_fails_alone_and_the_rest_of_its_batch_is_sent(
    rt: Runtime, district: District, smtp_server: SmtpServer
) -> None:
    smtp_server.mailbox.unknown.add(district.inspector.email)
    ids = schedule(rt, district)
    rt.actors.send_notifications.send(ids)
    run_until_idle(rt)
    with Session(rt.engine) as session:
        rows = session.scalars(select(Notification).order_by(Notification.id)).all()
        refused = [n for n in rows if n.recipient == district.inspector.email]
        assert [n.status for n in refused] == ["pending"]  # retried later, with backoff
        assert "No such mailbox" in (refused[0].last_error or "")
        assert {n.status for n in rows if n not in refused} == {"sent"}
    assert len(smtp_server.mailbox.messages) == 3


def test_a_lost_broker_message_is_sent_by_the_tick(
    rt: Runtime, district: District, smtp_server: SmtpServer
) -> None:
    ids = schedule(rt, district)  # the web's nudges never reach RabbitMQ
    assert tick(rt) == 0  # within the grace period the web's nudge is trusted
    with Session(rt.engine) as session:
        session.execute(
            update(Notification)
            .where(col(Notification.id).in_(ids))
            .values(next_attempt_at=utcnow() - timedelta(seconds=1))
        )
        session.commit()
    assert tick(rt) == 4
    assert tick(rt) == 0  # a second scheduler, or a second tick, does not nudge again
    run_until_idle(rt)
    assert len(smtp_server.mailbox.messages) == 4
    assert statuses(rt) == ["sent"] * 4


def test_a_batch_out_of_time_gives_the_rest_back_untried_and_due_at_once(
    rt: Runtime, district: District, smtp_server: SmtpServer
) -> None:
    """A batch starts no email once its time is spent (six minutes by default, so that the
    last email's SMTP timeouts still end within the actor's ten-minute limit); the rest goes
    back untried, its attempt not counted, due again at once."""
    ids = schedule(rt, district)
    smtp_server.mailbox.delay = 0.3
    sent = deliver_notifications(rt.settings, rt.engine, rt.mailer, ids, budget_seconds=0.45)
    assert sent == 2  # started at 0 s and about 0.3 s; the third would start past 0.45 s
    assert len(smtp_server.mailbox.messages) == 2
    with Session(rt.engine) as session:
        rest = session.scalars(select(Notification).where(col(Notification.status) != "sent"))
        rest = list(rest)
        assert len(rest) == 2
        assert {(n.status, n.attempts) for n in rest} == {("pending", 0)}
        assert {n.last_error for n in rest} == {"not tried yet: the batch ran long"}
        assert all(n.next_attempt_at.replace(tzinfo=UTC) <= utcnow() for n in rest)
    assert tick(rt) == 2  # the next tick nudges them


def test_reset_requests_are_answered_by_a_worker_and_by_the_tick_when_its_message_is_lost(
    rt: Runtime, district: District, smtp_server: SmtpServer
) -> None:
    with Session(rt.engine) as session:
        for email in (district.inspector.email, "nobody@nowhere.test", district.inspector.email):
            assert ask_for_password_reset(session, email, address="10.0.0.1") is None
        session.commit()
    rt.answer_reset_requests()
    run_until_idle(rt)
    assert [m["To"] for m in smtp_server.mailbox.messages] == [district.inspector.email]
    assert "/password/reset/" in smtp_server.mailbox.messages[0].get_body().get_content()

    with Session(rt.engine) as session:  # asked again; this time the message is lost
        ask_for_password_reset(session, district.coordinator.email, address="10.0.0.1")
        session.commit()
    tick(rt)
    with Session(rt.engine) as session:
        assert session.scalars(select(PasswordResetRequest)).all() == []
        link = session.scalars(
            select(Notification).where(col(Notification.recipient) == district.coordinator.email)
        ).one()
        assert link.status == "pending"  # written by the tick, sent as any email


def test_a_reminder_whose_meeting_changed_unannounced_is_checked_again_before_it_goes(
    rt: Runtime, district: District, smtp_server: SmtpServer
) -> None:
    """The second wall behind voiding: a meeting cancelled by something that voided nothing
    (a change made straight in the database) stops the reminders its worker is still sending,
    once the batch's check is more than a second old."""
    now = utcnow()
    starts_at = now + timedelta(hours=1, seconds=0.5)
    with Session(rt.engine, expire_on_commit=False) as session:
        meeting = factories.schedule(
            session,
            rt.settings,
            district,
            agency_ids=[district.police.id, district.school.id],
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=1),
            now=now,
        ).meeting
        session.commit()
        session.execute(update(Notification).values(status="sent", sent_at=now))
        session.commit()
    time.sleep(0.6)  # the one-hour reminders fall due
    with Session(rt.engine) as session:
        assert plan_due(session, rt.settings, now=utcnow()) >= 3
        session.commit()
        ids = list(
            session.scalars(
                select(Notification.id).where(col(Notification.kind) == "meeting_reminder")
            )
        )
    smtp_server.mailbox.delay = 1.2  # each email takes longer than the check stays fresh
    sending = threading.Thread(
        target=deliver_notifications, args=(rt.settings, rt.engine, rt.mailer, ids)
    )
    sending.start()
    time.sleep(0.4)  # the first email is with the server
    with Session(rt.engine) as session:  # cancelled behind the outbox's back
        session.execute(
            update(Meeting).where(col(Meeting.id) == meeting.id).values(status="cancelled")
        )
        session.commit()
    sending.join(timeout=30)
    assert len(smtp_server.mailbox.messages) == 1
    with Session(rt.engine) as session:
        rows = session.scalars(select(Notification).where(col(Notification.id).in_(ids))).all()
        assert sorted(n.status for n in rows) == ["sent"] + ["voided"] * (len(ids) - 1)
        assert {n.last_error for n in rows if n.status == "voided"} == {"meeting cancelled"}
