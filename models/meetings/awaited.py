"""Answers still to come, for the home page: the invitations a person has not answered, and,
for those who organize, how many of each coming meeting's invitees are silent and which
agencies declined.

Every query is bounded: a page of single meetings by the start index, the few series of one
agency, and counts over that page's meeting ids only (``meeting_response`` is read by its
meeting index, ``user_account`` by its agency index).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, exists, func, select
from sqlmodel import Session, col

from models.meetings.access import coming_meetings, may_schedule_meetings
from models.meetings.answers import agency_answer
from models.meetings.sittings import next_sitting
from models.meetings.tables import Answer, Meeting, MeetingAgency, MeetingResponse, MeetingStatus
from models.people.tables import Agency, District, User

__all__ = [
    "ComingMeeting",
    "MeetingReplies",
    "ResponsesAwaited",
    "organized_replies",
    "responses_awaited",
    "unanswered_invitations",
]


@dataclass(frozen=True)
class ComingMeeting:
    """A meeting and when it next sits (a series: its next sitting)."""

    meeting: Meeting
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class MeetingReplies:
    """How one coming meeting an agency organizes stands with its invitees' answers."""

    coming: ComingMeeting
    invitees: int
    unanswered: int
    declined: Sequence[Agency]

    @property
    def meeting(self) -> Meeting:
        return self.coming.meeting


@dataclass(frozen=True)
class ResponsesAwaited:
    """The home page's answers panel: what I have to answer, and what I wait for."""

    to_answer: Sequence[ComingMeeting]
    more_to_answer: bool
    #: None for those who organize nothing (members).
    organized: Sequence[MeetingReplies] | None


def responses_awaited(
    session: Session, user: User, *, now: datetime, limit: int = 5
) -> ResponsesAwaited:
    """Build *user*'s answers panel: up to *limit* unanswered invitations and, for those who
    schedule, up to *limit* coming meetings of their agency with the answers they wait for."""
    zone = _zone(session, user)
    to_answer = unanswered_invitations(session, user, now=now, zone=zone, limit=limit + 1)
    organized = (
        organized_replies(session, user, now=now, zone=zone, limit=limit)
        if may_schedule_meetings(user)
        else None
    )
    return ResponsesAwaited(
        to_answer=to_answer[:limit], more_to_answer=len(to_answer) > limit, organized=organized
    )


def unanswered_invitations(
    session: Session, user: User, *, now: datetime, zone: ZoneInfo, limit: int
) -> list[ComingMeeting]:
    """Return the coming meetings *user*'s agency is invited to that *user* has not answered,
    soonest first, at most *limit*."""
    answered = exists().where(
        (col(MeetingResponse.meeting_id) == col(Meeting.id))
        & (col(MeetingResponse.user_id) == user.id)
    )
    invited = (
        select(Meeting)
        .join(
            MeetingAgency,
            and_(
                col(MeetingAgency.meeting_id) == col(Meeting.id),
                col(MeetingAgency.agency_id) == user.agency_id,
            ),
        )
        .where(col(Meeting.status) == MeetingStatus.SCHEDULED)
        .where(~answered)
    )
    return _coming(session, invited, now=now, zone=zone, limit=limit)


def organized_replies(
    session: Session, user: User, *, now: datetime, zone: ZoneInfo, limit: int
) -> list[MeetingReplies]:
    """Return the coming meetings *user*'s agency organizes, soonest first, at most *limit*,
    each with how many invitees have not answered and which agencies declined."""
    own = (
        select(Meeting)
        .where(col(Meeting.organizer_agency_id) == user.agency_id)
        .where(col(Meeting.status) == MeetingStatus.SCHEDULED)
    )
    coming = _coming(session, own, now=now, zone=zone, limit=limit)
    ids = [c.meeting.id for c in coming]
    if not ids:
        return []
    # Invitees are the active people of the invited agencies, as the emails go.
    invited_people = (
        select(col(MeetingAgency.meeting_id), col(User.id).label("user_id"), col(User.agency_id))
        .join(User, col(User.agency_id) == col(MeetingAgency.agency_id))
        .where(col(MeetingAgency.meeting_id).in_(ids))
        .where(col(User.active) == True)  # noqa: E712
        .subquery()
    )
    invitees: dict[int, int] = dict(
        session.execute(
            select(invited_people.c.meeting_id, func.count()).group_by(invited_people.c.meeting_id)
        ).all()
    )
    given: dict[int, dict[int, set[Answer]]] = defaultdict(lambda: defaultdict(set))
    answered: dict[int, int] = defaultdict(int)
    for meeting_id, agency_id, answer, people in session.execute(
        select(
            invited_people.c.meeting_id,
            invited_people.c.agency_id,
            col(MeetingResponse.answer),
            func.count(),
        )
        .join(
            MeetingResponse,
            and_(
                col(MeetingResponse.meeting_id) == invited_people.c.meeting_id,
                col(MeetingResponse.user_id) == invited_people.c.user_id,
            ),
        )
        .group_by(
            invited_people.c.meeting_id, invited_people.c.agency_id, col(MeetingResponse.answer)
        )
    ):
        given[meeting_id][agency_id].add(Answer(answer))
        answered[meeting_id] += people
    declined_ids = {
        (meeting_id, agency_id)
        for meeting_id, by_agency in given.items()
        for agency_id, answers in by_agency.items()
        if agency_answer(answers) is Answer.DECLINED
    }
    agencies = {
        a.id: a
        for a in session.scalars(
            select(Agency).where(col(Agency.id).in_({a for _, a in declined_ids}))
        )
    }
    return [
        MeetingReplies(
            coming=c,
            invitees=invitees.get(c.meeting.id or 0, 0),
            unanswered=invitees.get(c.meeting.id or 0, 0) - answered[c.meeting.id or 0],
            declined=sorted(
                (agencies[a] for m, a in declined_ids if m == c.meeting.id),
                key=lambda a: a.id or 0,
            ),
        )
        for c in coming
    ]


def _coming(
    session: Session, query: Select[Any], *, now: datetime, zone: ZoneInfo, limit: int
) -> list[ComingMeeting]:
    """Return the meetings of *query* that are on now or come, by next sitting
    (``Meeting.next_sitting_at``, indexed), at most *limit*."""
    found = []
    for meeting in session.scalars(coming_meetings(query, now=now).limit(limit)):
        if not meeting.rrule:
            found.append(ComingMeeting(meeting, meeting.starts_at, meeting.ends_at))
            continue
        sitting = next_sitting(session, meeting, zone, now=now)  # where it now is, if moved
        if sitting is not None:
            found.append(ComingMeeting(meeting, sitting.starts_at, sitting.ends_at))
    return found


def _zone(session: Session, user: User) -> ZoneInfo:
    agency = session.get(Agency, user.agency_id)
    district = session.get(District, agency.district_id) if agency else None
    return ZoneInfo(district.timezone if district else "Asia/Almaty")
