"""What typed text and typed dates may hold: the one place input sanitation lives.

Forms call these through validators in ``web/forms.py``; domain operations call them again, so
that the CLI, the API and workers get the same rules. Outgoing channels (emails, iCalendar) go
through :func:`outgoing_text`, which also strips the bidi controls that can make a title read
backwards in a recipient's mail client or calendar.
"""

from __future__ import annotations

import re
from datetime import date, datetime

from models.core.i18n import N_

__all__ = [
    "BIDI_CONTROLS",
    "CONTROL_CHARACTERS_MESSAGE",
    "EARLIEST_YEAR",
    "LATEST_YEAR",
    "date_in_range",
    "has_forbidden_controls",
    "is_email_address",
    "one_line",
    "outgoing_text",
]

#: Dates typed into the portal must fall in these years (inclusive); anything else is a typo,
#: and years such as 0001 or 9999 overflow once converted to UTC or written to a calendar.
EARLIEST_YEAR = 2000
LATEST_YEAR = 2100

#: What a form, the CSV import, the command line or the API says of a value holding them.
CONTROL_CHARACTERS_MESSAGE = N_("This field holds characters that are not allowed.")

#: A multi-line field may hold line breaks and tabs; every other C0 or C1 control, DEL, and the
#: Unicode line and paragraph separators (which Python's splitlines and some mail clients take
#: for line breaks) are refused.
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_CONTROLS_BUT_LINE_BREAKS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")
#: Embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069) and the marks LRM/RLM/ALM.
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
_BIDI = re.compile(f"[{BIDI_CONTROLS}]")
#: An email address: something, one @, a domain with a dot; no spaces. Delivery proves the rest.
_EMAIL_ADDRESS = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
#: The longest address SMTP carries (RFC 5321), and the length of every address column.
_EMAIL_MAX_LENGTH = 254


def has_forbidden_controls(value: str, *, multiline: bool = False) -> bool:
    """Tell whether *value* holds a control character (NUL, ESC, C1 ...) it may not hold.

    A *multiline* field may hold line breaks and tabs; a one-line field holds none.
    """
    pattern = _CONTROLS_BUT_LINE_BREAKS if multiline else _CONTROLS
    return pattern.search(value) is not None


def outgoing_text(value: str) -> str:
    """Return *value* fit for an email or a calendar: no bidi controls, no control characters.

    Rows written before the rules existed may still hold controls; dropping them here keeps one
    bad record from making a whole feed invalid.
    """
    value = _BIDI.sub("", value)
    return _CONTROLS_BUT_LINE_BREAKS.sub("", value)


def one_line(value: str) -> str:
    """Return *value* fit for a one-line place of an email or a calendar (a header, a calendar's
    name): what :func:`outgoing_text` gives, with line breaks and tabs turned into spaces."""
    return " ".join(_CONTROLS.sub(" ", outgoing_text(value)).split())


def is_email_address(value: str) -> bool:
    """Tell whether *value* (already stripped) is an email address the portal accepts."""
    return (
        len(value) <= _EMAIL_MAX_LENGTH
        and _EMAIL_ADDRESS.fullmatch(value) is not None
        and not has_forbidden_controls(value)
    )


def date_in_range(value: date | datetime) -> bool:
    """Tell whether *value* falls between :data:`EARLIEST_YEAR` and :data:`LATEST_YEAR`."""
    return EARLIEST_YEAR <= value.year <= LATEST_YEAR
