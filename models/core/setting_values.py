"""Parse the values of single ``BIRGE_*`` settings (URLs of the database, broker, mail
server and portal) into what :mod:`models.core.settings` assembles; a bad value raises
:class:`SettingsError` naming its variable."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

__all__ = [
    "SettingsError",
    "SmtpTarget",
    "parse_base_url",
    "parse_broker_url",
    "parse_database_url",
    "parse_smtp_target",
]

_SMTP_SCHEMES = ("file", "smtp", "smtp+starttls", "smtps")
_DEFAULT_SMTP_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}


class SettingsError(ValueError):
    """A ``BIRGE_*`` variable holds a value Birge cannot use."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable


@dataclass(frozen=True)
class SmtpTarget:
    """Where outgoing mail goes: a folder of ``.eml`` files or an SMTP server."""

    scheme: str
    host: str = ""
    port: int = 0
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    directory: Path | None = None

    @property
    def is_file(self) -> bool:
        return self.scheme == "file"


def parse_database_url(value: str | None, instance_path: Path) -> str:
    if value is None:
        return f"sqlite:///{instance_path / 'birge.sqlite3'}"
    scheme = value.partition("://")[0]
    if not value.partition("://")[2] and not value.startswith("sqlite://"):
        raise SettingsError("BIRGE_DATABASE_URL", f"{value!r} is not a database URL")
    if scheme in ("postgres", "postgresql", "postgresql+psycopg"):
        # psycopg 3 is the driver we ship; SQLAlchemy's bare "postgresql" means psycopg2.
        return "postgresql+psycopg://" + value.partition("://")[2]
    if scheme == "sqlite":
        return value
    raise SettingsError(
        "BIRGE_DATABASE_URL", f"unsupported scheme {scheme!r} (use sqlite:// or postgresql://)"
    )


def parse_broker_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme == "stub":
        return "stub://"
    if parts.scheme in ("amqp", "amqps"):
        if not parts.hostname:
            raise SettingsError("BIRGE_BROKER_URL", f"{value!r} names no host")
        try:
            parts.port  # noqa: B018 - raises on a malformed port
        except ValueError:
            raise SettingsError("BIRGE_BROKER_URL", "the port is not a number") from None
        return value
    raise SettingsError(
        "BIRGE_BROKER_URL", f"unsupported scheme {parts.scheme!r} (use stub:// or amqp://)"
    )


def parse_smtp_target(value: str, instance_path: Path) -> SmtpTarget:
    parts = urlsplit(value)
    if parts.scheme not in _SMTP_SCHEMES:
        raise SettingsError(
            "BIRGE_SMTP_URL",
            f"unsupported scheme {parts.scheme!r} (use {', '.join(_SMTP_SCHEMES)})",
        )
    if parts.scheme == "file":
        raw = unquote(parts.netloc + parts.path)
        if not raw:
            raise SettingsError("BIRGE_SMTP_URL", "file:// needs a folder")
        directory = Path(raw)
        if not directory.is_absolute():
            # "file://instance/outbox" and "file://outbox" both mean the instance's outbox.
            if directory.parts[0] == "instance":
                directory = Path(*directory.parts[1:]) if len(directory.parts) > 1 else Path()
            directory = instance_path / directory
        return SmtpTarget(scheme="file", directory=directory)
    if not parts.hostname:
        raise SettingsError("BIRGE_SMTP_URL", f"{value!r} names no host")
    try:
        port = parts.port or _DEFAULT_SMTP_PORTS[parts.scheme]
    except ValueError:
        raise SettingsError("BIRGE_SMTP_URL", "the port is not a number") from None
    return SmtpTarget(
        scheme=parts.scheme,
        host=parts.hostname,
        port=port,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def parse_base_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SettingsError("BIRGE_BASE_URL", f"{value!r} is not an http(s) address")
    return value.rstrip("/")
