"""Read Birge's configuration from ``BIRGE_*`` environment variables, once.

This module is the only reader of ``os.environ``. :func:`load_settings` returns a frozen
:class:`Settings` that the web app, the workers and the command line receive and pass down.
A malformed value raises :class:`SettingsError` whose message is one line naming the variable.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from models.core.db import DatabaseTimeouts
from models.core.setting_values import (
    DEFAULT_MEETING_REMINDERS,
    SettingsError,
    SmtpTarget,
    parse_base_url,
    parse_broker_url,
    parse_database_url,
    parse_meeting_reminders,
    parse_smtp_target,
)

__all__ = [
    "SETTINGS_HELP",
    "Settings",
    "SettingsError",
    "SmtpTarget",
    "load_settings",
    "served_base_url",
]

#: Every setting with its default and meaning; the README's table is generated from the same
#: words, and ``birge --help`` prints them.
SETTINGS_HELP: dict[str, tuple[str, str]] = {
    "BIRGE_INSTANCE_PATH": ("./instance", "folder for the SQLite file, the outbox and the key"),
    "BIRGE_DATABASE_URL": ("sqlite:///<instance>/birge.sqlite3", "SQLAlchemy URL of the database"),
    "BIRGE_BROKER_URL": ("stub://", "stub:// (in-process workers) or amqp://user:pass@host/vhost"),
    "BIRGE_QUEUE_NAME": ("birge", "name of the Dramatiq queue the actors use"),
    "BIRGE_SMTP_URL": (
        "file://instance/outbox",
        "file://DIR, smtp://host:port, smtp+starttls://user:pass@host:587, smtps://user:pass@host:465",
    ),
    "BIRGE_MAIL_FROM": ("Birge <birge@localhost>", "sender address of every email"),
    "BIRGE_BASE_URL": (
        "http://HOST:PORT that `birge run` serves",
        "public address of the portal, used in links",
    ),
    "BIRGE_TIMEZONE": ("Asia/Almaty", "the district's time zone, for display"),
    "BIRGE_SECRET_KEY": ("generated into <instance>/secret_key", "signs sessions and feed tokens"),
    "BIRGE_TICK_SECONDS": ("30", "how often the scheduler looks for due work"),
    "BIRGE_SESSION_IDLE_MINUTES": ("480", "a sign-in session left idle this long ends"),
    "BIRGE_PROXY_COUNT": (
        "0",
        "reverse proxies in front of the portal whose X-Forwarded-For to trust",
    ),
    "BIRGE_API_REQUESTS_PER_MINUTE": (
        "120",
        "requests one integration token may make to the API a minute",
    ),
    "BIRGE_NOTIFICATION_LEASE_SECONDS": (
        "30",
        "how long a worker's claim on an email lasts unrenewed: a dead worker's emails wait this",
    ),
    "BIRGE_MEETING_REMINDERS": (
        "24h,1h",
        "reminders before a meeting; per kind after ';', e.g. 24h,1h;case_conference=48h,2h",
    ),
    "BIRGE_FEEDS_PATH": ("<instance>/feeds", "folder the workers publish the calendar feeds into"),
    "BIRGE_FEED_DEBOUNCE_SECONDS": (
        "10",
        "a changed feed is rebuilt once this long after its first change",
    ),
    "BIRGE_FEED_LEASE_SECONDS": (
        "20",
        "how long a worker's claim on a feed lasts unrenewed: a dead worker's feeds wait this",
    ),
    "BIRGE_PRUNE_BATCH": (
        "1000",
        "rows of each only-growing table the tick deletes at once, past their retention",
    ),
    "BIRGE_PAGE_CACHE_MB": ("64", "megabytes of rendered page parts kept per web process; 0: none"),
    "BIRGE_DB_CONNECT_TIMEOUT": (
        "3",
        "seconds to open a PostgreSQL connection, or to ping a pooled one, before a 503",
    ),
    "BIRGE_DB_STATEMENT_TIMEOUT": (
        "10",
        "seconds one statement may run; a server that does not answer is cut off 1 s later",
    ),
    "BIRGE_DB_LOCK_TIMEOUT": ("5", "seconds a statement waits for a lock"),
    "BIRGE_DB_IDLE_IN_TRANSACTION_TIMEOUT": (
        "60",
        "seconds a transaction may stay open with nothing running",
    ),
    "BIRGE_DB_POOL_TIMEOUT": ("5", "seconds a request waits for a free database connection"),
    "BIRGE_WEBHOOK_ALLOW_LOOPBACK": (
        "0",
        "tests only: 1 lets a webhook URL be http:// on a loopback address",
    ),
}


@dataclass(frozen=True)
class Settings:
    """The whole configuration of one Birge process; read-only once loaded."""

    instance_path: Path
    database_url: str
    broker_url: str
    queue_name: str
    smtp: SmtpTarget
    mail_from: str
    base_url: str
    timezone: str
    secret_key: str = field(repr=False)
    tick_seconds: float = 30.0
    #: Seconds a claimed notification stays leased to one worker before another may retry it.
    #: The sending worker renews the lease every third of it, so a live send never loses it
    #: and a dead worker's rows are free again within this many seconds.
    notification_lease_seconds: float = 30.0
    #: Seconds after which the scheduler nudges a notification the web's message did not deliver.
    notification_grace_seconds: int = 60
    notification_max_attempts: int = 8
    #: While the mail server is away, an email keeps being retried (backing off up to an hour)
    #: this many hours after it was written, whatever its attempts; then it is ``failed``.
    notification_retry_hours: float = 24.0
    #: Whether BIRGE_BASE_URL was set; if not, ``birge run`` derives it from where it serves.
    base_url_explicit: bool = False
    #: Minutes after which an idle sign-in session ends (``BIRGE_SESSION_IDLE_MINUTES``).
    session_idle_minutes: int = 480
    #: Reverse proxies in front of the web processes (``BIRGE_PROXY_COUNT``): the client address
    #: that sign-in throttling counts is taken from their ``X-Forwarded-For``.
    proxy_count: int = 0
    #: Requests one integration token may make a minute (``BIRGE_API_REQUESTS_PER_MINUTE``).
    api_requests_per_minute: int = 120
    #: First retry delay after a failed send; it doubles with each attempt, up to an hour.
    notification_retry_base_seconds: float = 30.0
    #: How long before a meeting its reminders go out, by meeting kind (``""`` for every kind
    #: not named); an empty tuple means no reminders for that kind.
    meeting_reminders: dict[str, tuple[timedelta, ...]] = field(
        default_factory=lambda: {"": DEFAULT_MEETING_REMINDERS}
    )
    #: A notification written, unsent and older than this is "long pending" for administrators.
    notification_stuck_seconds: int = 900
    #: Where published feeds are written (``<token>.ics``); nginx may serve it directly.
    feeds_path: Path = Path("instance/feeds")
    #: A burst of changes to one feed is published once, this long after its first change.
    feed_debounce_seconds: float = 10.0
    #: Seconds a worker's claim on a feed lasts unrenewed (renewed every third of it while the
    #: build lasts): a dead worker's feeds are rebuilt this long after (plus a tick).
    feed_lease_seconds: float = 20.0
    #: Tests only (``BIRGE_CLOCK_OFFSET_SECONDS``): seconds added to this process's clock where
    #: the workers read it, to play a machine whose clock is wrong. Leases never depend on it:
    #: the database's clock sets and judges them.
    clock_offset_seconds: float = 0.0
    #: Megabytes of rendered page parts each web process keeps (``BIRGE_PAGE_CACHE_MB``, 0: none).
    page_cache_mb: int = 64
    #: Rows of each table that only grows (sessions, throttling, reset links, sent emails)
    #: that the tick deletes at once, past their retention (``BIRGE_PRUNE_BATCH``).
    prune_batch: int = 1000
    #: How long PostgreSQL connections, statements, locks and the pool wait (``BIRGE_DB_*``).
    database_timeouts: DatabaseTimeouts = field(default_factory=DatabaseTimeouts)
    #: Tests only (``BIRGE_WEBHOOK_ALLOW_LOOPBACK``): a webhook URL may be ``http://`` on a
    #: loopback address. Off, a webhook goes only to ``https://`` on a public address.
    webhook_allow_loopback: bool = False

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def reminder_offsets(self, kind: str) -> tuple[timedelta, ...]:
        """Return how long before a meeting of *kind* its reminders go out, longest first."""
        offsets = self.meeting_reminders.get(kind, self.meeting_reminders.get("", ()))
        return tuple(sorted(set(offsets), reverse=True))

    @property
    def session_idle(self) -> timedelta:
        return timedelta(minutes=self.session_idle_minutes)

    @property
    def secure_cookies(self) -> bool:
        """Send cookies only over TLS when the portal is served over https."""
        return self.base_url.startswith("https:")

    @property
    def uses_stub_broker(self) -> bool:
        return self.broker_url.startswith("stub:")

    def replace(self, **changes: Any) -> Settings:
        """Return a copy with *changes* applied (tests build variants this way)."""
        return replace(self, **changes)


def load_settings(
    environ: Mapping[str, str] | None = None, *, create_instance: bool = True
) -> Settings:
    """Build the settings from *environ* (default: the process environment).

    Parameters:
      environ: the variables to read; only names starting with ``BIRGE_`` matter.
      create_instance: create the instance folder and, when ``BIRGE_SECRET_KEY`` is unset,
        generate the key file there once.

    Raises:
      SettingsError: a value is malformed; the message names the variable.
    """
    env = os.environ if environ is None else environ

    def get(name: str) -> str | None:
        value = env.get(name)
        return value.strip() if value is not None and value.strip() else None

    instance_path = Path(get("BIRGE_INSTANCE_PATH") or "instance").absolute()
    if instance_path.exists() and not instance_path.is_dir():
        raise SettingsError("BIRGE_INSTANCE_PATH", f"{instance_path} is not a folder")
    if create_instance:
        instance_path.mkdir(parents=True, exist_ok=True)

    database_url = parse_database_url(get("BIRGE_DATABASE_URL"), instance_path)
    broker_url = parse_broker_url(get("BIRGE_BROKER_URL") or "stub://")
    queue_name = get("BIRGE_QUEUE_NAME") or "birge"
    if not all(c.isalnum() or c in "-_." for c in queue_name):
        raise SettingsError("BIRGE_QUEUE_NAME", "use letters, digits, '-', '_' and '.' only")
    smtp = parse_smtp_target(get("BIRGE_SMTP_URL") or "file://outbox", instance_path)
    mail_from = get("BIRGE_MAIL_FROM") or "Birge <birge@localhost>"
    if "@" not in mail_from:
        raise SettingsError("BIRGE_MAIL_FROM", f"{mail_from!r} is not an email address")
    base_url_explicit = get("BIRGE_BASE_URL") is not None
    base_url = parse_base_url(get("BIRGE_BASE_URL") or "http://127.0.0.1:5000")
    timezone = get("BIRGE_TIMEZONE") or "Asia/Almaty"
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError("BIRGE_TIMEZONE", f"unknown time zone {timezone!r}") from None
    tick_seconds = _seconds(get, "BIRGE_TICK_SECONDS", "30", 0.1, 3600)
    idle = get("BIRGE_SESSION_IDLE_MINUTES") or "480"
    if not idle.isascii() or not idle.isdigit() or not 1 <= int(idle) <= 43200:
        raise SettingsError("BIRGE_SESSION_IDLE_MINUTES", "must be whole minutes, 1 to 43200")
    api_rate = get("BIRGE_API_REQUESTS_PER_MINUTE") or "120"
    if not api_rate.isascii() or not api_rate.isdigit() or not 1 <= int(api_rate) <= 100_000:
        raise SettingsError("BIRGE_API_REQUESTS_PER_MINUTE", "must be a whole number, 1 to 100000")
    proxies = get("BIRGE_PROXY_COUNT") or "0"
    if proxies not in {"0", "1", "2", "3"}:
        raise SettingsError("BIRGE_PROXY_COUNT", "must be 0, 1, 2 or 3")
    lease_seconds = _seconds(get, "BIRGE_NOTIFICATION_LEASE_SECONDS", "30", 1, 600)
    meeting_reminders = parse_meeting_reminders(get("BIRGE_MEETING_REMINDERS") or "24h,1h")
    feeds_path = Path(get("BIRGE_FEEDS_PATH") or instance_path / "feeds").absolute()
    if feeds_path.exists() and not feeds_path.is_dir():
        raise SettingsError("BIRGE_FEEDS_PATH", f"{feeds_path} is not a folder")
    feed_debounce_seconds = _seconds(get, "BIRGE_FEED_DEBOUNCE_SECONDS", "10", 0, 3600)
    feed_lease_seconds = _seconds(get, "BIRGE_FEED_LEASE_SECONDS", "20", 1, 600)
    prune = get("BIRGE_PRUNE_BATCH") or "1000"
    if not prune.isascii() or not prune.isdigit() or not 1 <= int(prune) <= 100_000:
        raise SettingsError("BIRGE_PRUNE_BATCH", "must be a whole number of rows, 1 to 100000")
    page_cache = get("BIRGE_PAGE_CACHE_MB") or "64"
    if not page_cache.isascii() or not page_cache.isdigit() or int(page_cache) > 4096:
        raise SettingsError("BIRGE_PAGE_CACHE_MB", "must be whole megabytes, 0 to 4096")
    clock_offset_seconds = _seconds(get, "BIRGE_CLOCK_OFFSET_SECONDS", "0")
    database_timeouts = _database_timeouts(get)
    allow_loopback = (get("BIRGE_WEBHOOK_ALLOW_LOOPBACK") or "0").lower()
    if allow_loopback not in _BOOLEANS:
        raise SettingsError("BIRGE_WEBHOOK_ALLOW_LOOPBACK", "must be 0 or 1")
    secret_key = get("BIRGE_SECRET_KEY") or _instance_secret_key(instance_path, create_instance)
    if len(secret_key) < 16:
        raise SettingsError("BIRGE_SECRET_KEY", "must be at least 16 characters long")

    return Settings(
        instance_path=instance_path,
        database_url=database_url,
        broker_url=broker_url,
        queue_name=queue_name,
        smtp=smtp,
        mail_from=mail_from,
        base_url=base_url,
        timezone=timezone,
        secret_key=secret_key,
        tick_seconds=tick_seconds,
        base_url_explicit=base_url_explicit,
        session_idle_minutes=int(idle),
        proxy_count=int(proxies),
        api_requests_per_minute=int(api_rate),
        meeting_reminders=meeting_reminders,
        notification_lease_seconds=lease_seconds,
        feeds_path=feeds_path,
        feed_debounce_seconds=feed_debounce_seconds,
        feed_lease_seconds=feed_lease_seconds,
        page_cache_mb=int(page_cache),
        clock_offset_seconds=clock_offset_seconds,
        database_timeouts=database_timeouts,
        prune_batch=int(prune),
        webhook_allow_loopback=_BOOLEANS[allow_loopback],
    )


_BOOLEANS = {"0": False, "1": True, "false": False, "true": True, "no": False, "yes": True}


def _seconds(
    get: Callable[[str], str | None],
    name: str,
    default: str,
    low: float | None = None,
    high: float | None = None,
) -> float:
    """Read setting *name* as seconds (*default* when unset), between *low* and *high*."""
    raw = get(name) or default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(name, f"{raw!r} is not a number") from None
    if low is not None and high is not None and not low <= value <= high:
        raise SettingsError(name, f"must be between {low:g} and {high:g} seconds")
    return value


def _database_timeouts(get: Callable[[str], str | None]) -> DatabaseTimeouts:
    """Read the ``BIRGE_DB_*`` timeouts (seconds); unset ones keep their defaults."""
    values: dict[str, float] = {}
    for field_name, name, low, high in (
        ("connect", "BIRGE_DB_CONNECT_TIMEOUT", 1, 60),
        ("statement", "BIRGE_DB_STATEMENT_TIMEOUT", 1, 3600),
        ("lock", "BIRGE_DB_LOCK_TIMEOUT", 1, 3600),
        ("idle_in_transaction", "BIRGE_DB_IDLE_IN_TRANSACTION_TIMEOUT", 1, 86400),
        ("pool", "BIRGE_DB_POOL_TIMEOUT", 1, 600),
    ):
        raw = get(name)
        if raw is None:
            continue
        try:
            value = float(raw)
        except ValueError:
            raise SettingsError(name, f"{raw!r} is not a number of seconds") from None
        if not low <= value <= high:
            raise SettingsError(name, f"must be between {low} and {high} seconds")
        values[field_name] = value
    return replace(DatabaseTimeouts(), **values)


def served_base_url(settings: Settings, host: str, port: int) -> tuple[Settings, str | None]:
    """Fit the base URL to the address ``birge run`` serves on.

    Without BIRGE_BASE_URL the links in emails and feed addresses point to *host*:*port*
    (a wildcard host becomes 127.0.0.1). With it, the setting wins; the second value is a
    warning when it names another port or loopback host than the one served, else None.
    """
    shown_host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104
    if ":" in shown_host:
        shown_host = f"[{shown_host}]"
    served = f"http://{shown_host}:{port}"
    if not settings.base_url_explicit:
        return settings.replace(base_url=served), None
    parts = urlsplit(settings.base_url)
    loopback = parts.hostname in ("127.0.0.1", "localhost", "::1")
    default_port = 443 if parts.scheme == "https" else 80
    if loopback and (parts.port or default_port) != port:
        return settings, (
            f"BIRGE_BASE_URL is {settings.base_url} but the portal serves {served}: "
            "links in emails and feed addresses will not reach it"
        )
    return settings, None


def _instance_secret_key(instance_path: Path, create: bool) -> str:
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    key = secrets.token_urlsafe(48)
    if create:
        # O_EXCL: two processes starting at once must not end up with two different keys.
        try:
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return key_file.read_text().strip()
        with os.fdopen(fd, "w") as f:
            f.write(key + "\n")
    return key
