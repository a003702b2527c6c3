"""README's "Where things are" table stays true: each file it names exists and holds the name
it points to, so a newcomer who follows it lands on the answer."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parents[1]
ROW = re.compile(r"^\| (?P<question>[^|]+\?) \| `(?P<path>[^`]+)` \(`(?P<name>[^`]+)`")


def table_rows() -> list[tuple[str, str, str]]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Where things are", 1)[1].split("\n## ", 1)[0]
    return [
        (m["question"], m["path"], m["name"])
        for m in (ROW.match(line) for line in section.splitlines())
        if m
    ]


def defines(source: str, name: str) -> bool:
    if name.startswith("["):  # a TOML table
        return name in source
    owner, _, member = name.rpartition(".")
    if owner and not re.search(rf"^class {owner}\b", source, re.M):
        return False
    return bool(re.search(rf"^\s*(?:def|class) {member}\b|^{member}\b\s*[:=]", source, re.M))


def test_every_question_has_one_file_that_holds_its_answer() -> None:
    rows = table_rows()
    assert len(rows) >= 10, "the table lost its rows"
    questions = [question for question, _, _ in rows]
    assert len(set(questions)) == len(questions)
    missing = [
        (question, path, name)
        for question, path, name in rows
        if not (ROOT / path).is_file() or not defines((ROOT / path).read_text(), name)
    ]
    assert missing == []


def test_the_issue_questions_are_answered() -> None:
    answered = {question.lower() for question, _, _ in table_rows()}
    for question in (
        "when does an escalation go out?",
        "who may read the restricted part of a case?",
        "how is a deadline counted?",
        "what makes a feed rebuild?",
    ):
        assert question in answered
