"""Free text that enters a task or a case through any door (a form, the API, a script) is
refused when it holds control characters, by the domain itself, at its field."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlmodel import Session

from models.casework.changes import close_case
from models.casework.operations import CaseError
from models.casework.reports import Report, district_case, receive_report
from models.core.base import utcnow
from models.core.settings import Settings
from models.integrations.tokens import create_integration
from models.tasks.operations import TaskError, cancel_task, complete_task, create_task
from tests.factories import District, in_days

BAD = ["\x1b[31mкрасный", "нуль\x00байт", "\x85следующая строка"]


@pytest.mark.parametrize("bad", BAD)
def test_a_task_title_note_or_reason_with_control_characters_is_refused(
    session: Session, district: District, settings: Settings, bad: str
) -> None:
    def create(title: str) -> object:
        return create_task(
            session,
            district.coordinator,
            settings=settings,
            title=title,
            agency_id=district.police.id or 0,
            due_at=in_days(3),
            now=utcnow(),
        )

    if bad.isprintable() or bad[0] == "\x85":  # a line break in a one-line title: a space
        assert "\x85" not in create(f"Посетить семью {bad}").title
    else:
        with pytest.raises(TaskError) as refused:
            create(f"Посетить семью {bad}")
        assert refused.value.errors == {
            "title": "This field holds characters that are not allowed."
        }
    task = create("Посетить семью")
    head = district.police_head  # a coordinator of the task's agency
    with pytest.raises(TaskError) as refused:
        complete_task(session, head, task, note=f"Сделано {bad}", now=utcnow())
    assert refused.value.field == "note"
    with pytest.raises(TaskError) as refused:
        cancel_task(session, head, task, reason=f"Не нужно {bad}", now=utcnow())
    assert refused.value.field == "reason"
    complete_task(session, head, task, note="Сделано.\nСемья дома.", now=utcnow())


def test_a_case_closing_reason_with_control_characters_is_refused(
    session: Session, district: District
) -> None:
    with pytest.raises(CaseError) as refused:
        close_case(session, district.chair, district.case, reason="Закрыто\x00", now=utcnow())
    assert refused.value.field == "reason"


def test_a_report_from_another_system_is_checked_before_any_query(
    session: Session, district: District
) -> None:
    """The API's body or a later import: a NUL must never reach PostgreSQL (it was a 500)."""
    issued = create_integration(session, name="helpline-111", district_id=district.row.id or 0)
    report = Report(
        source="helpline_111",
        reference="111-1",
        received_at=utcnow() - timedelta(hours=1),
        category="violence",
        receiving_agency="educa\x00tion",
    )
    with pytest.raises(CaseError) as refused:
        receive_report(session, issued.integration, report, key=None, digest="d", now=utcnow())
    assert refused.value.field == "receiving_agency"
    spoiled = replace(report, receiving_agency="education", reference="111\x00-1")
    with pytest.raises(CaseError) as refused:
        receive_report(session, issued.integration, spoiled, key=None, digest="d", now=utcnow())
    assert refused.value.field == "reference"
    assert district_case(session, issued.integration, "D-2026\x00-0042", now=utcnow()) is None
