from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length

from models.core.i18n import LOCALE_NAMES, LOCALES
from web.forms import BirgeForm

LANGUAGE_CHOICES = [SelectChoice(code, LOCALE_NAMES[code]) for code in LOCALES]


class LoginForm(BirgeForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


class LocaleForm(BirgeForm):
    locale = SelectField(choices=[SelectChoice(code, code) for code in LOCALES])


class EmailLanguageForm(BirgeForm):
    email_locale = SelectField(
        _l("Language of my emails"),
        choices=LANGUAGE_CHOICES,
        description=_l(
            "Invitations and reminders come in this language, whatever the portal shows."
        ),
    )


class PasswordChangeForm(BirgeForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=200)])
    new = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(max=200)],
        description=_l("At least 10 characters."),
    )
    repeat = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("new", message=_l("The two passwords differ."))],
    )


class ForgotPasswordForm(BirgeForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])


class ResetPasswordForm(BirgeForm):
    new = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(max=200)],
        description=_l("At least 10 characters."),
    )
    repeat = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("new", message=_l("The two passwords differ."))],
    )
