from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    Optional,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from models.core.text import date_in_range
from models.meetings.tables import KIND_LABELS
from web.formhelpers import CaseCodeFormat
from web.forms import BirgeForm


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _upper(value: Any) -> Any:
    return value.strip().upper() if isinstance(value, str) else value


#: The "repeats" choices; "monthly" is the rule the first sitting's date suggests.
REPEAT_ONCE, REPEAT_MONTHLY, REPEAT_RULE = "once", "monthly", "rule"


class TimesMixin:
    """A local date with start and end times, read in the district's zone."""

    date: Any
    start_time: Any
    end_time: Any

    def validate_end_time(self, field: Any) -> None:
        if self.start_time.data and field.data and field.data <= self.start_time.data:
            raise ValidationError(_l("The meeting must end after it starts."))

    def times(self, zone: ZoneInfo) -> tuple[datetime | None, datetime | None]:
        """Return start and end in UTC from the local date and times (None if unreadable)."""
        if not (self.date.data and self.start_time.data and self.end_time.data):
            return None, None
        if not date_in_range(self.date.data):
            return None, None  # the form says why, at the field
        start = datetime.combine(self.date.data, self.start_time.data, tzinfo=zone)
        end = datetime.combine(self.date.data, self.end_time.data, tzinfo=zone)
        return start.astimezone(UTC), end.astimezone(UTC)


class MeetingForm(TimesMixin, BirgeForm):
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
        filters=[_upper],
        validators=[
            Optional(),
            CaseCodeFormat(),
        ],
        description=_l(
            "Needed for a case conference and a joint inspection. Meetings on a case are "
            "scheduled by the agencies working on it (need to know), and by the chair and the "
            "unit's secretary, who work for the whole district."
        ),
    )
    address = StringField(
        _l("Address to inspect"),
        validators=[Length(max=300)],
        description=_l("Joint inspections only. Shown in the portal, never sent by email."),
    )
    school = SelectField(
        _l("School"),
        coerce=lambda v: int(v) if v not in (None, "") else None,
        validate_choice=False,
        description=_l("Prevention councils only: the school whose council it is."),
    )
    repeat = SelectField(
        _l("Repeats"),
        choices=[
            SelectChoice(REPEAT_MONTHLY, _l("Every month on the same weekday (council)")),
            SelectChoice(REPEAT_ONCE, _l("Once")),
            SelectChoice(REPEAT_RULE, _l("By the rule below")),
        ],
        default=REPEAT_MONTHLY,
        description=_l(
            "Prevention councils only. A date on the last Thursday repeats on every last "
            "Thursday; other kinds take place once."
        ),
    )
    rrule = StringField(
        _l("Repetition rule (RRULE)"),
        filters=[_upper],
        validators=[Length(max=300)],
        description=_l("For example FREQ=MONTHLY;BYDAY=-1TH: the last Thursday of every month."),
    )
    agencies = MultiCheckboxField(_l("Participating agencies"), coerce=int)

    def validate_rrule(self, field: Any) -> None:
        if self.repeat.data == REPEAT_RULE and not field.data:
            raise ValidationError(_l("Write the rule, or choose another repetition."))


class RescheduleForm(TimesMixin, BirgeForm):
    date = DateField(_l("Date"), validators=[InputRequired()])
    start_time = TimeField(_l("Starts"), validators=[InputRequired()])
    end_time = TimeField(_l("Ends"), validators=[InputRequired()])
    location = StringField(_l("Place"), validators=[Length(max=300)])


class SittingForm(TimesMixin, BirgeForm):
    original = HiddenField(validators=[DataRequired()])
    date = DateField(_l("Date"), validators=[InputRequired()])
    start_time = TimeField(_l("Starts"), validators=[InputRequired()])
    end_time = TimeField(_l("Ends"), validators=[InputRequired()])


class EndSeriesForm(BirgeForm):
    date = DateField(_l("No sittings from"), validators=[InputRequired()])


class ParticipantsForm(BirgeForm):
    agencies = MultiCheckboxField(_l("Participating agencies"), coerce=int)


class OutcomeForm(BirgeForm):
    act_number = StringField(_l("Act number"), validators=[DataRequired(), Length(max=50)])
    act_date = DateField(_l("Date of the act"), validators=[InputRequired()])
    note = TextAreaField(
        _l("Note"),
        validators=[Length(max=1000)],
        description=_l("Kept in the portal only. No children's names: the case code suffices."),
    )


class ConfirmForm(BirgeForm):
    """A button that confirms an action; the CSRF token is its only field."""
