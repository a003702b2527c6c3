"""Issue an agency a new feed address and tell its members, through the outbox."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlmodel import Session, col

from models.core.base import require_id, utcnow
from models.core.i18n import translator
from models.core.settings import Settings
from models.feeds.tokens import feed_url, rotate_feed
from models.outbox.keys import feed_rotation_key
from models.outbox.notifications import Notification, add_notification
from models.people.tables import Agency, Role, User

__all__ = ["may_rotate_agency_feed", "rotate_agency_feed"]


def may_rotate_agency_feed(user: User, agency: Agency) -> bool:
    """Tell whether *user* may issue *agency* a new feed address (when the old one leaked): an
    active coordinator or above of it."""
    return user.active and Role(user.role).may_rotate_feeds and user.agency_id == agency.id


def rotate_agency_feed(
    session: Session,
    settings: Settings,
    agency: Agency,
    *,
    actor: User,
    now: datetime | None = None,
) -> tuple[list[Notification], list[str]]:
    """Revoke *agency*'s feed address, issue a new one and email it to each active member.

    Return the emails to nudge and the revoked tokens, whose published files the caller
    removes once committed.

    The old address stops working at once; every member gets one email, in their own
    language, with the new address. Nothing is committed: the caller commits and nudges.

    Raises:
      PermissionError: *actor* is not a coordinator (or above) of *agency*.
    """
    now = now or utcnow()
    if not may_rotate_agency_feed(actor, agency):
        raise PermissionError("only the agency's coordinators issue a new feed address")
    rotation = rotate_feed(session, settings.secret_key, agency=agency, acting_user_id=actor.id)
    token = rotation.token
    url = feed_url(settings, token)
    members = session.scalars(
        select(User)
        .where(col(User.agency_id) == require_id(agency))
        .where(col(User.active))
        .order_by(col(User.id))
    )
    notifications = []
    for member in members:
        _ = translator(member.locale)
        body = [
            _("%(name)s issued a new calendar subscription address for %(agency)s.")
            % {"name": actor.full_name, "agency": agency.name(member.locale)},
            _("The old address no longer works. Subscribe again with the new one:"),
            "",
            url,
            "",
            _("How to subscribe: %(url)s") % {"url": f"{settings.base_url}/calendar"},
            _(
                "The address is a secret: whoever has it sees your agency's meetings. "
                "Do not forward it."
            ),
            "—",
            "Birge",
        ]
        notification = add_notification(
            session,
            district_id=agency.district_id,
            dedupe_key=feed_rotation_key(require_id(agency), token, require_id(member)),
            user_id=member.id,
            recipient=member.email,
            locale=member.locale,
            subject=_("New calendar subscription address"),
            body="\n".join(body) + "\n",
            now=now,
            grace=timedelta(seconds=settings.notification_grace_seconds),
        )
        if notification is not None:
            notifications.append(notification)
    session.flush()
    return notifications, rotation.revoked
