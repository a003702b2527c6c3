"""A council series is held sitting by sitting: each sitting has its own minutes, attendance,
decisions and protocol, identified by the sitting's original start."""

from __future__ import annotations

from datetime import datetime
from io import BytesIO
from typing import Any

import docx
import pytest
from sqlalchemy import select
from sqlmodel import Session, col

from models.core.audit import AuditEvent
from models.core.settings import Settings
from models.meetings.series import cancel_sitting, move_sitting
from models.meetings.tables import Meeting
from models.minutes.held import held_meeting, held_sittings
from models.minutes.protocol import build_protocol, protocol_filename
from models.minutes.recording import DecisionDraft, MinutesError, record_minutes
from models.minutes.tables import MeetingMinutes
from models.tasks.tables import Task
from tests.conftest import load_settings_for
from tests.factories import District
from tests.models.meetings.test_series_reminders import APR, DAY, FEB, HOUR, JAN, MAR, council

#: What the emails of the tasks made here link to.
TASK_SETTINGS = load_settings_for("sqlite:///unused.sqlite3", BIRGE_BASE_URL="http://birge.test")


def record(
    session: Session, district: District, meeting: Meeting, sitting: datetime | None, **over: Any
) -> Any:
    values: dict[str, Any] = {
        "text": "Заслушали социального педагога.",
        "present_user_ids": [district.pedagogue.id, district.inspector.id],
        "present_agency_ids": [],
        "decisions": [
            DecisionDraft(
                text="Провести беседу с родителями",
                agency_id=district.school.id,
                due_kind="working_days",
                due_days=5,
            )
        ],
        "now": (sitting or meeting.starts_at) + 2 * HOUR,
    }
    values.update(over)
    return record_minutes(
        session, district.pedagogue, meeting, settings=TASK_SETTINGS, sitting=sitting, **values
    )


def docx_text(body: bytes) -> str:
    return "\n".join(p.text for p in docx.Document(BytesIO(body)).paragraphs)


def test_minutes_of_the_april_sitting_do_not_overwrite_marchs(
    session: Session, settings: Settings, district: District
) -> None:
    meeting = council(session, settings, district)
    record(session, district, meeting, MAR, text="Мартовское заседание: трое учеников.")
    session.commit()
    record(
        session,
        district,
        meeting,
        APR,
        text="Апрельское заседание: один ученик.",
        present_user_ids=[district.pedagogue.id],
    )
    session.commit()
    rows = session.scalars(select(MeetingMinutes).order_by(col(MeetingMinutes.id))).all()
    assert [(m.sitting_start, m.text.split(":")[0]) for m in rows] == [
        (MAR, "Мартовское заседание"),
        (APR, "Апрельское заседание"),
    ]
    reader = district.inspector
    march = held_meeting(session, reader, meeting, now=APR + DAY, sitting=MAR)
    april = held_meeting(session, reader, meeting, now=APR + DAY, sitting=APR)
    assert march is not None and april is not None
    assert march.minutes.text.startswith("Мартовское") and april.minutes.text.startswith("Апрель")
    assert (march.starts_at, april.starts_at) == (MAR, APR)
    assert {len(a.people) for a in march.attendance if a.present} == {1}
    assert len([p for a in april.attendance for p in a.people]) == 1
    # each decision is counted from its own sitting: 5 working days after 25 March / 29 April
    due = sorted(t.due_at for t in session.scalars(select(Task)))
    assert MAR + 5 * DAY < due[0] < MAR + 10 * DAY and APR + 5 * DAY < due[1] < APR + 14 * DAY
    # the protocol of each sitting says its own date
    march_doc = docx_text(build_protocol(march, locale="ru", zone=settings.zone))
    april_doc = docx_text(build_protocol(april, locale="ru", zone=settings.zone))
    assert "25 марта 2027, 15:00" in march_doc and "Мартовское" in march_doc
    assert "29 апреля 2027, 15:00" in april_doc and "Мартовское" not in april_doc
    assert (
        protocol_filename(april, "kk", settings.zone) == f"protocol-{meeting.id}-2027-04-29-kk.docx"
    )
    # the audit trail names the sitting
    details = session.scalars(
        select(AuditEvent.detail).where(AuditEvent.action == "meeting.minutes_recorded")
    ).all()
    assert [d.split()[0] for d in details] == [
        "sitting=2027-03-25T10:00:00+00:00",
        "sitting=2027-04-29T10:00:00+00:00",
    ]


def test_the_meeting_lists_its_held_sittings_with_their_records(
    session: Session, settings: Settings, district: District
) -> None:
    meeting = council(session, settings, district)
    friday = FEB + DAY - 5 * HOUR
    move_sitting(
        session,
        settings,
        meeting,
        by=district.pedagogue,
        original_start=FEB,
        starts_at=friday,
        ends_at=friday + HOUR,
        now=JAN - DAY,
    )
    cancel_sitting(
        session, settings, meeting, by=district.pedagogue, original_start=MAR, now=JAN - DAY
    )
    record(session, district, meeting, FEB, now=friday + 2 * HOUR)
    session.commit()
    held = held_sittings(session, meeting, settings.zone, now=APR + 2 * HOUR)
    assert [
        (h.sitting.original_start, h.sitting.starts_at, h.minutes is not None) for h in held
    ] == [(APR, APR, False), (FEB, friday, True), (JAN, JAN, False)]


def test_which_sittings_may_be_recorded(
    session: Session, settings: Settings, district: District
) -> None:
    meeting = council(session, settings, district)
    cancel_sitting(
        session, settings, meeting, by=district.pedagogue, original_start=FEB, now=JAN - DAY
    )
    session.commit()
    refusals = {
        "not yet begun": (APR, {"now": MAR + 2 * HOUR}),
        "cancelled": (FEB, {}),
        "not a sitting": (MAR + DAY, {}),
        "no sitting named": (None, {"now": MAR + 2 * HOUR}),
    }
    for why, (sitting, over) in refusals.items():
        with pytest.raises(MinutesError) as refused:
            record(session, district, meeting, sitting, **over)
        assert None in refused.value.errors, why
        session.rollback()
    record(session, district, meeting, MAR)
    session.commit()
    with pytest.raises(MinutesError, match="already recorded"):
        record(session, district, meeting, MAR)
    session.rollback()
    # a sitting without minutes has no record to read
    assert held_meeting(session, district.inspector, meeting, now=APR, sitting=JAN) is None
