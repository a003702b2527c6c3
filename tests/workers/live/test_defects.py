"""The four defects fault injection found in the outbox pipeline, each pinned by a test
(real RabbitMQ, PostgreSQL and SMTP)."""

from __future__ import annotations

import logging
import os
import time
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import Session, col

from models.core.base import utcnow
from models.core.settings import Settings
from models.outbox.claims import claim
from models.outbox.notifications import Notification, message_id
from tests import factories, services
from tests.conftest import SmtpServer
from tests.factories import District
from tests.services import queued_notification_ids
from workers.mail import build_message
from workers.runtime import Runtime, build_runtime, start_worker, tick


def schedule_due_now(rt: Runtime, district: District) -> list[int]:
    """Schedule a meeting whose invitations' web nudge was lost and whose grace has passed."""
    with Session(rt.engine, expire_on_commit=False) as session:
        ids = factories.schedule(session, rt.settings, district).notification_ids
        session.commit()
        session.execute(
            update(Notification)
            .where(col(Notification.id).in_(ids))
            .values(next_attempt_at=utcnow() - timedelta(seconds=1))
        )
        session.commit()
    return ids


def queued(rt: Runtime) -> list[int]:
    return queued_notification_ids(rt.settings.queue_name)


def test_the_message_id_comes_from_the_dedupe_key_so_a_duplicate_carries_the_same_one(
    rt: Runtime, district: District
) -> None:
    (first, *_) = schedule_due_now(rt, district)
    with Session(rt.engine) as session:
        row = session.get(Notification, first)
        assert row is not None
        sent_once = build_message(row, mail_from=rt.settings.mail_from)
        sent_again = build_message(row, mail_from=rt.settings.mail_from)
        assert sent_once["Message-ID"] == sent_again["Message-ID"]
        assert sent_once["Message-ID"] == message_id(row.dedupe_key, "birge.test")
        assert sent_once["Date"] == sent_again["Date"]


def test_two_schedulers_with_the_worker_down_nudge_each_due_row_once_per_grace(
    rt: Runtime, production_settings: Settings, district: District
) -> None:
    ids = schedule_due_now(rt, district)
    second = build_runtime(production_settings)
    try:
        for _ in range(3):  # three ticks of each of two schedulers
            tick(rt)
            tick(second)
        rt.broker.declare_queue(rt.settings.queue_name)
        deadline = time.monotonic() + 5
        while len(queued(rt)) < len(ids) and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)
        assert sorted(queued(rt)) == sorted(ids)  # each row nudged once
        # once the grace has passed, an unsent row is nudged again (the nudge may be lost)
        with Session(rt.engine) as session:
            session.execute(update(Notification).values(nudged_at=utcnow() - timedelta(minutes=5)))
            session.commit()
        assert tick(second) == len(ids)
        assert tick(rt) == 0
    finally:
        second.close()
        second.engine.dispose()


def test_a_dead_workers_claims_are_sent_within_the_short_lease(
    production_settings: Settings, district: District, smtp_server: SmtpServer
) -> None:
    short = build_runtime(production_settings.replace(notification_lease_seconds=2.0))
    try:
        ids = schedule_due_now(short, district)
        with Session(short.engine) as session:  # a worker claims them, then is SIGKILLed
            for notification_id in ids:
                lease = timedelta(seconds=short.settings.notification_lease_seconds)
                assert claim(session, notification_id, now=utcnow(), lease=lease) is not None
        killed_at = time.monotonic()
        assert tick(short) == 0  # the claims are still alive
        worker = start_worker(short, threads=2)
        try:
            while len(smtp_server.mailbox.messages) < len(ids):
                assert time.monotonic() - killed_at < 15, "the dead worker's emails are late"
                tick(short)
                time.sleep(0.3)
        finally:
            worker.stop()
        assert len(smtp_server.mailbox.messages) == len(ids)
    finally:
        short.close()
        short.engine.dispose()


def test_a_slow_send_keeps_its_claim_and_is_not_sent_twice(
    production_settings: Settings, district: District, smtp_server: SmtpServer
) -> None:
    smtp_server.mailbox.delay = 2.5  # the SMTP server takes longer than the lease to answer
    short = build_runtime(production_settings.replace(notification_lease_seconds=1.0))
    try:
        (first, *_) = schedule_due_now(short, district)
        worker = start_worker(short, threads=2)
        try:
            short.actors.send_notifications.send([first])
            deadline = time.monotonic() + 4
            while time.monotonic() < deadline:  # meanwhile, the tick keeps looking
                tick(short)
                time.sleep(0.2)
            smtp_server.mailbox.wait_for(1, timeout=10)
            short.broker.join(short.settings.queue_name, timeout=20_000)
            worker.join()
        finally:
            worker.stop()
        received = [m for m in smtp_server.mailbox.messages]
        with Session(short.engine) as session:
            row = session.get(Notification, first)
            assert row is not None
            key = row.dedupe_key
        assert len([m for m in received if message_id(key, "birge.test") == m["Message-ID"]]) == 1
    finally:
        short.close()
        short.engine.dispose()


def test_a_lost_broker_connection_is_reopened_quietly(
    rt: Runtime, district: District, caplog: pytest.LogCaptureFixture
) -> None:
    ids = schedule_due_now(rt, district)
    assert tick(rt) == len(ids)  # the scheduler's connection is open, then idle
    assert services.close_broker_connections(os.getpid()) >= 1
    time.sleep(1)
    caplog.clear()
    caplog.set_level(logging.DEBUG)
    with Session(rt.engine) as session:
        session.execute(update(Notification).values(nudged_at=None))
        session.commit()
    assert tick(rt) == len(ids)
    problems = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(problems) <= 1, [r.getMessage() for r in problems]
    assert not any(r.exc_info for r in caplog.records)
    assert all(r.levelno < logging.ERROR for r in caplog.records)


def test_a_worker_stops_cleanly_on_a_dead_connection(
    rt: Runtime, district: District, caplog: pytest.LogCaptureFixture
) -> None:
    worker = start_worker(rt, threads=2)
    rt.actors.send_notifications.send([schedule_due_now(rt, district)[0]])
    rt.broker.join(rt.settings.queue_name, timeout=10_000)
    assert services.close_broker_connections(os.getpid()) >= 1
    time.sleep(1)
    caplog.clear()
    caplog.set_level(logging.DEBUG)
    worker.stop()
    rt.close()
    assert not any(r.exc_info for r in caplog.records), [r.getMessage() for r in caplog.records]
    assert all(r.levelno < logging.ERROR for r in caplog.records)
