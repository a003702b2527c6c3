"""Time the working-day arithmetic that deadline recomputation and task lists lean on.

    .venv/bin/python bench/workdays.py [--calls 100000]

Prints, per operation, the time for ``--calls`` calls on receipts spread over 2024–2027 with
a few overrides, beside its ceiling: recomputing 100,000 open tasks after a decree override
must spend under 2 s in calendar arithmetic (it runs inside the administrator's request).
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from calendars.workdays import Period, PeriodKind, WorkCalendar

CEILING_SECONDS = 2.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=100_000)
    args = parser.parse_args()

    calendar = WorkCalendar(
        zone=ZoneInfo("Asia/Almaty"),
        days_off=frozenset({date(2026, 12, 18), date(2025, 7, 4)}),
        working_days=frozenset({date(2026, 12, 19)}),
    )
    rng = random.Random(6)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    moments = [
        start + timedelta(minutes=rng.randrange(4 * 365 * 24 * 60)) for _ in range(args.calls)
    ]
    later = [m + timedelta(days=rng.randrange(1, 30)) for m in moments]
    operations: dict[str, Callable[[int], object]] = {
        "due, 1 working day": lambda i: calendar.due(
            moments[i], Period(PeriodKind.WORKING_DAYS, 1)
        ),
        "due, 10 working days": lambda i: calendar.due(
            moments[i], Period(PeriodKind.WORKING_DAYS, 10)
        ),
        "due, 7 calendar days": lambda i: calendar.due(
            moments[i], Period(PeriodKind.CALENDAR_DAYS, 7)
        ),
        "due, immediately": lambda i: calendar.due(moments[i], Period(PeriodKind.IMMEDIATELY)),
        "add_working_days(-1)": lambda i: calendar.add_working_days(moments[i], -1),
        "working_days_between (<30 days)": lambda i: calendar.working_days_between(
            moments[i], later[i]
        ),
        "next_working_moment": lambda i: calendar.next_working_moment(moments[i]),
    }
    print(f"{args.calls} calls each; ceiling {CEILING_SECONDS:.1f} s per 100,000 calls")
    for name, operation in operations.items():
        began = time.perf_counter()
        for i in range(args.calls):
            operation(i)
        elapsed = time.perf_counter() - began
        per_100k = elapsed * 100_000 / args.calls
        verdict = "within" if per_100k <= CEILING_SECONDS else "OVER"
        print(
            f"  {name:<34} {elapsed:7.3f} s  ({per_100k:6.3f} s per 100,000; {verdict} the ceiling)"
        )


if __name__ == "__main__":
    main()
