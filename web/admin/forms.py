from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from models.core.i18n import DEFAULT_LOCALE
from models.people.imports import ImportKind
from models.people.tables import AgencyKind, Role
from web.auth.forms import LANGUAGE_CHOICES
from web.forms import BirgeForm
from web.meetings.forms import MultiCheckboxField

ROLE_LABELS = {
    Role.ADMIN.value: _l("Administrator"),
    Role.CHAIR.value: _l("Chair (deputy akim)"),
    Role.COORDINATOR.value: _l("Coordinator"),
    Role.MEMBER.value: _l("Member"),
}

AGENCY_KIND_LABELS = {
    AgencyKind.AKIMAT.value: _l("Akimat"),
    AgencyKind.EDUCATION.value: _l("Education department"),
    AgencyKind.SCHOOL.value: _l("School"),
    AgencyKind.POLICE.value: _l("Police"),
    AgencyKind.HEALTH.value: _l("Health"),
    AgencyKind.SOCIAL_PROTECTION.value: _l("Social protection"),
    AgencyKind.KDNZP.value: _l("Juvenile affairs commission"),
    AgencyKind.GUARDIANSHIP.value: _l("Guardianship body"),
    AgencyKind.CENTER.value: _l("Support centre"),
    AgencyKind.NGO.value: _l("NGO"),
    AgencyKind.OMBUDSMAN.value: _l("Children's ombudsman"),
}


class UserForm(BirgeForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    full_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)])
    agency_id = SelectField(_l("Agency"), coerce=int, validate_choice=False)
    role = SelectField(_l("Role"), validate_choice=False)
    locale = SelectField(_l("Language of emails"), choices=LANGUAGE_CHOICES)
    active = BooleanField(_l("May sign in"), default=True)


class AgencyForm(BirgeForm):
    slug = StringField(
        _l("Short name"),
        validators=[DataRequired(), Length(max=63)],
        description=_l("Latin letters, digits and hyphens, e.g. school-12; used in addresses."),
    )
    kind = SelectField(
        _l("Kind"),
        choices=[SelectChoice(k, label) for k, label in AGENCY_KIND_LABELS.items()],
    )
    name_ru = StringField(_l("Name in Russian"), validators=[DataRequired(), Length(max=300)])
    name_kk = StringField(_l("Name in Kazakh"), validators=[DataRequired(), Length(max=300)])
    name_en = StringField(_l("Name in English"), validators=[Optional(), Length(max=300)])
    head_email = EmailField(
        _l("Head of the agency (email)"), validators=[Optional(), Length(max=254)]
    )
    head_locale = SelectField(
        _l("Language of the head's emails"), choices=LANGUAGE_CHOICES, default=DEFAULT_LOCALE
    )


IMPORT_KIND_CHOICES = [
    SelectChoice(ImportKind.AGENCIES.value, _l("Agencies")),
    SelectChoice(ImportKind.STAFF.value, _l("Staff")),
]


class ImportForm(BirgeForm):
    kind = SelectField(_l("The file lists"), choices=IMPORT_KIND_CHOICES)
    file = FileField(_l("CSV file"), validators=[FileRequired(_l("Choose a file."))])


class ImportApplyForm(BirgeForm):
    kind = HiddenField()
    content = TextAreaField()  # the previewed file again: line breaks allowed


class IntegrationForm(BirgeForm):
    """A new integration: its name and what its token may do."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=64)])
    scopes = MultiCheckboxField(
        _l("The token may"),
        choices=[
            SelectChoice("reports:write", _l("send reports")),
            SelectChoice("reports:read", _l("read the state of the cases it sent")),
        ],
        default=["reports:write", "reports:read"],
        validators=[DataRequired()],
    )


class RevokeForm(BirgeForm):
    """Only the CSRF token: revoking takes nothing else."""
