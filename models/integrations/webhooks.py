"""Webhooks: what happens to a case, posted back to the system that sent its report.

An integration may register a URL; Birge then posts the events of the cases it opened
(:class:`WebhookEvent`) there, signed by the Standard Webhooks scheme with a secret Birge makes
and shows once. An event is an outbox row first, like every email: a
:class:`~models.outbox.notifications.Notification` of kind ``webhook`` (the URL its recipient,
the JSON its body) written in the transaction of the change under one dedupe key per event.
The workers post it (``workers/webhooks.py``), retry it with the outbox's backoff, and give it
up as ``failed`` where administrators see the emails not delivered. A payload carries the case
code, rule and agency slugs and moments: never a child's data.

Which URLs may be registered is the rule of :mod:`models.integrations.urls` (``https://``, and
public addresses only: no server-side request forgery).
"""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select, update
from sqlmodel import Session, col

from models.cases.tables import Case
from models.core.audit import record_event
from models.core.base import utcnow
from models.integrations.tokens import Integration, live_integration
from models.integrations.urls import Resolver, check_webhook_url, resolve_host
from models.outbox.keys import parse_webhook_key, webhook_key, webhook_prefix
from models.outbox.notifications import (
    UNSENT,
    Notification,
    NotificationKind,
    NotificationStatus,
    add_notification,
)
from models.people.tables import Agency

__all__ = [
    "RegisteredWebhook",
    "WebhookEvent",
    "WebhookTarget",
    "announce_case_closed",
    "announce_case_opened",
    "announce_lead_agency_chosen",
    "announce_task_completed",
    "clear_webhook",
    "set_webhook",
    "webhook_target",
    "why_not_send_webhook",
]

_SECRET_PREFIX = "whsec_"  # noqa: S105 (the scheme's prefix, not a secret)


class WebhookEvent(StrEnum):
    """The events an integration's webhook receives about the cases it opened."""

    CASE_OPENED = "case.opened"
    LEAD_AGENCY_CHOSEN = "case.lead_agency_chosen"
    TASK_COMPLETED = "task.completed"
    CASE_CLOSED = "case.closed"


@dataclass(frozen=True)
class RegisteredWebhook:
    integration: Integration
    #: The signing secret (``whsec_`` + base64): shown once, when the webhook is registered.
    secret: str


def _void_unsent(session: Session, integration: Integration, *, keeping: str | None) -> int:
    """Void the unsent events of *integration* to any URL but *keeping*; return how many.
    A worker holding one finds it no longer its own before posting it."""
    n = Notification
    query = (
        update(n)
        .where(col(n.kind) == NotificationKind.WEBHOOK.value)
        .where(col(n.dedupe_key).startswith(webhook_prefix(integration.id or 0)))
        .where(col(n.status).in_(UNSENT))
    )
    if keeping is not None:
        query = query.where(col(n.recipient) != keeping)
    result = session.execute(
        query.values(
            status=NotificationStatus.VOIDED.value,
            lease_until=None,
            last_error="the integration's webhook was cleared or moved",
        ),
        execution_options={"synchronize_session": False},
    )
    return int(getattr(result, "rowcount", 0) or 0)


def set_webhook(
    session: Session,
    name: str,
    url: str,
    *,
    allow_loopback: bool = False,
    resolve: Resolver = resolve_host,
    district_id: int | None = None,
    user_id: int | None = None,
    now: datetime | None = None,
) -> RegisteredWebhook:
    """Register *url* as the webhook of the live integration *name* (of *district_id*, when
    given), with a new signing secret. Audited (the host, not the URL); flushes.

    Registering again gives a new secret: the events not posted yet are signed with it, and
    those waiting for another URL are voided (the receiver moved; its old address is not
    posted to again).

    Raises:
      IntegrationError: no live integration has that name.
      WebhookUrlError: *url* breaks the rule of :func:`check_webhook_url`.
    """
    now = now or utcnow()
    integration = live_integration(session, name, district_id)
    checked = check_webhook_url(url, allow_loopback=allow_loopback, resolve=resolve)
    secret = _SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")
    voided = _void_unsent(session, integration, keeping=checked.url)
    integration.webhook_url = checked.url
    integration.webhook_secret = secret
    session.add(integration)
    record_event(
        session,
        user_id=user_id,
        action="integration.webhook_set",
        object_type="integration",
        object_id=integration.id,
        detail=f"name={integration.name} host={checked.host} voided={voided}",
        at=now,
    )
    session.flush()
    return RegisteredWebhook(integration, secret)


def clear_webhook(
    session: Session,
    name: str,
    *,
    district_id: int | None = None,
    user_id: int | None = None,
    now: datetime | None = None,
) -> Integration:
    """Stop posting events to the webhook of the integration *name*: forget its URL and
    secret and void its events not posted yet. Audited; flushes.

    Raises:
      IntegrationError: no live integration has that name.
    """
    now = now or utcnow()
    integration = live_integration(session, name, district_id)
    voided = _void_unsent(session, integration, keeping=None)
    integration.webhook_url = None
    integration.webhook_secret = None
    session.add(integration)
    record_event(
        session,
        user_id=user_id,
        action="integration.webhook_cleared",
        object_type="integration",
        object_id=integration.id,
        detail=f"name={integration.name} voided={voided}",
        at=now,
    )
    session.flush()
    return integration


# -- events ------------------------------------------------------------------------------------


def _moment(at: datetime) -> str:
    """An ISO 8601 moment in UTC, to the second: ``2026-12-07T04:00:00Z``."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _subscriber(session: Session, case: Case) -> Integration | None:
    """The live integration that opened *case* if it has a webhook."""
    if case.opened_by_integration_id is None:
        return None
    integration = session.get(Integration, case.opened_by_integration_id)
    if integration is None or not integration.active or not integration.webhook_url:
        return None
    return integration


def _announce(
    session: Session,
    case: Case,
    event: WebhookEvent,
    data: dict[str, Any],
    *,
    now: datetime,
    task_id: int | None = None,
    agency_id: int | None = None,
) -> Notification | None:
    """Write *event* of *case* into the outbox for the webhook of the integration that opened
    it; return the row, or None when there is no such webhook or the event was written
    before. Flushes (the caller nudges the workers with the row's id once committed)."""
    integration = _subscriber(session, case)
    if integration is None or integration.id is None or case.id is None:
        return None
    payload = {
        "type": event.value,
        "timestamp": _moment(now),
        "data": {"case_code": case.code, **data},
    }
    notification = add_notification(
        session,
        district_id=case.district_id,
        dedupe_key=webhook_key(
            integration.id,
            case.id,
            event.value,
            task_id=task_id,
            agency_id=agency_id,
            at=now if agency_id is not None else None,
        ),
        recipient=integration.webhook_url or "",
        subject=f"{event.value} {case.code}",
        body=json.dumps(payload, ensure_ascii=False, separators=(",", ":")),
        locale="en",
        kind=NotificationKind.WEBHOOK.value,
        now=now,
    )
    if notification is not None:
        session.flush()
    return notification


def _slug(session: Session, agency_id: int) -> str:
    agency = session.get(Agency, agency_id)
    return agency.slug if agency is not None else ""


def announce_case_opened(session: Session, case: Case, *, now: datetime) -> Notification | None:
    """``case.opened``: the case's code, its lead agency and when it was received and opened."""
    return _announce(
        session,
        case,
        WebhookEvent.CASE_OPENED,
        {
            "agency": _slug(session, case.lead_agency_id),
            "received_at": _moment(case.received_at),
            "opened_at": _moment(case.opened_at),
        },
        now=now,
    )


def announce_lead_agency_chosen(
    session: Session, case: Case, agency: Agency, *, now: datetime
) -> Notification | None:
    """``case.lead_agency_chosen``: the agency that now leads the case, and when it was chosen."""
    return _announce(
        session,
        case,
        WebhookEvent.LEAD_AGENCY_CHOSEN,
        {"agency": agency.slug, "chosen_at": _moment(now)},
        now=now,
        agency_id=agency.id,
    )


def announce_task_completed(
    session: Session,
    case: Case,
    *,
    task_id: int,
    rule: str | None,
    agency: str,
    due_at: datetime,
    completed_at: datetime,
    now: datetime,
) -> Notification | None:
    """``task.completed``: the statutory rule's slug (None for a task given by hand), the
    responsible agency's slug, when the task was due and when it was done."""
    return _announce(
        session,
        case,
        WebhookEvent.TASK_COMPLETED,
        {
            "rule": rule,
            "agency": agency,
            "due_at": _moment(due_at),
            "completed_at": _moment(completed_at),
        },
        now=now,
        task_id=task_id,
    )


def announce_case_closed(session: Session, case: Case, *, now: datetime) -> Notification | None:
    """``case.closed``: the lead agency that closed it, and when."""
    return _announce(
        session,
        case,
        WebhookEvent.CASE_CLOSED,
        {
            "agency": _slug(session, case.lead_agency_id),
            "closed_at": _moment(case.closed_at or now),
        },
        now=now,
    )


# -- what a worker needs -----------------------------------------------------------------------


@dataclass(frozen=True)
class WebhookTarget:
    """What a worker posts one event with."""

    url: str
    #: The integration's signing secret as it is now (registering again changes it).
    secret: str = dataclass_field(repr=False)
    #: The ``webhook-id`` header: the event's dedupe key, the same on every retry, so that
    #: the receiver may drop a repeat.
    message_id: str


def webhook_target(session: Session, notification: Notification) -> WebhookTarget | None:
    """Return where and with which secret to post the webhook row *notification*, or None
    when it must not be posted any more: its integration was revoked, or its webhook cleared
    or moved to another URL. Reads the row afresh (a cached integration may be stale)."""
    key = parse_webhook_key(notification.dedupe_key)
    if key is None:
        return None
    i = Integration
    row = session.execute(
        select(col(i.webhook_url), col(i.webhook_secret), col(i.revoked_at)).where(
            col(i.id) == key.integration_id
        )
    ).first()
    if row is None:
        return None
    url, secret, revoked_at = row
    if revoked_at is not None or not secret or url != notification.recipient:
        return None
    return WebhookTarget(url=url, secret=secret, message_id=notification.dedupe_key)


def why_not_send_webhook(session: Session, notification: Notification) -> str | None:
    """Return why the webhook row *notification* must not be posted any more, or None."""
    if webhook_target(session, notification) is None:
        return "the integration's webhook was cleared, moved or revoked"
    return None
