from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from models.i18n import LOCALES
from web.forms import BirgeForm


class LoginForm(BirgeForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


class LocaleForm(BirgeForm):
    locale = SelectField(choices=[SelectChoice(code, code) for code in LOCALES])
