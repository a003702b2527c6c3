"""Turn notifications into MIME messages and hand them to the mail edge: SMTP or files."""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
import tempfile
import threading
import time
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import Protocol

from models.notifications import Notification, message_id
from models.settings import SmtpTarget

__all__ = ["FileMailer", "MailError", "Mailer", "SmtpMailer", "build_message", "make_mailer"]

log = logging.getLogger(__name__)


class MailError(Exception):
    """The message could not be handed over; the outbox will retry it."""


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> None: ...

    def close(self) -> None: ...


def build_message(notification: Notification, *, mail_from: str) -> EmailMessage:
    """Build the email for *notification*: plain text and HTML alternatives, plus its
    calendar part if it has one.

    The calendar part is both an inline ``text/calendar; method=…`` alternative (what Outlook
    and Gmail read as an invitation) and an ``invite.ics`` attachment (for everyone else).
    Message-ID and Date derive from the row, so every copy of one email is recognisably the
    same email: a duplicate sent across a worker's crash folds into the first in mail clients.
    """
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or "birge"
    message = EmailMessage()
    message["Subject"] = notification.subject
    message["From"] = mail_from
    message["To"] = notification.recipient
    if notification.reply_to:
        message["Reply-To"] = notification.reply_to
    message["Date"] = format_datetime(notification.created_at)
    message["Message-ID"] = message_id(notification.dedupe_key, domain)
    message["Auto-Submitted"] = "auto-generated"
    message["Content-Language"] = notification.locale
    message.set_content(notification.body)
    if notification.html:
        message.add_alternative(notification.html, subtype="html")
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
    """Send through an SMTP server: plain, STARTTLS or implicit TLS, with optional login.

    Each worker thread keeps its own connection and reuses it for the emails that follow (a
    new connection per email costs more than the email). After any error the connection is
    dropped and the next email opens a fresh one; a connection idle for a while is probed
    with NOOP first, since servers close idle sessions.
    """

    def __init__(self, target: SmtpTarget, timeout: float = 30.0, probe_after: float = 5.0) -> None:
        self.target = target
        self.timeout = timeout
        self.probe_after = probe_after
        self._local = threading.local()
        self._lock = threading.Lock()
        self._open: set[smtplib.SMTP] = set()
        #: Connections opened so far, for tests and benchmarks.
        self.connections_opened = 0

    def send(self, message: EmailMessage) -> None:
        try:
            smtp = self._connection()
            smtp.send_message(message)
        except (smtplib.SMTPException, OSError) as exc:
            self._drop()
            raise MailError(f"{type(exc).__name__}: {exc}") from exc
        self._local.used_at = time.monotonic()

    def close(self) -> None:
        """Close every connection this mailer holds (at shutdown)."""
        with self._lock:
            connections, self._open = self._open, set()
        for smtp in connections:
            _quit(smtp)

    def _connection(self) -> smtplib.SMTP:
        smtp: smtplib.SMTP | None = getattr(self._local, "smtp", None)
        if smtp is not None and time.monotonic() - self._local.used_at > self.probe_after:
            try:
                code, _ = smtp.noop()
            except (smtplib.SMTPException, OSError):
                code = 0
            if code != 250:
                self._drop()
                smtp = None
        if smtp is None:
            smtp = self._connect()
            self._local.smtp = smtp
            with self._lock:
                self._open.add(smtp)
                self.connections_opened += 1
        return smtp

    def _connect(self) -> smtplib.SMTP:
        target = self.target
        if target.scheme == "smtps":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                target.host, target.port, timeout=self.timeout, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(target.host, target.port, timeout=self.timeout)
        try:
            if target.scheme == "smtp+starttls":
                smtp.starttls(context=ssl.create_default_context())
            if target.username:
                smtp.login(target.username, target.password or "")
        except BaseException:
            _quit(smtp)
            raise
        return smtp

    def _drop(self) -> None:
        smtp: smtplib.SMTP | None = getattr(self._local, "smtp", None)
        self._local.smtp = None
        if smtp is not None:
            with self._lock:
                self._open.discard(smtp)
            _quit(smtp)


def _quit(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


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

    def close(self) -> None:
        """Nothing to close."""


def make_mailer(target: SmtpTarget) -> Mailer:
    """Return the mailer for the configured target."""
    if target.is_file:
        assert target.directory is not None
        return FileMailer(target.directory)
    return SmtpMailer(target)
