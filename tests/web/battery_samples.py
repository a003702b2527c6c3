"""Valid values the route battery (``test_battery.py``) needs for routes it cannot guess.

The battery walks every rule of ``app.url_map`` by itself. For each path parameter it needs one
*valid* value (so that it can then spoil the form fields of a page that exists), and for a
POST-only route it needs the names of the fields to spoil. When you add a route with a new path
parameter or a POST-only form, add a line here; nothing else in the battery changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tests.factories import District


@dataclass(frozen=True)
class World:
    """The rows the battery's requests point at."""

    district: District
    meeting_id: int
    feed_token: str
    admin_id: int


#: A valid value for each path parameter name, from the battery's world. Unknown names get "1".
PATH_VALUES: dict[str, Callable[[World], str]] = {
    "meeting_id": lambda w: str(w.meeting_id),
    "user_id": lambda w: str(w.district.police_head.id),
    "token": lambda w: w.feed_token,
    "filename": lambda w: "birge.css",
    "agency_id": lambda w: str(w.district.police.id),
    "code": lambda w: w.district.case.code,
    "day": lambda w: "2026-12-31",
    "value": lambda w: "accepted",  # an answer to an invitation
}


def _meeting_form(w: World) -> dict[str, str | list[str]]:
    day = (datetime.now(UTC) + timedelta(days=6)).date().isoformat()
    return {
        "kind": "case_conference",
        "title": "Индивидуальный план работы",
        "date": day,
        "start_time": "10:00",
        "end_time": "11:00",
        "location": "Зал заседаний",
        "case_code": "D-2026-0042",
        "agencies": [str(w.district.police.id)],
    }


#: Valid form fields per endpoint (besides ``csrf_token``), spoiled one at a time. Fields of a
#: page the battery can GET are also read from its HTML; these fill in valid values for them.
FORM_VALUES: dict[str, Callable[[World], dict[str, str | list[str]]]] = {
    "auth.login": lambda w: {"email": "nobody@birge.test", "password": "not it"},
    "auth.set_locale": lambda w: {"locale": "ru", "next": "/"},
    "auth.sign_out_everywhere": lambda w: {"next": "/"},
    "meetings.new_meeting": _meeting_form,
    "auth.change_password_view": lambda w: {
        "current": "correct horse battery",
        "new": "a much better passphrase",
        "repeat": "a much better passphrase",
    },
    "auth.account": lambda w: {"email_locale": "kk"},
    "auth.forgot_password": lambda w: {"email": "nobody@birge.test"},
    "admin.apply_import_view": lambda w: {
        "kind": "staff",
        "content": "email,full_name,role,agency\nnew@police.test,Новый,member,police\n",
    },
    "calendars.rotate": lambda w: {"confirm": "yes"},
    "cases.set_flag": lambda w: {"flag": "signs_of_offence"},
    "cases.close": lambda w: {"reason": "Причины устранены"},
    "cases.choose_lead": lambda w: {"lead_agency": str(w.district.police.id)},
    "tasks.complete": lambda w: {"complete-note": "Сделано"},
    "tasks.cancel": lambda w: {"cancel-reason": "Не требуется"},
    "meetings.answer": lambda w: {"back": "home"},
    "tasks.reassign": lambda w: {"agency": str(w.district.police.id), "assignee": "0"},
}
