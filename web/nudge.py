"""Nudge the workers after a commit; a lost nudge loses nothing, the scheduler's tick resends."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from flask import current_app

from web import runtime
from workers.actors import nudge_batches

__all__ = ["nudge_workers"]

log = logging.getLogger(__name__)


def nudge_workers(notification_ids: Iterable[int]) -> None:
    """Ask the workers to send these committed notifications."""
    actor = runtime(current_app).actors.send_notifications
    for batch in nudge_batches(list(notification_ids)):
        try:
            actor.send(batch)
        except Exception as exc:  # the broker is down or blocked: the outbox rows stay pending
            log.warning(
                "could not enqueue %s notifications (%s); the tick will retry",
                len(batch),
                type(exc).__name__,
            )
            return
