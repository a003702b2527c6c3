"""Issue 18, point 12: the DOCX protocol is on A4, numbered per district and year (a number
stable once issued), names its chair and secretary, and speaks one language throughout."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import BytesIO
from typing import Any

import docx
from sqlmodel import Session

from models.core.i18n import translator
from models.core.settings import Settings
from models.meetings.tables import Meeting
from models.minutes.held import held_meeting
from models.minutes.protocol import build_protocol
from models.minutes.recording import record_minutes
from models.minutes.tables import MeetingMinutes
from models.people.tables import User
from tests.factories import District, make_district, make_user, schedule
from tests.models.minutes.test_minutes import TASK_SETTINGS

#: Thursday 19 November 2026, 16:00 in Almaty.
HELD_AT = datetime(2026, 11, 19, 11, 0, tzinfo=UTC)

#: Every label the protocol writes (its English message ids).
LABELS = (
    "Minutes No. %(number)s",
    "Coordination meeting",
    "When",
    "Place",
    "Attendance",
    "Overdue tasks at the time of the meeting",
    "No task was overdue.",
    "Minutes of the meeting",
    "Decisions",
    "No decisions were taken.",
    "Signatures",
    "Chair",
    "Secretary",
)


def coordination(
    session: Session, settings: Settings, district: District, starts_at: datetime
) -> Meeting:
    return schedule(
        session,
        settings,
        district,
        organizer=district.chair,
        kind="coordination_meeting",
        title="Заседание комиссии",
        case_code=None,
        address="Акимат, малый зал",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
        agency_ids=[district.education.id, district.police.id],
        now=starts_at - timedelta(days=3),
    ).meeting


def record(session: Session, district: District, meeting: Meeting, **over: Any) -> MeetingMinutes:
    values: dict[str, Any] = {
        "text": "Заслушали отдел полиции.",
        "present_user_ids": [district.chair.id, district.inspector.id],
        "present_agency_ids": [],
        "decisions": [],
        "now": meeting.starts_at + timedelta(hours=2),
    }
    values.update(over)
    user = values.pop("user", district.chair)
    recorded = record_minutes(session, user, meeting, settings=TASK_SETTINGS, **values)
    session.commit()
    minutes: MeetingMinutes = recorded.minutes
    return minutes


def protocol(session: Session, settings: Settings, meeting: Meeting, locale: str) -> Any:
    held = held_meeting(
        session, meeting_chair(session, meeting), meeting, now=meeting.starts_at + timedelta(days=1)
    )
    assert held is not None
    return docx.Document(BytesIO(build_protocol(held, locale=locale, zone=settings.zone)))


def meeting_chair(session: Session, meeting: Meeting) -> User | None:
    return session.get(User, meeting.created_by_id)


def text_of(document: Any) -> str:
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


def test_the_protocol_is_on_a4_paper(
    session: Session, settings: Settings, district: District
) -> None:
    meeting = coordination(session, settings, district, HELD_AT)
    record(session, district, meeting)
    for section in protocol(session, settings, meeting, "ru").sections:
        # Word keeps twentieths of a point: compare in whole millimetres.
        assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
        assert round(section.left_margin.mm) == 30  # room to file it


def test_protocols_are_numbered_per_district_and_year_and_keep_their_number(
    session: Session, settings: Settings, district: District
) -> None:
    first = coordination(session, settings, district, HELD_AT)
    second = coordination(session, settings, district, HELD_AT + timedelta(days=7))
    # recorded in the other order: numbered as recorded, and kept
    assert record(session, district, second).protocol_number == 1
    assert record(session, district, first).protocol_number == 2
    other = make_district(session, "-2")
    elsewhere = coordination(session, settings, other, HELD_AT)
    assert record(session, other, elsewhere).protocol_number == 1
    next_year = coordination(session, settings, district, datetime(2027, 1, 14, 11, tzinfo=UTC))
    assert record(session, district, next_year).protocol_number == 1
    # A sitting held on 31 December (local) belongs to its year, whenever it is recorded.
    eve = coordination(session, settings, district, datetime(2026, 12, 31, 12, tzinfo=UTC))
    minutes = record(session, district, eve, now=datetime(2027, 1, 12, 5, tzinfo=UTC))
    assert (minutes.protocol_year, minutes.protocol_number) == (2026, 3)

    text = text_of(protocol(session, settings, first, "ru"))
    assert "Протокол № 2" in text
    assert "Хаттама № 2" in text_of(protocol(session, settings, first, "kk"))
    assert "Протокол № 2" in text_of(protocol(session, settings, first, "ru"))  # again: same


def test_the_protocol_names_its_chair_and_its_secretary(
    session: Session, settings: Settings, district: District
) -> None:
    district.chair.full_name = "Ерлан Сапаров"
    secretary = make_user(
        session,
        district.akimat,
        "secretary@akimat.test",
        "coordinator",
        full_name="Гүлнар Ахметова",
    )
    meeting = coordination(session, settings, district, HELD_AT)
    record(session, district, meeting, user=secretary)
    for locale, chair, secretary_label in (
        ("ru", "Председатель", "Секретарь"),
        ("kk", "Төраға", "Хатшы"),
    ):
        lines = text_of(protocol(session, settings, meeting, locale)).splitlines()
        (chair_line,) = [line for line in lines if line.startswith(f"{chair}:")]
        assert chair_line.endswith("/ Ерлан Сапаров")
        (secretary_line,) = [line for line in lines if line.startswith(f"{secretary_label}:")]
        assert secretary_line.endswith("/ Гүлнар Ахметова")


def test_a_kazakh_protocol_has_no_russian_label_and_a_russian_one_no_kazakh(
    session: Session, settings: Settings, district: District
) -> None:
    meeting = coordination(session, settings, district, HELD_AT)
    record(session, district, meeting)
    for locale, other in (("kk", "ru"), ("ru", "kk")):
        document = protocol(session, settings, meeting, locale)
        text = text_of(document)
        theirs = translator(other)
        ours = translator(locale)
        for label in LABELS:
            foreign = theirs(label).split("%")[0].strip()
            assert foreign == ours(label).split("%")[0].strip() or foreign not in text, (
                locale,
                foreign,
            )
        # Word checks spelling (and reads aloud) in the protocol's language, not in English.
        language = document.styles.element.xpath("w:docDefaults//w:lang/@w:val")
        assert language == [{"kk": "kk-KZ", "ru": "ru-RU"}[locale]]
        assert document.core_properties.language == {"kk": "kk-KZ", "ru": "ru-RU"}[locale]
