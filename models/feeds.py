"""Agency calendar feeds and the secret tokens in their subscription URLs.

A token is ``HMAC(secret key, nonce)``; the table keeps the nonce and a SHA-256 of the token.
So the database alone never reveals a working feed URL, yet ``birge feed-url`` can print an
agency's existing URL again. Revoking a token and issuing a new one rotates the URL.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import String, or_, select
from sqlmodel import Field, Session, SQLModel, col

from calendars.ical import build_feed
from models.audit import record_event
from models.base import require_id, utc_field, utcnow
from models.cases import Case, CaseAgency
from models.i18n import DEFAULT_LOCALE, KIND_LABELS, translator
from models.meetings import Meeting, MeetingAgency, MeetingStatus
from models.people import Agency
from models.scheduling import agencies_by_meeting, meeting_calendar_event, meeting_facts
from models.settings import Settings

__all__ = [
    "CANCELLED_KEPT_FOR",
    "FEED_HISTORY",
    "FeedToken",
    "agency_feed",
    "agency_for_token",
    "feed_token",
    "feed_url",
    "rotate_feed_token",
]

#: A cancelled meeting stays in feeds (as STATUS:CANCELLED) this long after it was cancelled,
#: so that every subscribed calendar sees the cancellation instead of a silent disappearance.
CANCELLED_KEPT_FOR = timedelta(days=14)
#: Past meetings stay in feeds this long after they ended.
FEED_HISTORY = timedelta(days=90)


class FeedToken(SQLModel, table=True):
    """A secret that opens one agency's feed; revoked tokens stop working at once."""

    __tablename__ = "feed_token"

    id: int | None = Field(default=None, primary_key=True)
    agency_id: int = Field(foreign_key="agency.id", index=True)
    nonce: str = Field(sa_type=String(64))
    token_hash: str = Field(sa_type=String(64), unique=True)
    created_at: datetime = utc_field(default_factory=utcnow)
    revoked_at: datetime | None = utc_field(default=None, nullable=True)


def _token(secret_key: str, nonce: str) -> str:
    digest = hmac.new(secret_key.encode(), f"feed:{nonce}".encode(), hashlib.sha256).hexdigest()
    return digest[:40]


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feed_token(session: Session, agency: Agency, secret_key: str) -> str:
    """Return the agency's current feed token, issuing one if it has none.

    Raises:
      LookupError: the current token was issued under another secret key and cannot be shown
        again; rotate it.
    """
    current = session.scalars(
        select(FeedToken)
        .where(col(FeedToken.agency_id) == agency.id)
        .where(col(FeedToken.revoked_at).is_(None))
        .order_by(col(FeedToken.id).desc())
    ).first()
    if current is None:
        return _issue(session, agency, secret_key, user_id=None)
    token = _token(secret_key, current.nonce)
    if not hmac.compare_digest(_hash(token), current.token_hash):
        raise LookupError(f"the feed token of {agency.slug} was made with another secret key")
    return token


def rotate_feed_token(
    session: Session, agency: Agency, secret_key: str, *, user_id: int | None = None
) -> str:
    """Revoke the agency's tokens and issue a new one; old URLs stop working."""
    now = utcnow()
    for token in session.scalars(
        select(FeedToken)
        .where(col(FeedToken.agency_id) == agency.id)
        .where(col(FeedToken.revoked_at).is_(None))
    ):
        token.revoked_at = now
        session.add(token)
    return _issue(session, agency, secret_key, user_id=user_id)


def _issue(session: Session, agency: Agency, secret_key: str, *, user_id: int | None) -> str:
    nonce = secrets.token_hex(16)
    token = _token(secret_key, nonce)
    row = FeedToken(agency_id=require_id(agency), nonce=nonce, token_hash=_hash(token))
    session.add(row)
    session.flush()
    record_event(
        session,
        user_id=user_id,
        action="feed_token.issued",
        object_type="agency",
        object_id=agency.id,
        detail=f"token={row.id}",
    )
    return token


def feed_url(settings: Settings, token: str) -> str:
    """Return the subscription URL for *token*."""
    return f"{settings.base_url}/calendars/{token}.ics"


def agency_for_token(session: Session, token: str) -> Agency | None:
    """Return the agency whose live token is *token*, or None."""
    if not token or len(token) > 128:
        return None
    row = session.scalars(
        select(FeedToken)
        .where(col(FeedToken.token_hash) == _hash(token))
        .where(col(FeedToken.revoked_at).is_(None))
    ).first()
    return session.get(Agency, row.agency_id) if row else None


def agency_feed(
    session: Session, settings: Settings, agency: Agency, *, now: datetime | None = None
) -> bytes:
    """Build the agency's feed: the meetings it takes part in, recent and coming."""
    now = now or utcnow()
    locale = DEFAULT_LOCALE
    _ = translator(locale)
    meetings = session.scalars(
        select(Meeting)
        .join(MeetingAgency, col(MeetingAgency.meeting_id) == col(Meeting.id))
        .where(col(MeetingAgency.agency_id) == agency.id)
        .where(col(Meeting.ends_at) >= now - FEED_HISTORY)
        .where(
            or_(
                col(Meeting.status) != MeetingStatus.CANCELLED,
                col(Meeting.updated_at) >= now - CANCELLED_KEPT_FOR,
            )
        )
        .order_by(col(Meeting.starts_at), col(Meeting.id))
    ).all()
    agencies = agencies_by_meeting(session, meetings)
    case_ids = {m.case_id for m in meetings if m.case_id is not None}
    # Need to know: the feed names a case only when the agency leads it or works on it.
    on_cases = set(
        session.scalars(
            select(col(CaseAgency.case_id))
            .where(col(CaseAgency.case_id).in_(case_ids))
            .where(col(CaseAgency.agency_id) == agency.id)
        )
    )
    cases = {
        c.id: c
        for c in session.scalars(select(Case).where(col(Case.id).in_(case_ids)))
        if c.lead_agency_id == agency.id or c.id in on_cases
    }
    events = []
    for meeting in meetings:
        facts = meeting_facts(
            meeting,
            agencies[require_id(meeting)],
            cases.get(meeting.case_id),
            locale=locale,
            base_url=settings.base_url,
        )
        events.append(
            meeting_calendar_event(meeting, facts, kind_label=_(KIND_LABELS[meeting.kind]))
        )
    return build_feed(
        name=f"Birge — {agency.name(locale)}",
        events=events,
        timezone=settings.timezone,
        uid=f"agency-{agency.slug}@birge",
    )
