"""Turn notifications into MIME messages and hand them to the mail edge: SMTP or files."""

from __future__ import annotations

import io
import logging
import os
import smtplib
import ssl
import tempfile
import threading
import time
from dataclasses import dataclass
from email import policy
from email.generator import BytesGenerator
from email.header import Header
from email.message import EmailMessage
from email.mime.application import MIMEApplication
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.parser import BytesParser
from email.utils import format_datetime, formataddr, parseaddr
from pathlib import Path
from typing import Protocol

from models.core.settings import SmtpTarget
from models.outbox.notifications import Notification, message_id

__all__ = [
    "FileMailer",
    "MailError",
    "Mailer",
    "Outgoing",
    "SmtpMailer",
    "build_message",
    "make_mailer",
    "render",
]

log = logging.getLogger(__name__)


class MailError(Exception):
    """The message could not be handed over; the outbox will retry it.

    ``server_unavailable`` tells a server (or outbox directory) that is away, which fails
    every email alike, from a refusal of this one email (say, of its recipient).
    """

    def __init__(self, message: str, *, server_unavailable: bool = True) -> None:
        super().__init__(message)
        self.server_unavailable = server_unavailable


@dataclass(frozen=True)
class Outgoing:
    """One email as it goes on the wire: the envelope and the bytes, rendered once."""

    sender: str
    recipient: str
    #: Without the angle brackets; names the file in the embedded outbox.
    message_id: str
    data: bytes


class Mailer(Protocol):
    def send(self, email: Outgoing) -> None: ...

    def close(self) -> None: ...


def render(notification: Notification, *, mail_from: str) -> Outgoing:
    """Render the email for *notification*: plain text and HTML alternatives, plus its
    calendar part if it has one, as CRLF bytes ready for SMTP.

    The calendar part is both an inline ``text/calendar; method=…`` alternative (what Outlook
    and Gmail read as an invitation) and an ``invite.ics`` attachment (for everyone else).
    Message-ID and Date derive from the row, so every copy of one email is recognisably the
    same email: a duplicate sent across a worker's crash folds into the first in mail clients.

    Built with the standard library's classic MIME classes, which write a message several
    times faster than :class:`~email.message.EmailMessage` does; non-ASCII headers become
    RFC 2047 words and non-ASCII parts base64, so no server needs 8BITMIME.
    """
    name, sender = parseaddr(mail_from)
    domain = sender.rpartition("@")[2] or "birge"
    msgid = message_id(notification.dedupe_key, domain)
    parts: list[MIMEBase] = [_text(notification.body, "plain")]
    if notification.html:
        parts.append(_text(notification.html, "html"))
    if notification.ics:
        calendar = _text(notification.ics, "calendar")
        calendar.set_param("method", notification.ics_method or "PUBLISH")
        parts.append(calendar)
    message = parts[0] if len(parts) == 1 else MIMEMultipart("alternative", _subparts=parts)
    if notification.ics:
        attachment = MIMEApplication(notification.ics.encode("utf-8"), "ics")
        attachment.add_header("Content-Disposition", "attachment", filename="invite.ics")
        message = MIMEMultipart("mixed", _subparts=[message, attachment])
    message["Subject"] = _header("Subject", notification.subject)
    message["From"] = formataddr((name, sender), charset="utf-8")
    message["To"] = notification.recipient
    if notification.reply_to:
        message["Reply-To"] = notification.reply_to
    message["Date"] = format_datetime(notification.created_at)
    message["Message-ID"] = msgid
    message["Auto-Submitted"] = "auto-generated"
    message["Content-Language"] = notification.locale
    out = io.BytesIO()
    BytesGenerator(out, mangle_from_=False, policy=_WIRE).flatten(message)
    return Outgoing(sender, notification.recipient, msgid.strip("<>"), out.getvalue())


def build_message(notification: Notification, *, mail_from: str) -> EmailMessage:
    """Return the email for *notification* as a mail client reads it: the rendered bytes,
    parsed."""
    data = render(notification, mail_from=mail_from).data
    return BytesParser(policy=policy.default).parsebytes(data)


#: Classic MIME objects, written with CRLF line ends as SMTP wants them.
_WIRE = policy.compat32.clone(linesep="\r\n")


def _text(content: str, subtype: str) -> MIMEText:
    """A text part: 7bit where that is safe (ASCII, lines SMTP accepts), base64 otherwise."""
    if content.isascii() and all(len(line) <= 998 for line in content.splitlines()):
        return MIMEText(content, subtype, "us-ascii")
    return MIMEText(content, subtype, "utf-8")  # base64


def _header(name: str, value: str) -> str:
    """*value* for the header *name*: RFC 2047 "B" words where it is not ASCII."""
    if value.isascii():
        return value
    return Header(value, "utf-8", header_name=name).encode(linesep="\r\n")


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

    def send(self, email: Outgoing) -> None:
        try:
            smtp = self._connection()
            smtp.sendmail(email.sender, [email.recipient], email.data)
        except (smtplib.SMTPException, OSError) as exc:
            self._drop()
            refused_this_one = isinstance(exc, _REFUSALS) and not isinstance(
                exc, smtplib.SMTPServerDisconnected
            )
            raise MailError(
                f"{type(exc).__name__}: {exc}", server_unavailable=not refused_this_one
            ) from exc
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


#: What a working server answers about one email: the next email may well go through.
_REFUSALS = (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError, smtplib.SMTPSenderRefused)


def _quit(smtp: smtplib.SMTP) -> None:
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


class FileMailer:
    """Write each message as an ``.eml`` file: the embedded deployment's outbox."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def send(self, email: Outgoing) -> None:
        message_id = email.message_id.partition("@")[0]
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            # Write then rename, so a reader never sees half a message.
            fd, tmp = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
            with os.fdopen(fd, "wb") as f:
                f.write(email.data)
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
