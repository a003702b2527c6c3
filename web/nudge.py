"""Nudge the workers after a commit; a lost nudge loses nothing, the scheduler's tick resends."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from flask import current_app

from web import runtime

__all__ = ["nudge_workers"]

log = logging.getLogger(__name__)


def nudge_workers(notification_ids: Iterable[int]) -> None:
    """Ask the workers to send these committed notifications."""
    actor = runtime(current_app).actors.send_notification
    for notification_id in notification_ids:
        try:
            actor.send(notification_id)
        except Exception as exc:  # the broker is down or blocked: the outbox row stays pending
            log.warning(
                "could not enqueue notification %s (%s); the tick will retry",
                notification_id,
                type(exc).__name__,
            )
            return
