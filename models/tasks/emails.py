"""The words of task reminders, escalations and the daily digest, in the reader's language.

Like the meeting emails they carry case codes only: the task's title, its agency, its due
moment in the district's zone, how many working days it is overdue, and a link to the task.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date

from models.core.emails import DATE_PATTERNS, RenderedEmail, format_local, unit_email, zone_label
from models.core.i18n import translations

__all__ = [
    "DigestLine",
    "TaskFacts",
    "ToldBefore",
    "digest_email",
    "escalation_email",
    "new_task_email",
    "task_reminder_email",
]


@dataclass(frozen=True)
class ToldBefore:
    """An earlier step of a task's ladder: its level, whom it went to and when it was written."""

    level: int
    recipient: str
    at: datetime


@dataclass(frozen=True)
class TaskFacts:
    """What an email says about one task, resolved to plain values (no child data)."""

    task_id: int
    title: str
    case_code: str | None
    agency_name: str
    due_at: datetime
    working_days_overdue: int
    url: str
    told_before: tuple[ToldBefore, ...] = ()
    #: When the report was received and when it was entered in the portal, for a task that
    #: was overdue already when its case was registered (None otherwise).
    registered_late: tuple[datetime, datetime] | None = None


@dataclass(frozen=True)
class DigestLine:
    """One overdue task of a digest."""

    agency_name: str
    case_code: str | None
    title: str
    due_at: datetime
    working_days_overdue: int


def _days(locale: str, n: int) -> str:
    if n <= 0:  # past its due moment, but not yet by a whole working day
        return translations(locale).gettext("less than a working day overdue")
    return translations(locale).ngettext(
        "%(num)d working day overdue", "%(num)d working days overdue", n
    ) % {"num": n}


def _task_rows(facts: TaskFacts, locale: str, zone: ZoneInfo) -> list[tuple[str, str]]:
    _ = translations(locale).gettext
    # The district's time in words ("Astana time, UTC+5"), not the zone's key (Asia/Almaty).
    said = zone_label(zone, locale, facts.due_at)
    return [
        (_("Task"), facts.title),
        (_("Case"), facts.case_code or "—"),
        (_("Responsible agency"), facts.agency_name),
        (_("Due"), f"{format_local(facts.due_at, zone, locale)} ({said})"),
    ]


def task_reminder_email(facts: TaskFacts, *, locale: str, zone: ZoneInfo) -> RenderedEmail:
    """Return the reminder of a task that falls due soon."""
    _ = translations(locale).gettext
    when = format_local(facts.due_at, zone, locale)
    subject = _("Task due %(when)s: %(case)s") % {"when": when, "case": facts.case_code or "—"}
    return unit_email(
        locale,
        subject,
        lead=_("A task of your agency falls due soon."),
        rows=_task_rows(facts, locale, zone),
        link_label=_("Open the task in the portal"),
        url=facts.url,
    )


def new_task_email(facts: TaskFacts, *, locale: str, zone: ZoneInfo) -> RenderedEmail:
    """Return the news of a task just given to the reader's agency (or to the reader)."""
    _ = translations(locale).gettext
    subject = _("New task for your agency: %(case)s, due %(when)s") % {
        "case": facts.case_code or "—",
        "when": format_local(facts.due_at, zone, locale),
    }
    return unit_email(
        locale,
        subject,
        lead=_("Your agency has been given a new task."),
        rows=_task_rows(facts, locale, zone),
        link_label=_("Open the task in the portal"),
        url=facts.url,
    )


def escalation_email(facts: TaskFacts, *, level: int, locale: str, zone: ZoneInfo) -> RenderedEmail:
    """Return escalation *level* of an overdue task: who was told before, and how late it is."""
    _ = translations(locale).gettext
    late = _days(locale, facts.working_days_overdue)
    subject = _("Overdue task, level %(level)d: %(case)s, %(late)s") % {
        "level": level,
        "case": facts.case_code or "—",
        "late": late,
    }
    rows = _task_rows(facts, locale, zone)
    rows.append((_("How late"), late))
    told = "; ".join(
        _("level %(level)d: %(who)s, %(when)s")
        % {"level": t.level, "who": t.recipient, "when": format_local(t.at, zone, locale)}
        for t in facts.told_before
    ) or _("nobody")
    rows.append((_("Told before"), told))
    if facts.registered_late is not None:
        received, entered = facts.registered_late
        rows.append(
            (
                _("Registered late"),
                _("the report was received %(received)s and entered in the portal %(entered)s")
                % {
                    "received": format_local(received, zone, locale),
                    "entered": format_local(entered, zone, locale),
                },
            )
        )
    return unit_email(
        locale,
        subject,
        lead=_("A task was not done by its due moment and is escalated to you."),
        rows=rows,
        link_label=_("Open the task in the portal"),
        url=facts.url,
    )


def digest_email(
    lines: Sequence[DigestLine], *, day: date, url: str, locale: str, zone: ZoneInfo
) -> RenderedEmail:
    """Return the daily digest of *lines*, grouped by agency in the order given."""
    tr = translations(locale)
    _ = tr.gettext
    subject = tr.ngettext(
        "%(num)d overdue task on %(day)s", "%(num)d overdue tasks on %(day)s", len(lines)
    ) % {
        "num": len(lines),
        "day": format_date(day, DATE_PATTERNS.get(locale, "d MMMM y"), locale=locale),
    }
    rows: list[tuple[str, str]] = []
    agency = None
    for line in lines:
        if line.agency_name != agency:
            agency = line.agency_name
            rows.append((_("Agency"), agency))
        due = format_local(line.due_at, zone, locale)
        value = _("%(title)s — %(late)s (due %(when)s)") % {
            "title": line.title,
            "late": _days(locale, line.working_days_overdue),
            "when": due,
        }
        rows.append((line.case_code or "—", value))
    return unit_email(
        locale,
        subject,
        lead=_("Tasks that are past their due moment, by responsible agency."),
        rows=rows,
        link_label=_("The overdue tasks in the portal"),
        url=url,
    )
