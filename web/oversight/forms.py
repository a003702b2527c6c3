"""The deployment administrator's forms: a new district, a district's administrator, a regional
viewer."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from web.auth.forms import LANGUAGE_CHOICES
from web.forms import BirgeForm

__all__ = ["AdministratorForm", "DistrictForm", "RegionalViewerForm"]


class DistrictForm(BirgeForm):
    """A new district of a region (a new region when none has the name)."""

    region = StringField(
        _l("Region"),
        validators=[DataRequired(), Length(max=200)],
        description=_l("An existing region's Russian or Kazakh name, or a new region's."),
    )
    region_kk = StringField(_l("A new region's name in Kazakh"), validators=[Length(max=200)])
    name_ru = StringField(_l("Name in Russian"), validators=[DataRequired(), Length(max=200)])
    name_kk = StringField(_l("Name in Kazakh"), validators=[DataRequired(), Length(max=200)])
    case_prefix = StringField(
        _l("Case-code prefix"),
        validators=[DataRequired(), Length(max=4)],
        description=_l("One to four Latin capitals that start the district's case codes."),
    )
    timezone = StringField(
        _l("Time zone"), default="Asia/Almaty", validators=[DataRequired(), Length(max=64)]
    )


class _PersonForm(BirgeForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    full_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=200)])
    locale = SelectField(_l("Language of emails"), choices=LANGUAGE_CHOICES)


class AdministratorForm(_PersonForm):
    """A district's administrator (its first, usually), in the district's akimat."""

    district_id = SelectField(_l("District"), coerce=int, validate_choice=False)


class RegionalViewerForm(_PersonForm):
    """A regional viewer: the oblast's deputy akim, the regional ombudsman."""

    region_id = SelectField(_l("Region"), coerce=int, validate_choice=False)
