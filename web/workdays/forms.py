from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError

from calendars.workdays import Period, PeriodKind
from models.workdays.calendar import FIRST_YEAR, LAST_YEAR, MAX_NOTE_LENGTH, OverrideKind
from web.forms import BirgeForm

PERIOD_LABELS = {
    PeriodKind.WORKING_DAYS: _l("working days"),
    PeriodKind.CALENDAR_DAYS: _l("calendar days"),
    PeriodKind.IMMEDIATELY: _l("immediately (1 hour)"),
}
MAX_DAYS = 366


def _year_in_range(_form: Any, field: Any) -> None:
    if field.data is not None and not FIRST_YEAR <= field.data.year <= LAST_YEAR:
        raise ValidationError(_l("Choose a date between the years 2000 and 2100."))


class CalculatorForm(BirgeForm):
    """Received date and time and a period; read-only, so submitted by GET without a token."""

    class Meta:
        csrf = False

    received_date = DateField(
        _l("Received on"),
        validators=[InputRequired(_l("Give the date of receipt.")), _year_in_range],
    )
    received_time = TimeField(
        _l("Received at"), validators=[InputRequired(_l("Give the time of receipt."))]
    )
    kind = SelectField(
        _l("Period"),
        choices=[SelectChoice(kind.value, label) for kind, label in PERIOD_LABELS.items()],
        validators=[InputRequired()],
    )
    days = IntegerField(
        _l("Number of days"),
        validators=[
            Optional(),
            NumberRange(1, MAX_DAYS, _l("Give a number of days from 1 to 366.")),
        ],
    )

    def validate(self, extra_validators: Any = None) -> bool:
        valid = bool(super().validate(extra_validators))
        # Optional() ends the field's own validation on an empty value, so this check is here.
        if self.kind.data != PeriodKind.IMMEDIATELY and self.days.data is None:
            if not self.days.errors:
                self.days.errors = [_l("Give the number of days.")]
            return False
        return valid

    def received_at(self, zone: ZoneInfo) -> datetime:
        """Return the moment of receipt (UTC) from the local date and time entered."""
        assert self.received_date.data and self.received_time.data
        local = datetime.combine(self.received_date.data, self.received_time.data, tzinfo=zone)
        return local.astimezone(UTC)

    def period(self) -> Period:
        kind = PeriodKind(self.kind.data)
        return Period(kind, 0 if kind is PeriodKind.IMMEDIATELY else int(self.days.data or 0))


class OverrideForm(BirgeForm):
    day = DateField(_l("Date"), validators=[InputRequired(_l("Give the date.")), _year_in_range])
    kind = RadioField(
        _l("The date becomes"),
        choices=[
            SelectChoice(OverrideKind.DAY_OFF.value, _l("a day off")),
            SelectChoice(OverrideKind.WORKING_DAY.value, _l("a working day")),
        ],
        validators=[InputRequired(_l("Choose a day off or a working day."))],
    )
    note = StringField(
        _l("Decree"),
        validators=[
            InputRequired(_l("Say which decree makes this change.")),
            Length(
                max=MAX_NOTE_LENGTH, message=_l("The note is too long (at most 200 characters).")
            ),
        ],
        description=_l("For example: Government decree of 20 November 2026 No. 1000."),
    )
    # Shown only after the date was refused as past: the administrator confirms the decree.
    confirm_past = BooleanField(_l("Yes, add this past date: the decree is right."))
