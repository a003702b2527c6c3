"""The form a secretary fills in once a meeting is held."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from models.minutes.recording import (
    MAX_DECISION_LENGTH,
    MAX_MINUTES_LENGTH,
    MAX_WORKING_DAYS,
    DecisionDraft,
)
from models.minutes.tables import DueKind
from web.forms import BirgeForm

__all__ = ["DECISION_ROWS", "DecisionForm", "MinutesForm"]

#: Blank decision rows the page offers; a row left wholly blank is no decision.
DECISION_ROWS = 6


class _Checkboxes(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class DecisionForm(Form):
    """One decision: a row of the minutes form (no CSRF token of its own)."""

    class Meta:
        # A subform gets no meta from its parent: speak the page's language like BirgeForm.
        get_translations = BirgeForm.Meta.get_translations

    text = StringField(
        _l("Decision"),
        validators=[Optional(), Length(max=MAX_DECISION_LENGTH)],
        description=_l("No children's names here: write the case code instead."),
    )
    agency = SelectField(_l("Responsible agency"), default="")
    assignee = SelectField(_l("Person (optional)"), default="")
    due_kind = RadioField(
        _l("Due"),
        choices=[
            SelectChoice(DueKind.WORKING_DAYS.value, _l("in working days after the meeting")),
            SelectChoice(DueKind.DATE.value, _l("on a date")),
        ],
        default=DueKind.WORKING_DAYS.value,
        validators=[Optional()],
    )
    due_days = IntegerField(
        _l("Working days"),
        validators=[Optional(), NumberRange(min=1, max=MAX_WORKING_DAYS)],
    )
    due_date = DateField(_l("Date"), validators=[Optional()])

    def is_blank(self) -> bool:
        """Tell whether nothing of the row is filled in (the deadline's kind has a default):
        a row with an agency or a deadline but no text is a decision missing its text."""
        filled = (self.text.data or "").strip(), self.agency.data, self.assignee.data
        return (
            not any(filled)
            and self.due_days.raw_data in (None, [], [""])
            and (self.due_date.raw_data in (None, [], [""]))
        )

    def draft(self) -> DecisionDraft:
        return DecisionDraft(
            text=self.text.data or "",
            agency_id=_id(self.agency.data) if not self.agency.errors else None,
            assignee_id=_id(self.assignee.data) if not self.assignee.errors else None,
            due_kind=self.due_kind.data or "",
            due_days=self.due_days.data,
            due_date=self.due_date.data,
        )


def _id(value: str | None) -> int | None:
    """Return the id a choice names; None for none or for a value that is no id at all."""
    return int(value) if value and value.isdigit() else None


class MinutesForm(BirgeForm):
    people = _Checkboxes(_l("Who attended"), coerce=int)
    agencies = _Checkboxes(_l("Agencies represented by someone without an account"), coerce=int)
    text = TextAreaField(
        _l("Minutes"),
        validators=[InputRequired(), Length(max=MAX_MINUTES_LENGTH)],
        description=_l("No children's names here: write the case code instead."),
    )
    decisions = FieldList(FormField(DecisionForm), min_entries=DECISION_ROWS, max_entries=50)
