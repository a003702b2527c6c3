"""The dedupe keys of the outbox, built and read here only.

A notification's key names what it is about and whom it is for, so that the same email is
written once however often the change or the tick that causes it runs again. The strings are
kept exactly as they were first written: rows of production databases carry them, the planners
look old rows up by them, and the Message-ID of each email is made from its key
(:func:`models.outbox.notifications.message_id`).

Each kind has one function that builds its key and one that reads it back (None for a key of
another kind):

- an invitation, update or cancellation of a meeting or of one of its sittings:
  ``meeting:17:seq:3:update:sitting:9:user:5`` (the sitting by its row's id);
- a meeting reminder: ``meeting:17:seq:3:sitting:20270325T100000Z:reminder:60m:user:5`` (a
  series' sitting by its original start; a single meeting has no ``sitting:`` part);
- a task's reminder or escalation: ``task:8:due:20270319T130000Z:level:1:user:5``, or
  ``...:level:1:agency:4:head`` for an agency head's address;
- the news of a new task to its agency: ``task:8:created:user:5``;
- the daily digest: ``digest:2:2027-03-19:user:5`` or ``digest:2:2027-03-19:agency:4:head``;
- a new calendar subscription address: ``feed-rotated:4:AbCdEfGhIjKl:user:5``;
- a password link: ``password-link:12``;
- an event posted to the webhook of the integration that opened a case:
  ``webhook:3:case:12:case.opened``, ``webhook:3:case:12:task.completed:task:8``, or
  ``webhook:3:case:12:case.lead_agency_chosen:agency:4:20261207T040000Z`` (a lead may be
  chosen more than once, even the same agency again).

Moments are written in UTC in ISO 8601's basic format (``20270319T130000Z``): short enough
that the Message-ID made from a key fits on one header line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

__all__ = [
    "Addressee",
    "DigestKey",
    "FeedRotationKey",
    "InvitationKey",
    "MeetingReminderKey",
    "PasswordLinkKey",
    "TaskAlertKey",
    "TaskCreatedKey",
    "WebhookKey",
    "digest_key",
    "feed_rotation_key",
    "invitation_key",
    "meeting_reminder_key",
    "parse_digest_key",
    "parse_feed_rotation_key",
    "parse_invitation_key",
    "parse_meeting_reminder_key",
    "parse_password_link_key",
    "parse_task_alert_key",
    "parse_task_created_key",
    "parse_webhook_key",
    "password_link_key",
    "task_alert_key",
    "task_alert_prefix",
    "task_created_key",
    "task_created_prefix",
    "webhook_key",
    "webhook_prefix",
]

_MOMENT = "%Y%m%dT%H%M%SZ"
#: How many characters of a feed token its rotation's key keeps (enough to tell two apart).
_TOKEN_SHOWN = 12


def _moment(at: datetime) -> str:
    return at.astimezone(UTC).strftime(_MOMENT)


def _read_moment(text: str) -> datetime:
    return datetime.strptime(text, _MOMENT).replace(tzinfo=UTC)


@dataclass(frozen=True)
class Addressee:
    """Whom an email is for, as its key names it: a person, or an agency head's address."""

    user_id: int | None = None
    #: The agency whose head's address (``Agency.head_email``) the email goes to.
    head_of_agency_id: int | None = None

    def __post_init__(self) -> None:
        if (self.user_id is None) == (self.head_of_agency_id is None):
            raise ValueError("an addressee is either a person or an agency head")

    def __str__(self) -> str:
        if self.user_id is not None:
            return f"user:{self.user_id}"
        return f"agency:{self.head_of_agency_id}:head"


_ADDRESSEE = r"(?:user:(?P<user>\d+)|agency:(?P<head>\d+):head)"


def _addressee(match: re.Match[str]) -> Addressee:
    user, head = match["user"], match["head"]
    if user is not None:
        return Addressee(user_id=int(user))
    return Addressee(head_of_agency_id=int(head))


# -- meetings: invitations, updates, cancellations ----------------------------------------------


@dataclass(frozen=True)
class InvitationKey:
    meeting_id: int
    sequence: int
    #: Why the email is sent (``models.meetings.invitations.Purpose``: ``invite``, ``update``,
    #: ``sitting-moved``...).
    purpose: str
    user_id: int
    #: The id of the :class:`~models.meetings.tables.Sitting` row an email about one sitting of
    #: a series is about.
    sitting_id: int | None = None


_INVITATION = re.compile(
    r"meeting:(?P<meeting>\d+):seq:(?P<seq>\d+):(?P<purpose>[a-z]+(?:-[a-z]+)*)"
    r"(?::sitting:(?P<sitting>\d+))?:user:(?P<user>\d+)"
)


def invitation_key(
    meeting_id: int, sequence: int, purpose: str, user_id: int, *, sitting_id: int | None = None
) -> str:
    """Return the key of the email about a meeting's change at *sequence* for one person: one
    per person and change, however often the change is retried."""
    sitting = f":sitting:{sitting_id}" if sitting_id is not None else ""
    return f"meeting:{meeting_id}:seq:{sequence}:{purpose}{sitting}:user:{user_id}"


def parse_invitation_key(key: str) -> InvitationKey | None:
    """Return what an :func:`invitation_key` names, or None for a key of another kind."""
    match = _INVITATION.fullmatch(key)
    if match is None:
        return None
    sitting = match["sitting"]
    return InvitationKey(
        meeting_id=int(match["meeting"]),
        sequence=int(match["seq"]),
        purpose=match["purpose"],
        user_id=int(match["user"]),
        sitting_id=int(sitting) if sitting is not None else None,
    )


# -- meetings: reminders ------------------------------------------------------------------------


@dataclass(frozen=True)
class MeetingReminderKey:
    meeting_id: int
    sequence: int
    #: How long before the sitting the reminder is sent (whole minutes).
    offset: timedelta
    user_id: int
    #: A series' sitting, by its original start (None for a single meeting).
    sitting_start: datetime | None = None


_MEETING_REMINDER = re.compile(
    r"meeting:(?P<meeting>\d+):seq:(?P<seq>\d+):(?:sitting:(?P<sitting>\d{8}T\d{6}Z):)?"
    r"reminder:(?P<minutes>\d+)m:user:(?P<user>\d+)"
)


def meeting_reminder_key(
    meeting_id: int,
    sequence: int,
    offset: timedelta,
    user_id: int,
    *,
    sitting_start: datetime | None = None,
) -> str:
    """Return the key of the reminder *offset* before a meeting (a series: before its sitting
    that the rule puts at *sitting_start*) for one person, at the meeting's *sequence*."""
    sitting = f"sitting:{_moment(sitting_start)}:" if sitting_start is not None else ""
    minutes = int(offset.total_seconds() // 60)
    return f"meeting:{meeting_id}:seq:{sequence}:{sitting}reminder:{minutes}m:user:{user_id}"


def parse_meeting_reminder_key(key: str) -> MeetingReminderKey | None:
    """Return what a :func:`meeting_reminder_key` names, or None for a key of another kind."""
    match = _MEETING_REMINDER.fullmatch(key)
    if match is None:
        return None
    sitting = match["sitting"]
    return MeetingReminderKey(
        meeting_id=int(match["meeting"]),
        sequence=int(match["seq"]),
        offset=timedelta(minutes=int(match["minutes"])),
        user_id=int(match["user"]),
        sitting_start=_read_moment(sitting) if sitting is not None else None,
    )


# -- tasks: reminders and escalations -----------------------------------------------------------


@dataclass(frozen=True)
class TaskAlertKey:
    task_id: int
    #: The due moment the email was planned for (to the second).
    due_at: datetime
    #: The step of the escalation ladder: 0 the reminder, 1 and up the escalation levels.
    level: int
    addressee: Addressee


_TASK_ALERT = re.compile(
    r"task:(?P<task>\d+):due:(?P<due>\d{8}T\d{6}Z):level:(?P<level>\d+):" + _ADDRESSEE
)


def task_alert_prefix(task_id: int, due_at: datetime) -> str:
    """Return the start of the key of every email of a task's ladder for one due moment: the
    planner finds (and keeps) that moment's emails by it."""
    return f"task:{task_id}:due:{_moment(due_at)}:level:"


def task_alert_key(task_id: int, due_at: datetime, level: int, addressee: Addressee) -> str:
    """Return the key of the email of one step (*level*) of a task's ladder, for a task due at
    *due_at*, to *addressee*."""
    return f"{task_alert_prefix(task_id, due_at)}{level}:{addressee}"


def parse_task_alert_key(key: str) -> TaskAlertKey | None:
    """Return what a :func:`task_alert_key` names, or None for a key of another kind."""
    match = _TASK_ALERT.fullmatch(key)
    if match is None:
        return None
    return TaskAlertKey(
        task_id=int(match["task"]),
        due_at=_read_moment(match["due"]),
        level=int(match["level"]),
        addressee=_addressee(match),
    )


# -- tasks: the news of a new task ----------------------------------------------------------


@dataclass(frozen=True)
class TaskCreatedKey:
    task_id: int
    addressee: Addressee


_TASK_CREATED = re.compile(r"task:(?P<task>\d+):created:" + _ADDRESSEE)


def task_created_prefix(task_id: int) -> str:
    """Return the start of the key of every email telling of a new task (to void them)."""
    return f"task:{task_id}:created:"


def task_created_key(task_id: int, addressee: Addressee) -> str:
    """Return the key of the email telling *addressee* that their agency has a new task: one
    per task and person, however often the creation is retried."""
    return f"{task_created_prefix(task_id)}{addressee}"


def parse_task_created_key(key: str) -> TaskCreatedKey | None:
    """Return what a :func:`task_created_key` names, or None for a key of another kind."""
    match = _TASK_CREATED.fullmatch(key)
    if match is None:
        return None
    return TaskCreatedKey(task_id=int(match["task"]), addressee=_addressee(match))


# -- tasks: the daily digest --------------------------------------------------------------------


@dataclass(frozen=True)
class DigestKey:
    district_id: int
    #: The district's local working day the digest is of.
    day: date
    addressee: Addressee


_DIGEST = re.compile(r"digest:(?P<district>\d+):(?P<day>\d{4}-\d{2}-\d{2}):" + _ADDRESSEE)


def digest_key(district_id: int, day: date, addressee: Addressee) -> str:
    """Return the key of a district's digest of overdue tasks on *day* to *addressee*."""
    return f"digest:{district_id}:{day.isoformat()}:{addressee}"


def parse_digest_key(key: str) -> DigestKey | None:
    """Return what a :func:`digest_key` names, or None for a key of another kind."""
    match = _DIGEST.fullmatch(key)
    if match is None:
        return None
    return DigestKey(
        district_id=int(match["district"]),
        day=date.fromisoformat(match["day"]),
        addressee=_addressee(match),
    )


# -- feeds: a new subscription address ----------------------------------------------------------


@dataclass(frozen=True)
class FeedRotationKey:
    agency_id: int
    #: The first characters of the new token: a second rotation is a second email.
    token_start: str
    user_id: int


_FEED_ROTATION = re.compile(
    rf"feed-rotated:(?P<agency>\d+):(?P<token>[^:]{{1,{_TOKEN_SHOWN}}}):user:(?P<user>\d+)"
)


def feed_rotation_key(agency_id: int, token: str, user_id: int) -> str:
    """Return the key of the email telling one member of an agency its feed's new address
    (*token*, of which the key keeps the start only: the key is not a secret)."""
    return f"feed-rotated:{agency_id}:{token[:_TOKEN_SHOWN]}:user:{user_id}"


def parse_feed_rotation_key(key: str) -> FeedRotationKey | None:
    """Return what a :func:`feed_rotation_key` names, or None for a key of another kind."""
    match = _FEED_ROTATION.fullmatch(key)
    if match is None:
        return None
    return FeedRotationKey(
        agency_id=int(match["agency"]), token_start=match["token"], user_id=int(match["user"])
    )


# -- people: a password link --------------------------------------------------------------------


@dataclass(frozen=True)
class PasswordLinkKey:
    #: The id of the :class:`~models.people.passwords.PasswordReset` row the link opens.
    reset_id: int


_PASSWORD_LINK = re.compile(r"password-link:(?P<reset>\d+)")


def password_link_key(reset_id: int) -> str:
    """Return the key of the email carrying one password link."""
    return f"password-link:{reset_id}"


def parse_password_link_key(key: str) -> PasswordLinkKey | None:
    """Return what a :func:`password_link_key` names, or None for a key of another kind."""
    match = _PASSWORD_LINK.fullmatch(key)
    return PasswordLinkKey(reset_id=int(match["reset"])) if match is not None else None


# -- integrations: events posted to a webhook -----------------------------------------------


@dataclass(frozen=True)
class WebhookKey:
    #: The integration whose webhook the event is posted to.
    integration_id: int
    case_id: int
    #: The event's type (``case.opened``, ``task.completed`` ...).
    event: str
    task_id: int | None = None
    #: A ``case.lead_agency_chosen``: the agency chosen, and when.
    agency_id: int | None = None
    at: datetime | None = None


_WEBHOOK = re.compile(
    r"webhook:(?P<integration>\d+):case:(?P<case>\d+):(?P<event>[a-z]+\.[a-z_]+)"
    r"(?::task:(?P<task>\d+))?(?::agency:(?P<agency>\d+):(?P<at>\d{8}T\d{6}Z))?"
)


def webhook_prefix(integration_id: int) -> str:
    """Return the start of the key of every event posted to an integration's webhook."""
    return f"webhook:{integration_id}:"


def webhook_key(
    integration_id: int,
    case_id: int,
    event: str,
    *,
    task_id: int | None = None,
    agency_id: int | None = None,
    at: datetime | None = None,
) -> str:
    """Return the key of one *event* of a case (of its task *task_id*; a lead *agency_id*
    chosen *at*) posted to an integration's webhook: one per event, however often the change
    that causes it is retried."""
    task = f":task:{task_id}" if task_id is not None else ""
    lead = f":agency:{agency_id}:{_moment(at)}" if agency_id is not None and at is not None else ""
    return f"{webhook_prefix(integration_id)}case:{case_id}:{event}{task}{lead}"


def parse_webhook_key(key: str) -> WebhookKey | None:
    """Return what a :func:`webhook_key` names, or None for a key of another kind."""
    match = _WEBHOOK.fullmatch(key)
    if match is None:
        return None
    task, agency, at = match["task"], match["agency"], match["at"]
    return WebhookKey(
        integration_id=int(match["integration"]),
        case_id=int(match["case"]),
        event=match["event"],
        task_id=int(task) if task is not None else None,
        agency_id=int(agency) if agency is not None else None,
        at=_read_moment(at) if at is not None else None,
    )
