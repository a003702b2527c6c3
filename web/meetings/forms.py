from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, SelectMultipleField, StringField, TimeField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from models.cases import CASE_CODE_PATTERN
from models.i18n import KIND_LABELS
from web.forms import BirgeForm


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class MeetingForm(BirgeForm):
    kind = SelectField(
        _l("Kind"),
        choices=[SelectChoice(kind, _l(label)) for kind, label in KIND_LABELS.items()],
        validators=[DataRequired()],
    )
    title = StringField(
        _l("Title"),
        validators=[DataRequired(), Length(max=200)],
        description=_l("No children's names here: write the case code instead."),
    )
    date = DateField(_l("Date"), validators=[InputRequired()])
    start_time = TimeField(_l("Starts"), validators=[InputRequired()])
    end_time = TimeField(_l("Ends"), validators=[InputRequired()])
    location = StringField(_l("Place"), validators=[Length(max=300)])
    case_code = StringField(
        _l("Case code"),
        validators=[
            Optional(),
            Regexp(CASE_CODE_PATTERN.pattern, message=_l("A case code looks like D-2026-0042.")),
        ],
    )
    agencies = MultiCheckboxField(_l("Participating agencies"), coerce=int)

    def validate_end_time(self, field: Any) -> None:
        if self.start_time.data and field.data and field.data <= self.start_time.data:
            raise ValidationError(_l("The meeting must end after it starts."))

    def times(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """Return start and end in UTC from the local date and times entered."""
        assert self.date.data and self.start_time.data and self.end_time.data
        start = datetime.combine(self.date.data, self.start_time.data, tzinfo=zone)
        end = datetime.combine(self.date.data, self.end_time.data, tzinfo=zone)
        return start.astimezone(UTC), end.astimezone(UTC)
