from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, FieldList, FormField, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange

from models.tasks.escalation.ladder import RECIPIENT_LABELS
from models.tasks.tables import PERIOD_LABELS, RESPONSIBLE_LABELS
from web.forms import BirgeForm


class RuleForm(BirgeForm):
    responsible = SelectField(
        _l("Responsible"),
        choices=[SelectChoice(k, _l(v)) for k, v in RESPONSIBLE_LABELS.items()],
        validators=[InputRequired()],
    )
    period_kind = SelectField(
        _l("Period"),
        choices=[SelectChoice(k, _l(v)) for k, v in PERIOD_LABELS.items()],
        validators=[InputRequired()],
    )
    period_days = IntegerField(_l("Days"), default=0, validators=[NumberRange(min=0, max=365)])
    legal_source = StringField(_l("Legal source"), validators=[InputRequired(), Length(max=300)])
    active = BooleanField(_l("Active"))


class StepForm(BirgeForm):
    class Meta:
        csrf = False

    working_days = IntegerField(
        _l("Working days from the due moment"), validators=[NumberRange(min=-10, max=10)]
    )
    recipient = SelectField(
        _l("To"),
        choices=[SelectChoice(k, _l(v)) for k, v in RECIPIENT_LABELS.items()],
        validators=[InputRequired()],
    )


class PolicyForm(BirgeForm):
    steps = FieldList(FormField(StepForm), min_entries=1, max_entries=6)
