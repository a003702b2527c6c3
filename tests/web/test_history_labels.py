"""Issue 18, point 9: every audited action a case's or a meeting's history shows is said in words,
in Kazakh too, never as its raw key (``meeting.minutes_recorded``)."""

from __future__ import annotations

import re
from pathlib import Path

from babel.support import Translations

from models.core.audit import ACTION_LABELS
from models.core.i18n import TRANSLATIONS_DIR
from models.meetings.answers import Answer
from web.meetings.history import HISTORY_LABELS


def _audited_actions() -> set[str]:
    """Every audit action of a case, a task or a meeting the code writes (string literals)."""
    root = Path(__file__).resolve().parents[2]
    actions: set[str] = set()
    # The webhooks' event types (task.completed ...) are what other systems receive, not
    # audit actions; the actions they follow are audited, and found, where they happen.
    webhook_events = Path(root, "models", "integrations", "webhooks.py")
    for folder in ("models", "web"):
        for source in Path(root, folder).rglob("*.py"):
            if source == webhook_events:
                continue
            for found in re.findall(
                r"\"((?:case|task|meeting)\.[a-z_]+(?:\.[a-z_]+)?)\"",
                source.read_text(encoding="utf-8"),
            ):
                if not found.endswith(".id"):
                    actions.add(found)
    actions |= {f"meeting.answer.{a.value}" for a in Answer}
    return actions


def test_every_audit_action_shown_in_a_history_has_a_kazakh_label() -> None:
    kk = Translations.load(str(TRANSLATIONS_DIR), ["kk"], domain="messages")
    actions = _audited_actions()
    assert {"meeting.minutes_recorded", "case.agency_added", "task.created"} <= actions
    unlabelled, untranslated = [], []
    for action in sorted(actions):
        labels = HISTORY_LABELS if action.startswith("meeting.") else ACTION_LABELS
        if action not in labels:
            unlabelled.append(action)
        elif kk.gettext(labels[action]) == labels[action]:
            untranslated.append(labels[action])
    assert not unlabelled and not untranslated, (unlabelled, untranslated)
