"""Issue 18, point 9: a statutory task's reminder, escalation and digest speak the reader's
language: the rule's Kazakh title and the district's time in words, never "(Asia/Almaty)"."""

from __future__ import annotations

from sqlmodel import Session

from models.core.settings import Settings
from models.tasks.rules import DEFAULT_RULES
from tests.factories import District
from tests.models.tasks.test_escalations import AFTER_NAURYZ_9, FRI_9, new_task, tick_at

RULE_RU, RULE_KK = DEFAULT_RULES[0][1], DEFAULT_RULES[0][2]


def test_a_statutory_tasks_emails_to_a_kazakh_reader_are_in_kazakh(
    session: Session, settings: Settings, district: District
) -> None:
    district.police.head_locale = "kk"
    session.add(district.police)
    new_task(session, district, title=RULE_RU)
    written = tick_at(session, settings, FRI_9) + tick_at(session, settings, AFTER_NAURYZ_9)
    kazakh = [n for n in written if n.locale == "kk"]
    russian = [n for n in written if n.locale == "ru"]
    assert {n.kind for n in kazakh} >= {"task_reminder", "escalation", "digest"}, written
    assert russian  # the Russian readers keep the Russian title
    for n in kazakh:
        assert RULE_KK in n.body and RULE_RU not in n.body, (n.kind, n.body)
        assert "Asia/Almaty" not in n.body, (n.kind, n.body)
    for n in russian:
        assert RULE_RU in n.body and "Asia/Almaty" not in n.body, (n.kind, n.body)
    escalation = next(n for n in kazakh if n.kind == "escalation")
    assert "Астана уақыты, UTC+5" in escalation.body
