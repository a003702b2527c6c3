"""Answers to invitations: signed accept / tentative / decline links, and who answered what.

A link works without signing in, so it carries its own authority: the meeting, the invitee
and the answer, signed with the portal's secret key under a salt used for nothing else. It
stops working when the meeting is over or cancelled, or when the invitee's agency no longer
takes part. Using it twice changes nothing the second time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import select
from sqlmodel import Session, col

from calendars.recurrence import occurrences
from models.core.audit import record_event
from models.core.base import require_id, utcnow
from models.core.errors import DomainError
from models.core.i18n import N_
from models.core.settings import Settings
from models.meetings.tables import Answer, Meeting, MeetingAgency, MeetingResponse, MeetingStatus
from models.people.tables import Agency, User

__all__ = [
    "AgencyAnswers",
    "RsvpError",
    "RsvpRequest",
    "agency_answer",
    "answers_by_agency",
    "check_may_answer",
    "meeting_over_at",
    "read_rsvp_token",
    "record_response",
    "rsvp_links",
    "rsvp_token",
]

_SALT = "birge.rsvp.answer"
#: How far an ended series is looked at for its last sitting (an UNTIL decades away is a slip).
_SERIES_HORIZON = timedelta(days=366 * 10)


class RsvpError(DomainError):
    """The answer link cannot be used, or the meeting no longer be answered."""


@dataclass(frozen=True)
class RsvpRequest:
    meeting: Meeting
    user: User
    answer: Answer


def _serializer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret_key, salt=_SALT)


def rsvp_token(secret_key: str, meeting_id: int, user_id: int, answer: Answer) -> str:
    """Return the signed token of one answer of one invitee to one meeting."""
    return str(_serializer(secret_key).dumps({"m": meeting_id, "u": user_id, "a": answer.value}))


def rsvp_links(settings: Settings, meeting: Meeting, user: User) -> dict[Answer, str]:
    """Return the three answer links of *user*'s invitation to *meeting*."""
    meeting_id, user_id = require_id(meeting), require_id(user)
    key = settings.secret_key
    return {
        answer: f"{settings.base_url}/respond/{rsvp_token(key, meeting_id, user_id, answer)}"
        for answer in Answer
    }


def meeting_over_at(meeting: Meeting, zone_key: str) -> datetime | None:
    """Return when *meeting* is over: its end, or its last sitting's end for a series that
    ends; None for a series without end."""
    if not meeting.rrule:
        return meeting.ends_at
    if "UNTIL=" not in meeting.rrule and "COUNT=" not in meeting.rrule:
        return None
    first = meeting.starts_at.astimezone(ZoneInfo(zone_key))
    starts = list(occurrences(meeting.rrule, first, after=first, before=first + _SERIES_HORIZON))
    return max(starts, default=first) + (meeting.ends_at - meeting.starts_at)


def read_rsvp_token(
    session: Session, settings: Settings, token: str, *, now: datetime
) -> RsvpRequest:
    """Check *token* and return what it answers.

    Raises:
      RsvpError: the link was altered, or the meeting is over, cancelled or no longer the
        invitee's.
    """
    try:
        payload = _serializer(settings.secret_key).loads(token)
        meeting_id, user_id, answer = int(payload["m"]), int(payload["u"]), Answer(payload["a"])
    except (BadData, KeyError, TypeError, ValueError):
        raise RsvpError(N_("This answer link is not valid. Use the link from the email.")) from None
    meeting, user = session.get(Meeting, meeting_id), session.get(User, user_id)
    if meeting is None or user is None or not user.active:
        raise RsvpError(N_("This answer link is not valid. Use the link from the email."))
    check_may_answer(session, settings, meeting, user, now=now)
    return RsvpRequest(meeting=meeting, user=user, answer=answer)


def check_may_answer(
    session: Session, settings: Settings, meeting: Meeting, user: User, *, now: datetime
) -> None:
    """Check that *user* may still answer *meeting*: the rule of the email's links and of the
    portal's answer buttons alike.

    Raises:
      RsvpError: the meeting is cancelled or over, or the user's agency does not take part.
    """
    if meeting.status == MeetingStatus.CANCELLED:
        raise RsvpError(N_("This meeting was cancelled; there is nothing to answer."))
    over = meeting_over_at(meeting, settings.timezone)
    if over is not None and over <= now:
        raise RsvpError(N_("This meeting is over; it can no longer be answered."))
    if session.get(MeetingAgency, (meeting.id, user.agency_id)) is None:
        raise RsvpError(N_("Your agency no longer takes part in this meeting."))


def record_response(
    session: Session,
    *,
    meeting: Meeting,
    user: User,
    answer: Answer,
    now: datetime | None = None,
) -> bool:
    """Record *user*'s *answer* to *meeting*; return whether it changed anything.

    The same answer twice is one answer: no second row, no second audit event.
    """
    now = now or utcnow()
    row = session.scalars(
        select(MeetingResponse)
        .where(col(MeetingResponse.meeting_id) == meeting.id)
        .where(col(MeetingResponse.user_id) == user.id)
    ).first()
    if row is not None and row.answer == answer.value:
        return False
    if row is None:
        row = MeetingResponse(
            meeting_id=require_id(meeting),
            user_id=require_id(user),
            agency_id=user.staff_agency_id,
            answer=answer.value,
        )
    row.answer = answer.value
    row.answered_at = now
    session.add(row)
    record_event(
        session,
        user_id=user.id,
        action=f"meeting.answer.{answer.value}",
        object_type="meeting",
        object_id=meeting.id,
        at=now,
    )
    session.flush()
    return True


def agency_answer(given: Iterable[Answer]) -> Answer | None:
    """Return an agency's answer from its people's: it comes if anyone comes; it declined if
    all who answered declined; None if nobody answered."""
    answers = set(given)
    for answer in (Answer.ACCEPTED, Answer.TENTATIVE, Answer.DECLINED):
        if answer in answers:
            return answer
    return None


@dataclass(frozen=True)
class AgencyAnswers:
    """One agency's people and their answers (None: not yet answered)."""

    agency: Agency
    people: Sequence[tuple[User, Answer | None]]

    @property
    def answer(self) -> Answer | None:
        return agency_answer(a for _, a in self.people if a is not None)

    @property
    def declined(self) -> bool:
        return self.answer is Answer.DECLINED


def answers_by_agency(
    session: Session, meeting: Meeting, agencies: Sequence[Agency]
) -> list[AgencyAnswers]:
    """Return the answers to *meeting* per invited agency and person, in *agencies*' order."""
    ids = [require_id(a) for a in agencies]
    people = session.scalars(
        select(User)
        .where(col(User.agency_id).in_(ids))
        .where(col(User.active) == True)  # noqa: E712
        .order_by(col(User.full_name), col(User.id))
    ).all()
    answers = {
        r.user_id: Answer(r.answer)
        for r in session.scalars(
            select(MeetingResponse).where(col(MeetingResponse.meeting_id) == meeting.id)
        )
    }
    return [
        AgencyAnswers(
            agency=agency,
            people=[(u, answers.get(require_id(u))) for u in people if u.agency_id == agency.id],
        )
        for agency in agencies
    ]
