"""Import agencies or staff from CSV: upload, preview with a per-row report, import."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from models.people.imports import (
    COLUMNS,
    CsvImportError,
    ImportKind,
    apply_import,
    decode_csv,
    preview_import,
)
from web.admin.common import acting_user
from web.admin.forms import ImportApplyForm, ImportForm
from web.context import db_session, settings_of
from web.formhelpers import show_error
from web.nudge import nudge_workers

__all__ = ["apply_import_view", "import_view"]


def import_view() -> ResponseReturnValue:
    """Upload a file (POST) and see what importing it would do; nothing is written yet."""
    actor = acting_user()
    db = db_session()
    form = ImportForm()
    preview = None
    apply_form = None
    if form.validate_on_submit():
        kind = ImportKind(form.kind.data or ImportKind.STAFF.value)
        text = decode_csv(form.file.data.read())
        try:
            preview = preview_import(db, actor, kind, text)
        except CsvImportError as exc:
            show_error(form, exc)
        else:
            apply_form = ImportApplyForm(formdata=None, kind=kind.value, content=text)
    status = 400 if form.is_submitted() and form.errors else 200
    return render_template(
        "admin/import.html",
        form=form,
        preview=preview,
        apply_form=apply_form,
        columns=COLUMNS,
    ), status


def apply_import_view() -> ResponseReturnValue:
    """Import the valid rows of the previewed file and report the rest."""
    actor = acting_user()
    form = ImportApplyForm()
    if not form.validate_on_submit() or form.kind.data not in {k.value for k in ImportKind}:
        abort(400)
    db = db_session()
    try:
        preview, notifications = apply_import(
            db, settings_of(current_app), actor, ImportKind(form.kind.data), form.content.data or ""
        )
    except CsvImportError:
        db.rollback()
        abort(400)
    db.commit()
    nudge_workers([n.id for n in notifications if n.id is not None])
    flash(
        _(
            "Imported %(done)s rows; %(skipped)s rows with errors were skipped.",
            done=len(preview.valid),
            skipped=len(preview.invalid),
        ),
        "success" if not preview.invalid else "warning",
    )
    if preview.invalid:
        return render_template(
            "admin/import.html",
            form=ImportForm(formdata=None),
            preview=preview,
            apply_form=None,
            columns=COLUMNS,
            imported=True,
        )
    return redirect(
        url_for("admin.users" if preview.kind is ImportKind.STAFF else "admin.agencies")
    )
