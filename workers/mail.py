"""Turn notifications into MIME messages and hand them to the mail edge: SMTP or files."""

from __future__ import annotations

import os
import smtplib
import ssl
import tempfile
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import Protocol

from models.notifications import Notification
from models.settings import SmtpTarget

__all__ = ["FileMailer", "MailError", "Mailer", "SmtpMailer", "build_message", "make_mailer"]


class MailError(Exception):
    """The message could not be handed over; the outbox will retry it."""


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> None: ...


def build_message(notification: Notification, *, mail_from: str) -> EmailMessage:
    """Build the email for *notification*: plain text, plus its calendar part if it has one.

    The calendar part is both an inline ``text/calendar; method=…`` alternative (what Outlook
    and Gmail read as an invitation) and an ``invite.ics`` attachment (for everyone else).
    The Message-ID is derived from the row, so a retried send is recognisably the same email.
    """
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or "birge"
    message = EmailMessage()
    message["Subject"] = notification.subject
    message["From"] = mail_from
    message["To"] = notification.recipient
    message["Date"] = format_datetime(notification.created_at)
    message["Message-ID"] = f"<notification-{notification.id}@{domain}>"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(notification.body)
    if notification.ics:
        method = notification.ics_method or "PUBLISH"
        message.add_alternative(notification.ics, subtype="calendar", params={"method": method})
        message.add_attachment(
            notification.ics.encode("utf-8"),
            maintype="application",
            subtype="ics",
            filename="invite.ics",
        )
    return message


class SmtpMailer:
    """Send through an SMTP server: plain, STARTTLS or implicit TLS, with optional login."""

    def __init__(self, target: SmtpTarget, timeout: float = 30.0) -> None:
        self.target = target
        self.timeout = timeout

    def send(self, message: EmailMessage) -> None:
        target = self.target
        try:
            if target.scheme == "smtps":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    target.host,
                    target.port,
                    timeout=self.timeout,
                    context=ssl.create_default_context(),
                )
            else:
                smtp = smtplib.SMTP(target.host, target.port, timeout=self.timeout)
            with smtp:
                if target.scheme == "smtp+starttls":
                    smtp.starttls(context=ssl.create_default_context())
                if target.username:
                    smtp.login(target.username, target.password or "")
                smtp.send_message(message)
        except (smtplib.SMTPException, OSError) as exc:
            raise MailError(f"{type(exc).__name__}: {exc}") from exc


class FileMailer:
    """Write each message as an ``.eml`` file: the embedded deployment's outbox."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def send(self, message: EmailMessage) -> None:
        message_id = str(message["Message-ID"]).strip("<>").partition("@")[0]
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            # Write then rename, so a reader never sees half a message.
            fd, tmp = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
            with os.fdopen(fd, "wb") as f:
                f.write(message.as_bytes())
            os.replace(tmp, self.directory / f"{message_id}.eml")
        except OSError as exc:
            raise MailError(f"{type(exc).__name__}: {exc}") from exc


def make_mailer(target: SmtpTarget) -> Mailer:
    """Return the mailer for the configured target."""
    if target.is_file:
        assert target.directory is not None
        return FileMailer(target.directory)
    return SmtpMailer(target)
