"""Nudge the workers after a commit; a lost nudge loses nothing, the scheduler's tick resends."""

from __future__ import annotations

from collections.abc import Iterable

from flask import current_app

from web.context import runtime

__all__ = ["nudge_workers"]


def nudge_workers(notification_ids: Iterable[int]) -> None:
    """Ask the workers to send these committed notifications (:meth:`Runtime.nudge`: a
    broker that is down only delays them until the tick)."""
    runtime(current_app).nudge(notification_ids)
