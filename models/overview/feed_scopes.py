"""Whose a feed is: an agency's (every meeting it takes part in, its task deadlines, in the
district's language) or a person's (their meetings and assigned tasks, in their language, with
the case codes they may know), and which scope a feed token opens."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from models.core.base import require_id
from models.core.i18n import DEFAULT_LOCALE, N_, translator
from models.feeds.tokens import FeedToken
from models.people.access import oversees_district
from models.people.tables import Agency, User

__all__ = ["FeedScope", "agency_scope", "person_scope", "scope_of_feed"]


@dataclass(frozen=True)
class FeedScope:
    """Whose feed: the agencies whose meetings it shows, the agencies whose task deadlines it
    shows, the person whose assigned tasks it shows, and its language."""

    name: str
    uid: str
    locale: str
    agency_ids: tuple[int, ...]
    task_agency_ids: tuple[int, ...] = ()
    user_id: int | None = None
    #: Those who oversee the district know every case of it (need to know).
    sees_all_cases: bool = False

    @property
    def viewer(self) -> tuple[object, ...]:
        """What the bytes of an event depend on besides the event: the cache key's part."""
        return (self.locale, self.agency_ids, self.sees_all_cases)


def agency_scope(agency: Agency) -> FeedScope:
    """Return the scope of *agency*'s feed: every meeting it takes part in."""
    return FeedScope(
        name=f"Birge — {agency.name(DEFAULT_LOCALE)}",
        uid=f"agency-{agency.slug}@birge",
        locale=DEFAULT_LOCALE,
        agency_ids=(require_id(agency),),
        task_agency_ids=(require_id(agency),),
    )


def person_scope(session: Session, user: User) -> FeedScope:
    """Return the scope of *user*'s own feed: their meetings, in their language."""
    _ = translator(user.locale)
    return FeedScope(
        name=_(N_("Birge: my calendar")),
        uid=f"person-{require_id(user)}@birge",
        locale=user.locale,
        agency_ids=(user.staff_agency_id,),
        user_id=require_id(user),
        # The one rule of case codes (models.cases.access.may_see_case): those who oversee
        # the district (the chair, administrators, the unit's secretary) know every case.
        sees_all_cases=oversees_district(session, user),
    )


def scope_of_feed(session: Session, feed: FeedToken) -> FeedScope | None:
    """Return the scope of the feed *feed* opens; None if its owner is gone or inactive."""
    if feed.agency_id is not None:
        agency = session.get(Agency, feed.agency_id)
        return agency_scope(agency) if agency else None
    user = session.get(User, feed.user_id)
    if user is None or not user.active or user.agency_id is None:  # or above the districts
        return None
    return person_scope(session, user)
