"""The emails as a mail client sees them, and the SMTP edge reusing its connection."""

from __future__ import annotations

import threading
from datetime import timedelta
from email.message import EmailMessage

import pytest
from sqlalchemy import select
from sqlmodel import Session, col

from models.core.settings import Settings, SmtpTarget
from models.outbox.notifications import Notification
from models.tick import plan_due
from tests import factories
from tests.conftest import SmtpServer
from tests.factories import District, in_days
from workers.mail import MailError, Outgoing, SmtpMailer, build_message, render


def reminder_rows(session: Session, settings: Settings, district: District) -> list[Notification]:
    starts_at = in_days(3)
    factories.schedule_case_conference(
        session,
        settings,
        district,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
        agency_ids=[district.police.id, district.school.id],
    )
    session.commit()
    plan_due(session, settings, now=starts_at - timedelta(hours=1))
    session.commit()
    return list(
        session.scalars(select(Notification).where(col(Notification.kind) == "meeting_reminder"))
    )


def test_a_reminder_is_multipart_text_and_html_with_the_headers_clients_need(
    session: Session, settings: Settings, district: District
) -> None:
    rows = reminder_rows(session, settings, district)
    assert len({n.recipient for n in rows}) == len(rows)  # one email per person, no lists
    row = next(n for n in rows if n.recipient == district.pedagogue.email)
    message = build_message(row, mail_from=settings.mail_from)
    assert message["To"] == district.pedagogue.email
    assert message["Reply-To"] == district.coordinator.email  # the organizer
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Date"] and message["Message-ID"].endswith("@birge.test>")
    assert str(message["Subject"]).startswith("Reminder: Case conference, ")
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    assert isinstance(text, EmailMessage) and isinstance(html, EmailMessage)
    plain, rich = text.get_content(), html.get_content()
    for said in ("D-2026-0042", "10:00", "http://birge.test/meetings/1"):
        assert said in plain and said in rich
    assert '<table role="presentation"' in rich  # layout by tables: Outlook renders it


def test_an_invitation_keeps_its_calendar_part_beside_text_and_html(
    session: Session, settings: Settings, district: District
) -> None:
    scheduled = factories.schedule(session, settings, district)
    session.commit()
    message = build_message(scheduled.notifications[0], mail_from=settings.mail_from)
    types = [p.get_content_type() for p in message.walk()]
    assert types[0] == "multipart/mixed"
    assert {"text/plain", "text/html", "text/calendar", "application/ics"} <= set(types)


def plain(number: int) -> Outgoing:
    recipient = f"user{number}@birge.test"
    data = f"From: birge@birge.test\r\nTo: {recipient}\r\nSubject: test {number}\r\n\r\nhello\r\n"
    return Outgoing("birge@birge.test", recipient, f"test{number}@birge.test", data.encode())


def test_a_russian_email_reads_back_unchanged_and_is_safe_on_the_wire(
    session: Session, settings: Settings, district: District
) -> None:
    row = factories.schedule(session, settings, district).notifications[0]
    row.subject = "Приглашение: Кейс-конференция, вторник, 1 декабря 2026, 10:00 " + "ж" * 80
    row.body = "Здравствуйте!\nКейс-конференция по случаю D-2026-0042.\n" + "ы" * 2000
    row.html = '<table role="presentation"><tr><td>Қатысушылар</td></tr></table>'
    email = render(row, mail_from="Бірге <birge@birge.test>")
    assert email.sender == "birge@birge.test" and email.recipient == row.recipient
    lines = email.data.split(b"\r\n")
    assert email.data.isascii() and b"\n" not in email.data.replace(b"\r\n", b"")
    assert max(len(line) for line in lines) <= 998  # what every SMTP server accepts
    message = build_message(row, mail_from="Бірге <birge@birge.test>")
    assert message["Subject"] == row.subject
    assert message["From"].addresses[0].display_name == "Бірге"
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert isinstance(text, EmailMessage) and isinstance(html, EmailMessage)
    assert text.get_content().rstrip("\n") == row.body
    assert "Қатысушылар" in html.get_content()


def test_one_thread_sends_a_batch_over_one_connection_and_reconnects_after_an_error(
    smtp_server: SmtpServer,
) -> None:
    mailer = SmtpMailer(SmtpTarget("smtp", smtp_server.host, smtp_server.port))
    try:
        for number in range(20):
            mailer.send(plain(number))
        assert mailer.connections_opened == 1
        # another thread has a connection of its own
        other = threading.Thread(target=mailer.send, args=(plain(99),))
        other.start()
        other.join()
        assert mailer.connections_opened == 2
        smtp_server.mailbox.refusing = True
        with pytest.raises(MailError):
            mailer.send(plain(100))
        smtp_server.mailbox.refusing = False
        mailer.send(plain(101))
        assert mailer.connections_opened == 3  # the failed connection was replaced
        assert len(smtp_server.mailbox.messages) == 22
    finally:
        mailer.close()
