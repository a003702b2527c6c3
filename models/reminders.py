"""The planner: what the scheduler's tick writes into the outbox when its moment comes.

Meeting reminders are planned here; task reminders and escalation levels in
:mod:`models.taskalerts` and the daily digests in :mod:`models.digests`, each with a dedupe key
of its own (``task:<id>:due:<due-iso>:level:<n>:user:<id>``); :func:`plan_due` runs them all
and :func:`why_not_send` checks each kind just before it is sent.

How meeting reminders work:

- ``Meeting.reminder_due_at`` is the next moment something must be planned for the meeting
  (the start minus one of its kind's offsets, 24 h and 1 h by default). It is indexed, so a
  tick reads only the meetings whose moment has come: its cost grows with what is due, not
  with the number of meetings.
- At that moment the tick writes one reminder per invited person, in their language, keyed on
  the meeting's sequence (``meeting:17:seq:3:reminder:60m:user:5``), so that a repeated tick
  or a second scheduler writes nothing twice.
- When a meeting moves or is cancelled, :func:`replan_meeting_reminders` voids its unsent
  reminders of the old sequence and computes the next moment from the new start; a meeting
  moved into the past gets none. The sending worker checks again (:func:`why_not_send`), so
  a reminder written just before the change is voided rather than sent.
- A tick that runs late sends only the latest reminder that is due (the 1 h one, not the
  24 h one as well), and none that fell before the meeting was scheduled.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlmodel import Session, col

from models.base import require_id, utcnow
from models.cases import Case
from models.digests import plan_digests
from models.meetings import Meeting, MeetingStatus
from models.messages import RenderedEmail, reminder_email
from models.notifications import (
    Notification,
    NotificationKind,
    NotificationStatus,
    add_notification,
)
from models.people import User
from models.scheduling import agencies_by_meeting, meeting_facts, organizer_address
from models.settings import Settings
from models.taskalerts import plan_task_alerts, why_not_send_task

__all__ = [
    "next_reminder_at",
    "plan_due",
    "plan_meeting_reminders",
    "replan_meeting_reminders",
    "why_not_send",
]


def next_reminder_at(
    starts_at: datetime, offsets: Iterable[timedelta], *, after: datetime
) -> datetime | None:
    """Return the earliest reminder moment of a meeting starting at *starts_at* that lies
    after *after*, or None when no reminder is left."""
    moments = [starts_at - offset for offset in offsets if starts_at - offset > after]
    return min(moments) if moments else None


def replan_meeting_reminders(
    session: Session, settings: Settings, meeting: Meeting, *, now: datetime | None = None
) -> int:
    """Bring *meeting*'s reminders in line with its current start, status and sequence.

    Call it in the transaction of every change to a meeting (scheduling, moving, cancelling):
    unsent reminders of another sequence, or of a cancelled meeting, are voided, and the next
    reminder moment is computed afresh. Returns how many reminders were voided. Nothing is
    committed.
    """
    now = now or utcnow()
    n = Notification
    stale = (
        update(n)
        .where(
            col(n.meeting_id) == require_id(meeting),
            col(n.kind) == NotificationKind.MEETING_REMINDER.value,
            col(n.status) == NotificationStatus.PENDING.value,
        )
        .values(status=NotificationStatus.VOIDED.value, last_error="meeting changed")
    )
    if meeting.status == MeetingStatus.SCHEDULED:
        stale = stale.where(col(n.meeting_sequence) != meeting.sequence)
        meeting.reminder_due_at = next_reminder_at(
            meeting.starts_at, settings.reminder_offsets(meeting.kind), after=now
        )
    else:
        meeting.reminder_due_at = None
    session.add(meeting)
    voided = session.execute(stale, execution_options={"synchronize_session": "fetch"})
    return int(getattr(voided, "rowcount", 0) or 0)


def plan_due(session: Session, settings: Settings, *, now: datetime, limit: int = 200) -> int:
    """Write every notification whose moment has come: meeting reminders, task reminders and
    escalations (:mod:`models.taskalerts`), daily digests (:mod:`models.digests`); return how
    many. Nothing committed."""
    written = plan_meeting_reminders(session, settings, now=now, limit=limit)
    written += plan_task_alerts(session, settings, now=now, limit=limit)
    written += plan_digests(session, settings, now=now)
    return written


def plan_meeting_reminders(
    session: Session, settings: Settings, *, now: datetime, limit: int = 200
) -> int:
    """Write the reminders of up to *limit* meetings whose reminder moment has come.

    The meetings are locked while planned (``SKIP LOCKED`` on PostgreSQL), so two schedulers
    ticking at once plan each meeting once. Returns the number of reminders written.
    """
    meetings = list(
        session.scalars(
            select(Meeting)
            .where(col(Meeting.reminder_due_at) <= now)
            .order_by(col(Meeting.reminder_due_at))
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if not meetings:
        return 0
    due: list[tuple[Meeting, timedelta]] = []
    for meeting in meetings:
        offsets = settings.reminder_offsets(meeting.kind)
        if meeting.status == MeetingStatus.SCHEDULED and meeting.starts_at > now:
            # The latest moment that has come: a late tick sends the 1 h reminder, not both.
            passed = [o for o in offsets if meeting.starts_at - o <= now]
            if passed:
                due.append((meeting, min(passed)))
            meeting.reminder_due_at = next_reminder_at(meeting.starts_at, offsets, after=now)
        else:
            meeting.reminder_due_at = None
        session.add(meeting)
    written = _write_reminders(session, settings, due, now=now)
    session.flush()
    return written


def _write_reminders(
    session: Session,
    settings: Settings,
    due: Sequence[tuple[Meeting, timedelta]],
    *,
    now: datetime,
) -> int:
    if not due:
        return 0
    meetings = [meeting for meeting, _ in due]
    agencies = agencies_by_meeting(session, meetings)
    agency_ids = {require_id(a) for found in agencies.values() for a in found}
    users_by_agency: dict[int, list[User]] = {}
    for user in session.scalars(
        select(User)
        .where(col(User.agency_id).in_(agency_ids), col(User.active) == True)  # noqa: E712
        .order_by(col(User.id))
    ):
        users_by_agency.setdefault(user.agency_id, []).append(user)
    case_ids = {m.case_id for m in meetings if m.case_id is not None}
    cases = (
        {require_id(c): c for c in session.scalars(select(Case).where(col(Case.id).in_(case_ids)))}
        if case_ids
        else {}
    )
    written = 0
    for meeting, offset in due:
        meeting_id = require_id(meeting)
        found = agencies[meeting_id]
        case = cases.get(meeting.case_id) if meeting.case_id is not None else None
        reply_to = organizer_address(session, meeting)
        minutes = int(offset.total_seconds() // 60)
        prefix = f"meeting:{meeting_id}:seq:{meeting.sequence}:reminder:{minutes}m:user:"
        existing = set(
            session.scalars(
                select(col(Notification.dedupe_key)).where(
                    col(Notification.meeting_id) == meeting_id,
                    col(Notification.kind) == NotificationKind.MEETING_REMINDER.value,
                )
            )
        )
        emails: dict[str, RenderedEmail] = {}  # the words differ by language only
        for agency in found:
            for user in users_by_agency.get(require_id(agency), []):
                key = f"{prefix}{user.id}"
                if key in existing:
                    continue
                email = emails.get(user.locale)
                if email is None:
                    facts = meeting_facts(
                        meeting, found, case, locale=user.locale, base_url=settings.base_url
                    )
                    email = reminder_email(facts, locale=user.locale, zone=settings.zone)
                    emails[user.locale] = email
                add_notification(
                    session,
                    dedupe_key=key,
                    user_id=user.id,
                    recipient=user.email,
                    locale=user.locale,
                    subject=email.subject,
                    body=email.text,
                    html=email.html,
                    kind=NotificationKind.MEETING_REMINDER,
                    reply_to=reply_to,
                    meeting_id=meeting_id,
                    meeting_sequence=meeting.sequence,
                    now=now,
                    grace=timedelta(0),  # due at once: this very tick nudges it
                    known_new=True,
                )
                existing.add(key)
                written += 1
    return written


def why_not_send(session: Session, notification: Notification, *, now: datetime) -> str | None:
    """Return why the claimed *notification* must not be sent any more, or None to send it.

    Checked by the worker just before sending, because what was true when a reminder was
    planned may have changed since (the meeting was cancelled or moved).
    """
    if notification.kind == NotificationKind.MEETING_REMINDER:
        meeting = (
            session.get(Meeting, notification.meeting_id)
            if notification.meeting_id is not None
            else None
        )
        if meeting is None:
            return "meeting deleted"
        if meeting.status != MeetingStatus.SCHEDULED:
            return "meeting cancelled"
        if meeting.sequence != notification.meeting_sequence:
            return "meeting changed"
        if meeting.starts_at <= now:
            return "meeting started"
    if notification.kind in (NotificationKind.TASK_REMINDER, NotificationKind.ESCALATION):
        return why_not_send_task(session, notification)
    return None
