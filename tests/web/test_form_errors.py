"""A refusal of the domain shows at the field it names, or at the top of the form."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from flask_babel import gettext
from sqlmodel import Session
from wtforms import FieldList, FormField, IntegerField, StringField

from models.cases.tables import Case
from models.core.errors import DomainError
from tests.factories import District, csrf_token, login, open_test_case
from web.formhelpers import show_error
from web.forms import BirgeForm


class StepForm(BirgeForm):
    days = IntegerField()


class AgencyForm(BirgeForm):
    slug = StringField()
    steps = FieldList(FormField(StepForm), min_entries=2)


def test_an_error_with_a_field_shows_next_to_it_and_one_without_at_the_top(app: Flask) -> None:
    with app.test_request_context():
        form = AgencyForm(meta={"csrf": False}, prefix="agency")
        show_error(form, DomainError("This is not an email address.", "slug"))
        show_error(form, DomainError("You may not change this meeting."))
        show_error(form, DomainError("Choose a language.", "no_such_field"))
        assert form.slug.errors == [gettext("This is not an email address.")]
        assert form.form_errors == [
            gettext("You may not change this meeting."),
            gettext("Choose a language."),  # a field the form lacks: the message is not lost
        ]
        assert form.slug.errors[0] != "This is not an email address."  # translated (ru)


def test_every_problem_shows_at_its_field_a_subform_row_by_alias(app: Flask) -> None:
    with app.test_request_context():
        form = AgencyForm(meta={"csrf": False})
        form.slug.errors = ["The form's own message"]
        refusal = DomainError.many(
            {"slug": "Give the name.", "days_1": "Keep at least one step.", None: "Nothing."}
        )
        show_error(form, refusal, {"days_1": "steps-1-days"})
        # the form's own message stays alone at its field: one thing to fix at a time
        assert form.slug.errors == ["The form's own message"]
        assert form.steps[1].days.errors == [gettext("Keep at least one step.")]
        assert not form.steps[0].days.errors
        assert form.form_errors == [gettext("Nothing.")]


def test_a_refusal_without_a_field_stands_above_the_form(
    client: FlaskClient, district: District, session: Session
) -> None:
    opened = open_test_case(session, district)
    session.commit()
    login(client, district.coordinator.email)
    url = f"/cases/{opened.case.code}"
    page = client.get(url).get_data(as_text=True)
    busy = client.post(f"{url}/close", data={"csrf_token": csrf_token(page), "reason": "Готово"})
    shown = busy.get_data(as_text=True)
    # the case's open tasks are no fault of the reason: the message is the form's, not the field's
    assert busy.status_code == 400 and 'id="reason-error"' not in shown
    assert '<p class="error" role="alert">' in shown and "только когда все его поручения" in shown
    session.expire_all()
    assert session.get(Case, opened.case.id).status == "open"  # type: ignore[union-attr]
