"""Recurring sittings (a school's prevention council): RRULEs in local time, pure.

A series is its first sitting's local start, a length and an RFC 5545 RRULE without DTSTART,
e.g. ``FREQ=MONTHLY;BYDAY=-1TH`` ("the last Thursday of every month"). Rules are expanded in
the district's zone, so that 15:00 stays 15:00 whatever the offset does.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rrulestr

__all__ = [
    "ALLOWED_FREQUENCIES",
    "RecurrenceError",
    "end_rule_before",
    "monthly_rule_like",
    "normalize_rule",
    "occurrences",
]

#: Councils meet weekly at most; a daily or finer rule is a typing slip, and an impossible
#: one of them would make the "does it ever occur" check slow.
ALLOWED_FREQUENCIES = ("WEEKLY", "MONTHLY", "YEARLY")
_ALLOWED_PARTS = {
    "FREQ",
    "INTERVAL",
    "BYDAY",
    "BYMONTHDAY",
    "BYMONTH",
    "BYSETPOS",
    "BYWEEKNO",
    "COUNT",
    "UNTIL",
    "WKST",
}
_DAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def N_(message: str) -> str:
    """Mark *message* for translation; the caller translates it (this module has no locale)."""
    return message


class RecurrenceError(ValueError):
    """The rule cannot be used; ``str()`` is an English message id."""


def _parts(rule: str) -> dict[str, str]:
    text = rule.strip().upper()
    if text.startswith("RRULE:"):
        text = text[len("RRULE:") :]
    parts: dict[str, str] = {}
    for item in filter(None, text.split(";")):
        name, sep, value = item.partition("=")
        if not sep or not value or name in parts:
            raise RecurrenceError(N_("The repetition rule is not written correctly."))
        parts[name] = value
    return parts


def _join(parts: dict[str, str]) -> str:
    order = ["FREQ", *sorted(k for k in parts if k != "FREQ")]
    return ";".join(f"{k}={parts[k]}" for k in order)


def _rule(rule: str, first_start: datetime) -> rrule:
    try:
        parsed = rrulestr(rule, dtstart=first_start)
    except (ValueError, TypeError) as exc:
        raise RecurrenceError(N_("The repetition rule is not written correctly.")) from exc
    if not isinstance(parsed, rrule):
        raise RecurrenceError(N_("The repetition rule is not written correctly."))
    return parsed


def normalize_rule(rule: str, first_start: datetime) -> str:
    """Return *rule* in canonical form, or raise :class:`RecurrenceError`.

    *first_start* is the first sitting's aware local start. Refused are malformed rules,
    frequencies other than :data:`ALLOWED_FREQUENCIES`, and rules under which no sitting ever
    takes place (the first sitting itself must be one of the rule's).
    """
    if first_start.tzinfo is None:
        raise ValueError("first_start must be timezone-aware")
    parts = _parts(rule)
    if not parts:
        raise RecurrenceError(N_("The repetition rule is not written correctly."))
    if parts.get("FREQ") not in ALLOWED_FREQUENCIES or not set(parts) <= _ALLOWED_PARTS:
        raise RecurrenceError(N_("Repeat weekly, monthly or yearly."))
    interval = parts.get("INTERVAL", "1")
    if not interval.isdigit() or not 1 <= int(interval) <= 12:
        raise RecurrenceError(N_("The repetition rule is not written correctly."))
    if "COUNT" in parts and "UNTIL" in parts:
        raise RecurrenceError(N_("The repetition rule is not written correctly."))
    normalized = _join(parts)
    first = _rule(normalized, first_start).after(first_start, inc=True)
    if first is None:
        raise RecurrenceError(N_("No sitting ever takes place under this rule."))
    if first != first_start:
        raise RecurrenceError(N_("The first sitting's date does not follow the rule."))
    return normalized


def monthly_rule_like(first_start: datetime) -> str:
    """Return the monthly rule that *first_start* suggests: "the last Thursday" when it is
    the month's last such weekday, otherwise "the n-th Thursday"."""
    day = first_start.date()
    code = _DAY_CODES[day.weekday()]
    if (day + timedelta(days=7)).month != day.month:
        return f"FREQ=MONTHLY;BYDAY=-1{code}"
    return f"FREQ=MONTHLY;BYDAY={(day.day - 1) // 7 + 1}{code}"


def end_rule_before(rule: str, first_start: datetime, last_day: date, zone: ZoneInfo) -> str:
    """Return *rule* ended so that no sitting falls on *last_day* or later (local dates).

    Raises :class:`RecurrenceError` when that would leave no sitting at all.
    """
    parts = _parts(rule)
    parts.pop("COUNT", None)
    until = datetime.combine(last_day, time(0), tzinfo=zone) - timedelta(seconds=1)
    if until < first_start:
        raise RecurrenceError(N_("The series cannot end before its first sitting."))
    old_until = parts.get("UNTIL")
    parts["UNTIL"] = until.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    if old_until is not None and old_until < parts["UNTIL"]:
        parts["UNTIL"] = old_until  # ending later than it already ends changes nothing
    return _join(parts)


def occurrences(
    rule: str, first_start: datetime, *, after: datetime, before: datetime
) -> Iterator[datetime]:
    """Yield the rule's local starts with ``after <= start < before`` (aware datetimes)."""
    for start in _rule(rule, first_start):
        if start >= before:
            return
        if start >= after:
            yield start
