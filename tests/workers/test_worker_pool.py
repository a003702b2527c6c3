"""A worker process's database pool holds a connection for everything that runs at once."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.pool import QueuePool

from models.core.settings import Settings
from workers.runtime import worker_engine


def test_a_worker_with_many_threads_never_waits_for_a_connection_while_its_claims_lapse(
    make_settings: Callable[..., Settings], postgres_only_url: str
) -> None:
    """Each thread holds one connection for its batch, a feed build a second one for its
    claim's renewals, and the lease keeper one: with the pool's default five, sixteen threads
    waited for connections past their leases and sent emails twice (the benchmark saw 40)."""
    engine = worker_engine(make_settings(postgres_only_url), threads=16)
    try:
        pool = engine.pool
        assert isinstance(pool, QueuePool)
        assert pool.size() >= 2 * 16 + 1
    finally:
        engine.dispose()
