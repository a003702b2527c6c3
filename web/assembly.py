"""Where the portal is assembled with the workers of its process.

The only web module that imports ``workers`` (an import-linter contract in pyproject.toml):
the app factory builds its runtime here, ``birge run``/``worker``/``scheduler`` build and run
one here, and the published-feed middleware and ``birge feed-url --rotate`` reach the feeds
directory here. Web code that only *uses* the runtime (nudging the workers, /healthz,
/metrics) calls methods of the :class:`Runtime` the app keeps (:func:`web.runtime`).
"""

from __future__ import annotations

from collections.abc import Iterable

from models.core.settings import Settings
from workers.feed_store import FeedFile, FeedStore
from workers.runtime import (
    Runtime,
    build_runtime,
    run_scheduler,
    start_worker,
    tick,
    worker_engine,
)

__all__ = [
    "FeedFile",
    "FeedStore",
    "Runtime",
    "build_runtime",
    "remove_published_feeds",
    "run_scheduler",
    "start_worker",
    "tick",
    "worker_engine",
]


def remove_published_feeds(settings: Settings, tokens: Iterable[str]) -> int:
    """Remove the published files of the revoked feed *tokens* (once the revocation is
    committed); return how many existed."""
    return FeedStore(settings.feeds_path).remove(tokens)
