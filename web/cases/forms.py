from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField, TimeField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from models.cases.tables import CATEGORY_LABELS, SOURCE_LABELS
from models.casework.restricted import RestrictedDetails
from web.forms import BirgeForm
from web.meetings.forms import MultiCheckboxField


class RestrictedForm(BirgeForm):
    child_name = StringField(_l("Child's name"), validators=[Length(max=200)])
    birth_date = DateField(_l("Birth date"), validators=[Optional()])
    address = StringField(_l("Address"), validators=[Length(max=300)])
    school_class = StringField(_l("School and class"), validators=[Length(max=200)])
    notes = TextAreaField(_l("Notes"), validators=[Length(max=2000)])

    def details(self) -> RestrictedDetails:
        return RestrictedDetails(
            child_name=(self.child_name.data or "").strip(),
            birth_date=self.birth_date.data,
            address=(self.address.data or "").strip(),
            school_class=(self.school_class.data or "").strip(),
            notes=(self.notes.data or "").strip(),
        )


class CaseForm(RestrictedForm):
    received_date = DateField(_l("Report received on"), validators=[InputRequired()])
    received_time = TimeField(_l("at"), validators=[InputRequired()])
    # An empty first option: the person chooses; nothing is assumed for them.
    source = SelectField(
        _l("Source"),
        choices=[SelectChoice("", _l("— choose —"))]
        + [SelectChoice(k, _l(v)) for k, v in SOURCE_LABELS.items()],
        validators=[InputRequired(_l("Choose how the report was received."))],
    )
    category = SelectField(
        _l("Category"),
        choices=[SelectChoice("", _l("— choose —"))]
        + [SelectChoice(k, _l(v)) for k, v in CATEGORY_LABELS.items()],
        validators=[InputRequired(_l("Choose the category."))],
    )
    receiving_agency = SelectField(_l("Receiving agency"), coerce=int, validators=[InputRequired()])
    lead_agency = SelectField(_l("Lead agency"), coerce=int, validators=[InputRequired()])
    agencies = MultiCheckboxField(_l("Participating agencies"), coerce=int)
    signs_of_offence = BooleanField(_l("Signs of an offence"))
    child_removed = BooleanField(_l("Child removed from the family"))
    confirm_late = BooleanField(_l("Register it anyway: the statute counts from the receipt"))

    def received_at(self, zone: ZoneInfo) -> datetime:
        assert self.received_date.data and self.received_time.data
        local = datetime.combine(self.received_date.data, self.received_time.data, tzinfo=zone)
        return local.astimezone(UTC)


class CloseForm(BirgeForm):
    reason = TextAreaField(_l("Reason for closing"), validators=[Length(max=500)])


class LeadAgencyForm(BirgeForm):
    lead_agency = SelectField(_l("New lead agency"), coerce=int, validators=[InputRequired()])
