"""Running a runtime's queue to the end with in-process workers, as the tests of actors do."""

from __future__ import annotations

from workers.runtime import Runtime, start_worker

#: How long a queue may take to empty. Far beyond what any test's messages need (a few seconds)
#: so that a shared machine's stall does not fail a test; a message that hangs still fails it.
IDLE_WITHIN_MS = 120_000


def run_until_idle(runtime: Runtime, threads: int = 2) -> None:
    """Work the runtime's queue with *threads* in-process workers until it is empty."""
    worker = start_worker(runtime, threads=threads)
    try:
        runtime.broker.join(runtime.settings.queue_name, timeout=IDLE_WITHIN_MS)
        worker.join()
    finally:
        worker.stop()
