"""Parse the values of single ``BIRGE_*`` settings (URLs of the database, broker, mail
server and portal) into what :mod:`models.core.settings` assembles; a bad value raises
:class:`SettingsError` naming its variable."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit

__all__ = [
    "DEFAULT_MEETING_REMINDERS",
    "SettingsError",
    "SmtpTarget",
    "parse_base_url",
    "parse_broker_url",
    "parse_database_url",
    "parse_meeting_reminders",
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


_MEETING_KINDS = (
    "joint_inspection",
    "prevention_council",
    "case_conference",
    "coordination_meeting",
)
DEFAULT_MEETING_REMINDERS = (timedelta(hours=24), timedelta(hours=1))


_UNITS = {"m": 60, "h": 3600, "d": 86400}


def parse_meeting_reminders(value: str) -> dict[str, tuple[timedelta, ...]]:
    """Parse ``24h,1h;case_conference=48h,2h;coordination_meeting=none``.

    The first item without ``kind=`` is the default for every kind; ``none`` switches a kind's
    reminders off. Durations are whole minutes (``m``), hours (``h``) or days (``d``), up to 30
    days.

    Raises:
      SettingsError: an item is malformed or names an unknown kind.
    """
    name = "BIRGE_MEETING_REMINDERS"
    result: dict[str, tuple[timedelta, ...]] = {"": DEFAULT_MEETING_REMINDERS}
    for item in (part.strip() for part in value.split(";")):
        if not item:
            continue
        kind, _, spec = item.rpartition("=")
        kind = kind.strip()
        if kind and kind not in _MEETING_KINDS:
            raise SettingsError(name, f"unknown meeting kind {kind!r}")
        offsets: list[timedelta] = []
        if spec.strip().lower() != "none":
            for raw in (p.strip().lower() for p in spec.split(",")):
                number, unit = raw[:-1], raw[-1:]
                if unit not in _UNITS or not number.isdigit() or int(number) == 0:
                    raise SettingsError(name, f"{raw!r} is not a duration like 30m, 24h or 2d")
                offset = timedelta(seconds=int(number) * _UNITS[unit])
                if offset > timedelta(days=30):
                    raise SettingsError(name, f"{raw!r} is more than 30 days")
                offsets.append(offset)
        result[kind] = tuple(sorted(set(offsets), reverse=True))
    return result
