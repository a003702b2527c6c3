"""Jinja filters and globals: local times, labels in the reader's language."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, cast

from babel.support import NullTranslations
from flask import Flask, current_app, g
from flask_babel import get_locale, get_translations
from flask_login import current_user
from flask_wtf import FlaskForm

from models.cases.tables import CASE_STATUS_LABELS, CATEGORY_LABELS, SOURCE_LABELS
from models.core.audit import ACTION_LABELS
from models.core.emails import format_local
from models.core.i18n import LOCALE_NAMES, LOCALES, N_
from models.integrations.tokens import may_manage_integrations
from models.meetings.notices import ANSWER_LABELS, format_day_time, zone_label
from models.meetings.sittings import next_sitting, sitting_key
from models.meetings.tables import KIND_LABELS, Meeting
from models.outbox.notifications import NOTIFICATION_KIND_LABELS, NOTIFICATION_STATUS_LABELS
from models.overview.outbox import may_retry_emails
from models.people.access import may_manage_people
from models.people.administration import may_manage_agencies
from models.people.tables import Agency, Role, User
from models.tasks.calendar_changes import may_change_calendar
from models.tasks.escalation.ladder import RECIPIENT_LABELS
from models.tasks.rules import may_change_statutory_rules
from models.tasks.tables import (
    PERIOD_LABELS,
    RESPONSIBLE_LABELS,
    TASK_STATUS_LABELS,
    TRIGGER_LABELS,
)
from models.tasks.titles import statutory_titles, title_in
from web.context import csp_nonce, db_session, settings_of
from web.formhelpers import case_code_example

__all__ = ["current_locale", "init_templating", "task_title"]


def current_locale() -> str:
    """The request's interface language code; worked out once per request and locale."""
    locale = get_locale()
    kept = g.get("birge_locale")
    if kept is not None and kept[0] is locale:
        return str(kept[1])
    name = str(locale) if locale is not None else "ru"
    g.birge_locale = (locale, name)
    return name


def _translations() -> NullTranslations:
    """The request's catalog, looked up once per request and locale (``force_locale`` and
    ``refresh`` make a new locale object, so they are followed). Flask-Babel's own lookup
    formats the locale's name on every call: a page has hundreds of messages."""
    locale = get_locale()
    kept = g.get("birge_translations")
    if kept is not None and kept[0] is locale:
        return cast("NullTranslations", kept[1])
    translations = get_translations()
    g.birge_translations = (locale, translations)
    return translations


def _gettext(message: str) -> str:
    return str(_translations().ugettext(message))


def init_templating(app: Flask) -> None:
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
    )
    app.add_template_filter(_local_datetime, "local_datetime")
    app.add_template_filter(_local_span, "local_span")
    app.add_template_filter(_local_range, "local_range")
    app.add_template_filter(sitting_key, "sitting_key")
    app.add_template_filter(_kind_label, "kind_label")
    app.add_template_filter(_agency_name, "agency_name")
    app.add_template_filter(_first_error, "first_error")
    app.add_template_filter(_answer_label, "answer_label")
    app.add_template_global(_field_attrs, "field_attrs")
    app.add_template_global(case_code_example, "case_code_example")
    app.add_template_filter(_label, "label")
    app.add_template_filter(task_title, "task_title")
    app.context_processor(_globals)


def _local_datetime(moment: datetime) -> str:
    settings = settings_of(current_app)
    return format_day_time(moment, settings.zone, current_locale())


def _local_span(meeting: Meeting) -> str:
    """Format a meeting's start and end (a series': its next sitting's), the end's date only
    when it differs."""
    starts_at, ends_at = meeting.starts_at, meeting.ends_at
    if meeting.rrule:
        zone = settings_of(current_app).zone
        sitting = next_sitting(db_session(), meeting, zone, now=datetime.now(UTC))
        if sitting is not None:
            starts_at, ends_at = sitting.starts_at, sitting.ends_at
    return _local_range(starts_at, ends_at)


def _local_range(starts_at: datetime, ends_at: datetime) -> str:
    """Format a sitting's start and end, the end's date only when it differs."""
    settings = settings_of(current_app)
    start, end = starts_at.astimezone(settings.zone), ends_at.astimezone(settings.zone)
    locale = current_locale()
    if start.date() == end.date():
        return f"{format_day_time(start, settings.zone, locale)}–{end:%H:%M}"
    return (
        f"{format_local(start, settings.zone, locale)} – {format_local(end, settings.zone, locale)}"
    )


def _first_error(form: FlaskForm) -> str:
    """Return the id of the form's first field with an error, in the order shown."""
    for field in form:
        if field.errors:
            return str(field.id)
    return ""


def _field_attrs(field: Any, **attrs: Any) -> dict[str, Any]:
    """Return the attributes that tie a field to its hint and errors for screen readers, and
    move the focus to the first field in error of its form."""
    form = getattr(field, "_form", None)
    first_error = _first_error(form) if form is not None else ""
    described = [f"{field.id}-hint"] if field.description else []
    if field.errors:
        described.append(f"{field.id}-error")
        attrs["aria-invalid"] = "true"
        if field.id == first_error:
            attrs["autofocus"] = True
    if described:
        attrs["aria-describedby"] = " ".join(described)
    return attrs


def task_title(title: str) -> str:
    """Say a task's title in the reader's language: a statutory task's in Kazakh on a Kazakh
    page (the rules are read once per request and locale)."""
    locale = current_locale()
    kept = g.get("birge_task_titles")
    if kept is None or kept[0] != locale:
        kept = (locale, statutory_titles(db_session(), locale))
        g.birge_task_titles = kept
    return title_in(title, kept[1])


def _answer_label(answer: str | None) -> str:
    labels = {a.value: label for a, label in ANSWER_LABELS.items()}
    return _gettext(labels[answer]) if answer in labels else _gettext(N_("No answer yet"))


def _kind_label(kind: str) -> str:
    return _gettext(KIND_LABELS[kind]) if kind in KIND_LABELS else kind


_LABELS: dict[str, dict[str, str]] = {
    "source": SOURCE_LABELS,
    "category": CATEGORY_LABELS,
    "trigger": TRIGGER_LABELS,
    "responsible": RESPONSIBLE_LABELS,
    "period": PERIOD_LABELS,
    "recipient": RECIPIENT_LABELS,
    "task_status": TASK_STATUS_LABELS,
    "case_status": CASE_STATUS_LABELS,
    "action": ACTION_LABELS,
    "notification_kind": NOTIFICATION_KIND_LABELS,
    "notification_status": NOTIFICATION_STATUS_LABELS,
}


def _label(value: str, kind: str) -> str:
    """Translate a stored code (a source, a category...) into the reader's language."""
    labels = _LABELS[kind]
    return _gettext(labels[value]) if value in labels else value


def _agency_name(agency: Agency) -> str:
    return agency.name(current_locale())


#: What the menu, the administration tabs and the home page offer the signed-in user, each asked
#: of its rule's own predicate.
_MENU_ACCESS: dict[str, Callable[[User], bool]] = {
    "may_manage_people": may_manage_people,
    "may_manage_agencies": may_manage_agencies,
    "may_change_calendar": may_change_calendar,
    "may_change_statutory_rules": may_change_statutory_rules,
    "may_retry_emails": may_retry_emails,
    "may_manage_integrations": may_manage_integrations,
}


def _globals() -> dict[str, Any]:
    signed_in = current_user.is_authenticated
    return {
        "locales": [(code, LOCALE_NAMES[code]) for code in LOCALES],
        "current_locale": current_locale(),
        # An empty form renders the CSRF token of the language switch and of logout. It must not
        # read the request's body: error pages (a 413 above all) render this too.
        "csrf_form": FlaskForm(formdata=None),
        # "Astana time, UTC+5" in the reader's language, not the tz database's name.
        "district_timezone": zone_label(
            settings_of(current_app).zone, current_locale(), datetime.now(UTC)
        ),
        "csp_nonce": csp_nonce(),
        **{name: signed_in and allowed(current_user) for name, allowed in _MENU_ACCESS.items()},
        # Accounts above the districts see their own menu (web.oversight).
        "above_districts": signed_in and not Role(current_user.role).works_in_district,
    }
