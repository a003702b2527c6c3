"""Dedupe keys: each kind reads back what it was built from, and the strings stay those that
rows of existing databases carry."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from models.outbox.keys import (
    Addressee,
    DigestKey,
    FeedRotationKey,
    InvitationKey,
    MeetingReminderKey,
    PasswordLinkKey,
    TaskAlertKey,
    digest_key,
    feed_rotation_key,
    invitation_key,
    meeting_reminder_key,
    parse_digest_key,
    parse_feed_rotation_key,
    parse_invitation_key,
    parse_meeting_reminder_key,
    parse_password_link_key,
    parse_task_alert_key,
    password_link_key,
    task_alert_key,
    task_alert_prefix,
)

ALMATY = timezone(timedelta(hours=5))
SITTING = datetime(2027, 3, 25, 10, 0, tzinfo=UTC)
DUE = datetime(2027, 3, 19, 18, 0, tzinfo=ALMATY)  # 13:00 UTC


def test_an_invitation_key_reads_back_and_keeps_its_string() -> None:
    key = invitation_key(17, 3, "invite", 5)
    assert key == "meeting:17:seq:3:invite:user:5"
    assert parse_invitation_key(key) == InvitationKey(17, 3, "invite", 5)

    moved = invitation_key(17, 4, "sitting-moved", 5, sitting_id=9)
    assert moved == "meeting:17:seq:4:sitting-moved:sitting:9:user:5"
    assert parse_invitation_key(moved) == InvitationKey(17, 4, "sitting-moved", 5, sitting_id=9)


def test_a_meeting_reminder_key_reads_back_and_keeps_its_string() -> None:
    key = meeting_reminder_key(17, 3, timedelta(hours=1), 5)
    assert key == "meeting:17:seq:3:reminder:60m:user:5"
    assert parse_meeting_reminder_key(key) == MeetingReminderKey(17, 3, timedelta(hours=1), 5)

    sitting = meeting_reminder_key(17, 3, timedelta(days=1), 5, sitting_start=SITTING)
    assert sitting == "meeting:17:seq:3:sitting:20270325T100000Z:reminder:1440m:user:5"
    assert parse_meeting_reminder_key(sitting) == MeetingReminderKey(
        17, 3, timedelta(days=1), 5, sitting_start=SITTING
    )


def test_a_task_alert_key_reads_back_and_keeps_its_string() -> None:
    person = task_alert_key(8, DUE, 0, Addressee(user_id=5))
    assert person == "task:8:due:20270319T130000Z:level:0:user:5"
    assert person.startswith(task_alert_prefix(8, DUE))
    assert parse_task_alert_key(person) == TaskAlertKey(
        8, DUE.astimezone(UTC), 0, Addressee(user_id=5)
    )

    head = task_alert_key(8, DUE, 1, Addressee(head_of_agency_id=4))
    assert head == "task:8:due:20270319T130000Z:level:1:agency:4:head"
    assert parse_task_alert_key(head) == TaskAlertKey(8, DUE, 1, Addressee(head_of_agency_id=4))


def test_a_digest_key_reads_back_and_keeps_its_string() -> None:
    day = date(2027, 3, 19)
    chair = digest_key(2, day, Addressee(user_id=5))
    assert chair == "digest:2:2027-03-19:user:5"
    assert parse_digest_key(chair) == DigestKey(2, day, Addressee(user_id=5))

    head = digest_key(2, day, Addressee(head_of_agency_id=4))
    assert head == "digest:2:2027-03-19:agency:4:head"
    assert parse_digest_key(head) == DigestKey(2, day, Addressee(head_of_agency_id=4))


def test_a_feed_rotation_key_keeps_the_start_of_the_token_only() -> None:
    key = feed_rotation_key(4, "0123456789abcdef0123456789abcdef01234567", 5)
    assert key == "feed-rotated:4:0123456789ab:user:5"
    assert parse_feed_rotation_key(key) == FeedRotationKey(4, "0123456789ab", 5)


def test_a_password_link_key_reads_back_and_keeps_its_string() -> None:
    assert password_link_key(12) == "password-link:12"
    assert parse_password_link_key("password-link:12") == PasswordLinkKey(12)


def test_a_key_of_one_kind_is_not_read_as_another() -> None:
    reminder = meeting_reminder_key(17, 3, timedelta(hours=1), 5, sitting_start=SITTING)
    invitation = invitation_key(17, 3, "update", 5)
    alert = task_alert_key(8, DUE, 1, Addressee(user_id=5))
    assert parse_invitation_key(reminder) is None
    assert parse_meeting_reminder_key(invitation) is None
    assert parse_digest_key(alert) is None
    assert parse_task_alert_key(digest_key(2, date(2027, 3, 19), Addressee(user_id=5))) is None
    assert parse_password_link_key("password-link:12:user:5") is None


def test_an_addressee_is_a_person_or_an_agency_head() -> None:
    with pytest.raises(ValueError):
        Addressee()
    with pytest.raises(ValueError):
        Addressee(user_id=5, head_of_agency_id=4)
