from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, StringField, TextAreaField, TimeField
from wtforms.validators import InputRequired, Length, Optional

from web.formhelpers import CaseCodeFormat
from web.forms import BirgeForm

_NOBODY = -1


class TaskForm(BirgeForm):
    title = StringField(
        _l("Task"),
        validators=[InputRequired(), Length(max=300)],
        description=_l("No children's names here: write the case code instead."),
    )
    case_code = StringField(
        _l("Case code"),
        validators=[
            Optional(),
            CaseCodeFormat(),
        ],
    )
    agency = SelectField(_l("Responsible agency"), coerce=int, validators=[InputRequired()])
    due_date = DateField(_l("Due on"), validators=[InputRequired()])
    due_time = TimeField(_l("at"), validators=[InputRequired()])

    def has_due_at(self) -> bool:
        return self.due_date.data is not None and self.due_time.data is not None

    def due_at(self, zone: ZoneInfo) -> datetime:
        assert self.due_date.data and self.due_time.data
        return datetime.combine(self.due_date.data, self.due_time.data, tzinfo=zone).astimezone(UTC)


class CompleteForm(BirgeForm):
    note = TextAreaField(_l("What was done"), validators=[Length(max=1000)])


class CancelForm(BirgeForm):
    reason = TextAreaField(
        _l("Reason for cancelling"), validators=[InputRequired(), Length(max=500)]
    )


class ReassignForm(BirgeForm):
    agency = SelectField(_l("Responsible agency"), coerce=int, validators=[InputRequired()])
    assignee = SelectField(_l("Person"), coerce=int, validators=[InputRequired()])

    def assignee_id(self) -> int | None:
        return None if self.assignee.data in (None, _NOBODY) else self.assignee.data


NOBODY = _NOBODY
