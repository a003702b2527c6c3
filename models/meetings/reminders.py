"""Meeting reminders: what the scheduler's tick writes into the outbox when a meeting's moment
comes. :mod:`models.tick` runs this planner beside the tasks' and the digests'.

How meeting reminders work:

- Every sitting is reminded: a single meeting's one sitting, and each sitting of a council
  series where it actually sits (a moved sitting at its new time, a cancelled one never).
- ``Meeting.reminder_due_at`` is the next moment the tick must look at the meeting: a
  sitting's start minus one of its kind's offsets (24 h and 1 h by default) or, for a series,
  the end of its current sitting, when ``Meeting.next_sitting_at`` moves on to the next one.
  Both columns are indexed, so a tick reads only the meetings whose moment has come and
  expands no series' rule but theirs: its cost grows with what is due, not with the number of
  meetings or series.
- At that moment the tick writes one reminder per invited person, in their language, keyed on
  the meeting's sequence and, for a series, the sitting's original start
  (``meeting:17:seq:3:sitting:20270325T100000Z:reminder:60m:user:5``, built by
  :func:`models.outbox.keys.meeting_reminder_key`), so that a repeated tick or a second
  scheduler writes nothing twice.
- When a meeting, a sitting or a series changes (the meeting's sequence rises with each),
  :func:`replan_meeting_reminders` voids its unsent reminders of the old sequence and computes
  the next moment from the new times; a meeting moved into the past gets none. The sending
  worker checks again (:func:`why_not_send_reminder`), so a reminder written just before the
  change is voided rather than sent.
- A tick that runs late sends only the latest reminder that is due (the 1 h one, not the
  24 h one as well), and none that fell before the meeting was scheduled or last changed.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlmodel import Session, col

from models.cases.access import may_see_case
from models.cases.tables import Case
from models.core.base import require_id, utcnow
from models.core.emails import RenderedEmail
from models.core.settings import Settings
from models.meetings.emails import reminder_email
from models.meetings.facts import agencies_by_meeting, meeting_facts, organizer_address
from models.meetings.reminder_plan import SittingPlan, plan_sittings
from models.meetings.sittings import SittingTime, sitting_times
from models.meetings.tables import Meeting, MeetingStatus, Sitting
from models.outbox.keys import meeting_reminder_key, parse_meeting_reminder_key
from models.outbox.notifications import (
    Notification,
    NotificationKind,
    NotificationStatus,
    add_notification,
)
from models.people.tables import User

__all__ = [
    "plan_meeting_reminders",
    "replan_meeting_reminders",
    "why_not_send_reminder",
]


#: How far ahead a series' next sitting is looked for (councils meet at least yearly).
_SERIES_HORIZON = timedelta(days=400)


def _coming_sittings(
    meeting: Meeting,
    overrides: Sequence[Sitting],
    settings: Settings,
    *,
    now: datetime,
) -> list[SittingTime]:
    """Return the sittings of *meeting* not over at *now* that the planner needs to see."""
    if not meeting.rrule:
        if meeting.ends_at <= now:
            return []
        return [SittingTime(meeting.starts_at, meeting.starts_at, meeting.ends_at)]
    offsets = settings.reminder_offsets(meeting.kind)
    before = now + max(offsets, default=timedelta(0)) + _SERIES_HORIZON
    return sitting_times(meeting, overrides, settings.zone, after=now, before=before)


def _apply(
    session: Session,
    settings: Settings,
    meeting: Meeting,
    overrides: Sequence[Sitting],
    *,
    since: datetime | None,
    now: datetime,
) -> SittingPlan:
    """Plan *meeting* at *now* and keep its two columns; return the plan."""
    offsets = settings.reminder_offsets(meeting.kind)
    sittings = _coming_sittings(meeting, overrides, settings, now=now)
    plan = plan_sittings(sittings, offsets, since=since, now=now, series=meeting.is_series)
    if meeting.is_series:
        current = plan.next_sitting
        meeting.next_sitting_at = current.starts_at if current is not None else None
    else:
        meeting.next_sitting_at = meeting.starts_at
    if meeting.status != MeetingStatus.SCHEDULED:
        plan = SittingPlan(due=[], next_moment=None, next_sitting=plan.next_sitting)
    meeting.reminder_due_at = plan.next_moment
    session.add(meeting)
    return plan


def _overrides(session: Session, meetings: Sequence[Meeting]) -> dict[int, list[Sitting]]:
    """Return the moved and cancelled sittings of the series among *meetings*, in one query."""
    found: dict[int, list[Sitting]] = {require_id(m): [] for m in meetings if m.is_series}
    if found:
        for sitting in session.scalars(
            select(Sitting).where(col(Sitting.meeting_id).in_(list(found)))
        ):
            found[sitting.meeting_id].append(sitting)
    return found


def replan_meeting_reminders(
    session: Session, settings: Settings, meeting: Meeting, *, now: datetime | None = None
) -> int:
    """Bring *meeting*'s reminders in line with its current sittings, status and sequence.

    Call it in the transaction of every change to a meeting, a sitting or a series
    (scheduling, moving, cancelling, ending): unsent reminders of another sequence, or of a
    cancelled meeting, are voided, and the next moment and next sitting are computed afresh.
    A voided reminder of a series' sitting that this change left where it was (another
    sitting moved or was cancelled, the series got a new end or place) is written again at
    the new sequence, in the same tick's words for the sitting as it now is: its moment has
    passed, so nothing else would write it. Returns how many reminders were voided. Nothing is
    committed.
    """
    now = now or utcnow()
    n = Notification
    stale = [
        col(n.meeting_id) == require_id(meeting),
        col(n.kind) == NotificationKind.MEETING_REMINDER.value,
        col(n.status) == NotificationStatus.PENDING.value,
    ]
    if meeting.status == MeetingStatus.SCHEDULED:
        stale.append(col(n.meeting_sequence) != meeting.sequence)
    session.flush()  # a changed sitting's override must be readable below
    overrides = _overrides(session, [meeting]).get(require_id(meeting), [])
    _apply(session, settings, meeting, overrides, since=None, now=now)
    carried = _still_wanted(session, settings, meeting, overrides, stale, now=now)
    # Reminders a worker holds are voided too (it skips them); only waiting ones are carried.
    in_flight = [*stale[:2], col(n.status) == NotificationStatus.SENDING.value, *stale[3:]]
    voided = session.execute(
        update(n)
        .where(or_(and_(*stale), and_(*in_flight)))
        .values(status=NotificationStatus.VOIDED.value, last_error="meeting changed"),
        execution_options={"synchronize_session": "fetch"},
    )
    for (sitting, offset), users in carried.items():
        _write_reminders(session, settings, [(meeting, sitting, offset)], now=now, users=users)
    return int(getattr(voided, "rowcount", 0) or 0)


def _still_wanted(
    session: Session,
    settings: Settings,
    meeting: Meeting,
    overrides: Sequence[Sitting],
    stale: Sequence[ColumnElement[bool]],
    *,
    now: datetime,
) -> dict[tuple[SittingTime, timedelta], set[int]]:
    """Return the reminders about to be voided that are still true (by sitting and offset,
    to whom): a series' sitting still on, not changed since the reminder was written (its
    override, if any, is of that sequence or older), the reminder's moment passed."""
    if meeting.status != MeetingStatus.SCHEDULED or not meeting.is_series:
        return {}
    pending = session.execute(
        select(col(Notification.dedupe_key), col(Notification.meeting_sequence)).where(*stale)
    ).all()
    if not pending:
        return {}
    sittings = {
        s.original_start: s for s in _coming_sittings(meeting, overrides, settings, now=now)
    }
    changed_at = {o.original_start: o.sequence for o in overrides}
    carried: dict[tuple[SittingTime, timedelta], set[int]] = {}
    for key, sequence in pending:
        parsed = parse_meeting_reminder_key(key)
        if parsed is None or parsed.sitting_start is None:
            continue
        sitting = sittings.get(parsed.sitting_start)
        if sitting is None or sitting.cancelled or sitting.starts_at <= now:
            continue
        if changed_at.get(parsed.sitting_start, -1) > (sequence or 0):
            continue  # this very sitting moved since: planned afresh from its new time
        if sitting.starts_at - parsed.offset > now:
            continue  # its moment lies ahead again: the tick writes it then
        carried.setdefault((sitting, parsed.offset), set()).add(parsed.user_id)
    return carried


def plan_meeting_reminders(
    session: Session, settings: Settings, *, now: datetime, limit: int = 200
) -> int:
    """Write the reminders of up to *limit* meetings whose moment has come, and move each
    series whose sitting is over on to its next one.

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
    overrides = _overrides(session, meetings)
    due: list[tuple[Meeting, SittingTime, timedelta]] = []
    for meeting in meetings:
        since = meeting.reminder_due_at
        plan = _apply(session, settings, meeting, overrides.get(require_id(meeting), []),
                      since=since, now=now)  # fmt: skip
        due += [(meeting, sitting, offset) for sitting, offset in plan.due]
    written = _write_reminders(session, settings, due, now=now)
    session.flush()
    return written


def _write_reminders(
    session: Session,
    settings: Settings,
    due: Sequence[tuple[Meeting, SittingTime, timedelta]],
    *,
    now: datetime,
    users: Collection[int] | None = None,
) -> int:
    """Write the reminders *due* to every invitee, or only to *users*; return how many."""
    if not due:
        return 0
    meetings = list({require_id(meeting): meeting for meeting, _, _ in due}.values())
    agencies = agencies_by_meeting(session, meetings)
    agency_ids = {require_id(a) for found in agencies.values() for a in found}
    users_by_agency: dict[int, list[User]] = {}
    for user in session.scalars(
        select(User)
        .where(col(User.agency_id).in_(agency_ids), col(User.active) == True)  # noqa: E712
        .order_by(col(User.id))
    ):
        users_by_agency.setdefault(user.staff_agency_id, []).append(user)
    case_ids = {m.case_id for m in meetings if m.case_id is not None}
    cases = (
        {require_id(c): c for c in session.scalars(select(Case).where(col(Case.id).in_(case_ids)))}
        if case_ids
        else {}
    )
    written = 0
    for meeting, sitting, offset in due:
        meeting_id = require_id(meeting)
        found = agencies[meeting_id]
        case = cases.get(meeting.case_id) if meeting.case_id is not None else None
        reply_to = organizer_address(session, meeting)
        sitting_start = sitting.original_start if meeting.is_series else None
        existing = set(
            session.scalars(
                select(col(Notification.dedupe_key)).where(
                    col(Notification.meeting_id) == meeting_id,
                    col(Notification.kind) == NotificationKind.MEETING_REMINDER.value,
                )
            )
        )
        # The words differ by language, and by whether the reader may know of the case.
        emails: dict[tuple[str, bool], RenderedEmail] = {}
        for agency in found:
            for user in users_by_agency.get(require_id(agency), []):
                if users is not None and user.id not in users:
                    continue
                key = meeting_reminder_key(
                    meeting_id,
                    meeting.sequence,
                    offset,
                    require_id(user),
                    sitting_start=sitting_start,
                )
                if key in existing:
                    continue
                # Need to know: an invitee whose agency is not on the case gets no code.
                knows = case is not None and may_see_case(session, user, case)
                email = emails.get((user.locale, knows))
                if email is None:
                    facts = meeting_facts(
                        meeting,
                        found,
                        case if knows else None,
                        locale=user.locale,
                        base_url=settings.base_url,
                    )
                    facts = replace(facts, starts_at=sitting.starts_at, ends_at=sitting.ends_at)
                    email = reminder_email(facts, locale=user.locale, zone=settings.zone)
                    emails[(user.locale, knows)] = email
                add_notification(
                    session,
                    district_id=meeting.district_id,
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
                    sitting_start=sitting_start,
                    now=now,
                    grace=timedelta(0),  # due at once: this very tick nudges it
                    known_new=True,
                )
                existing.add(key)
                written += 1
    return written


def why_not_send_reminder(
    session: Session, notification: Notification, *, now: datetime
) -> str | None:
    """Return why the claimed meeting reminder *notification* must not be sent any more, or
    None to send it.

    Checked by the worker just before sending, because what was true when a reminder was
    planned may have changed since (the meeting was cancelled or moved).
    """
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
    starts_at = meeting.starts_at
    if notification.sitting_start is not None:  # a series' sitting, where it now is
        moved = session.scalars(
            select(Sitting)
            .where(col(Sitting.meeting_id) == meeting.id)
            .where(col(Sitting.original_start) == notification.sitting_start)
        ).first()
        if moved is not None and moved.cancelled:
            return "sitting cancelled"
        starts_at = moved.starts_at if moved is not None else notification.sitting_start
    if starts_at <= now:
        return "meeting started"
    return None
